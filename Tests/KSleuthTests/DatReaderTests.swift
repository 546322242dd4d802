import XCTest
@testable import TestSupport
import Foundation
import FtraceText
import KSleuth
import TraceDatReader
import TraceModel

/// trace-cmd `.dat` files read through libtracecmd give the same answers as the `trace-cmd report -N` text of the
/// same file (corpus `.report-N.txt` siblings, made by trace-cmd 3.1.6). Skipped when ../shared is absent.
final class DatReaderTests: XCTestCase {
    func corpusDats() throws -> [URL] {
        let root = try Repo.corpus("traces/ftrace")
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        var out: [URL] = []
        for case let u as URL in e where u.pathExtension == "dat" { out.append(u) }
        XCTAssertGreaterThanOrEqual(out.count, 5)
        return out.sorted { $0.path < $1.path }
    }

    /// The facts `stats` reports that do not depend on the rendering: counts, names, tasks, prev_state forms, gaps.
    func assertSameStats(_ a: TraceStatistics, _ b: TraceStatistics, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.events, b.events, "events: \(what)", file: file, line: line)
        XCTAssertEqual(a.eventsByName, b.eventsByName, "events by name: \(what)", file: file, line: line)
        XCTAssertEqual(a.tasks, b.tasks, "tasks: \(what)", file: file, line: line)
        XCTAssertEqual(a.eventsByCPU, b.eventsByCPU, "CPUs: \(what)", file: file, line: line)
        XCTAssertEqual(a.prevState, b.prevState, "prev_state forms: \(what)", file: file, line: line)
        XCTAssertEqual(a.gapCount, b.gapCount, "gaps: \(what)", file: file, line: line)
        XCTAssertEqual(a.lostEvents, b.lostEvents, "lost events: \(what)", file: file, line: line)
        XCTAssertEqual(a.kernelStacks, b.kernelStacks, "kernel stacks: \(what)", file: file, line: line)
    }

    func testStatsOfEachCorpusDatEqualStatsOfItsReportN() throws {
        for dat in try corpusDats() {
            let binary = try StatsCollector.collect(path: dat.path)
            let text = try StatsCollector.collect(path: dat.path + ".report-N.txt", threads: 1)
            XCTAssertTrue(binary.description.format.hasPrefix("trace-cmd .dat v6"), binary.description.format)
            assertSameStats(binary, text, dat.lastPathComponent)
            print("dat: \(dat.lastPathComponent) \(binary.events) events, same stats as its report -N")
        }
    }

    /// Event by event: same timestamp (to the µs the text shows), CPU, pid, comm, name and payload text.
    func testEveryEventEqualsItsReportNLine() throws {
        for dat in try corpusDats() {
            let bin = try events(TraceDatReader(path: dat.path))
            let txt = try events(FtraceTextReader(path: dat.path + ".report-N.txt"))
            XCTAssertEqual(bin.count, txt.count, dat.path)
            var mismatches: [String] = []
            for (a, b) in zip(bin, txt) where a != b {
                if mismatches.count < 3 { mismatches.append("\n  dat: \(a)\n  txt: \(b)") }
            }
            XCTAssertEqual(mismatches, [], dat.lastPathComponent)
        }
    }

    /// A comparable rendering of an event; continuation lines of multi-line `bprint`s become blanks in both.
    struct Flat: Equatable, CustomStringConvertible {
        var usec: Int64, cpu: Int32, pid: Int32, comm: String, name: String, payload: String
        var description: String { "\(usec) [\(cpu)] \(comm)-\(pid) \(name): \(payload)" }
    }

    /// Text timestamps are µs already; binary ones are ns, which trace-cmd rounds to the nearest µs.
    func events<S: TraceSource>(_ source: S) throws -> [Flat] {
        var s = source
        let isText = source is FtraceTextReader
        var out: [Flat] = []
        while let b = try s.nextBatch() {
            for e in b.events {
                let payload = b.payloadText(e).split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
                out.append(Flat(usec: (e.timestamp + (isText ? 0 : 500)) / 1000, cpu: e.cpu, pid: e.pid, comm: b.comm(e), name: b.name(e),
                                payload: payload))
            }
        }
        return out
    }

    /// trace-cmd 3 writes v7 (compressed sections) by default; `trace-cmd convert` makes one from a corpus v6 file.
    func testV7CompressedFileReadsLikeItsV6Original() throws {
        let v6 = try Repo.corpus("traces/ftrace/lisa/sched_load/trace.dat")
        guard let traceCmd = Tool.find("trace-cmd") else { throw XCTSkip("trace-cmd is not installed") }
        let v7 = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-v7.dat")
        defer { try? FileManager.default.removeItem(at: v7) }
        let r = try Tool.run(traceCmd, ["convert", "--file-version", "7", "--compression", "any",
                                        "-i", v6.path, "-o", v7.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try InputFormat.detect(path: v7.path), .traceCmdDat(version: 7))
        let a = try StatsCollector.collect(path: v7.path), b = try StatsCollector.collect(path: v6.path)
        XCTAssertEqual(a.description.format, "trace-cmd .dat v7")
        assertSameStats(a, b, "v7 vs v6")
        XCTAssertEqual(try events(TraceDatReader(path: v7.path)), try events(TraceDatReader(path: v6.path)))
    }

    func testTruncatedDatIsAOneLineErrorWithExitStatus2() throws {
        let dat = try Repo.corpus("traces/ftrace/lisa/example_rtapp/trace.dat")
        let bytes = [UInt8](try Data(contentsOf: dat))
        for keep in [100, bytes.count / 3, bytes.count - 5000] {
            let cut = try Repo.tempFile("truncated-\(keep).dat", Array(bytes[..<keep]))
            defer { try? FileManager.default.removeItem(at: cut) }
            XCTAssertThrowsError(try StatsCollector.collect(path: cut.path), "kept \(keep) bytes") { e in
                XCTAssertTrue(e is TraceInputError, "\(e)")
                XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
            }
            let r = try runKsleuth(["stats", cut.path])
            XCTAssertEqual(r.status, 2, "kept \(keep): \(r.stdout)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("ksleuth stats: \(cut.path)"), r.stderr)
        }
    }

    /// A corrupt event format that makes libtraceevent itself crash while libtracecmd opens the file (two bytes of
    /// the kernel_stack print fmt changed, found by mutating the format section; `trace-cmd report` segfaults on the
    /// same file): every command gives one line naming the file and exit status 2, not a crash.
    func testEventFormatThatCrashesLibtraceeventIsAOneLineError() throws {
        var bytes = [UInt8](try Data(contentsOf: Repo.fixture("traces/dat/instances-6.1-v6.dat")))
        let good = Array("(void *)REC->caller[0], (void *)REC->caller[1], ".utf8)
        let bad = Array("(void *)REC->caller[0], (xoid *)REC->caller[1][ ".utf8)
        let at = try XCTUnwrap((0...(bytes.count - good.count)).first { bytes[$0..<($0 + good.count)].elementsEqual(good) })
        bytes.replaceSubrange(at..<(at + good.count), with: bad)
        let file = try Repo.tempFile("crashing-format.dat", bytes)
        defer { try? FileManager.default.removeItem(at: file) }
        for command in ["stats", "analyze"] {
            let r = try runKsleuth([command, file.path])
            XCTAssertEqual(r.status, 2, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("ksleuth \(command): \(file.path): corrupt trace-cmd .dat file"), r.stderr)
        }
        // In the library too, not only in the executable: the open itself is guarded; after it, the intact file
        // still reads in the same process.
        XCTAssertThrowsError(try StatsCollector.collect(path: file.path)) {
            XCTAssertTrue("\($0)".contains("libtraceevent crashes parsing its event formats"), "\($0)")
        }
        let ok = try StatsCollector.collect(path: Repo.fixture("traces/dat/instances-6.1-v6.dat").path)
        XCTAssertEqual(ok.events, 407)
    }

    func testStatsCommandReadsADat() throws {
        let dat = try Repo.corpus("traces/ftrace/trappy/raw_trace.dat")
        let r = try runKsleuth(["stats", dat.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("trace-cmd .dat v6"), r.stdout)
        XCTAssertTrue(r.stdout.contains("sched_switch"), r.stdout)
    }

    /// Stack records are folded into the event they belong to, as the text reader folds `<stack trace>` blocks.
    func testKernelStackRecordsAttachLikeTheTextReaderAttachesThem() throws {
        // The corpus has no .dat with stacks or kprobes: a lab capture (kprobe on d_splice_alias with the stacktrace
        // option, and its `trace-cmd report` text beside it as FILE.report.txt) is named by KSLEUTH_LAB_DAT.
        guard let lab = ProcessInfo.processInfo.environment["KSLEUTH_LAB_DAT"],
              FileManager.default.fileExists(atPath: lab), FileManager.default.fileExists(atPath: lab + ".report.txt")
        else { throw XCTSkip("KSLEUTH_LAB_DAT does not name a lab .dat with kprobes, stacks and its report") }
        let a = try StatsCollector.collect(path: lab), b = try StatsCollector.collect(path: lab + ".report.txt", threads: 1)
        XCTAssertEqual(a.kernelStacks, b.kernelStacks)
        XCTAssertEqual(a.events, b.events)
        XCTAssertEqual(a.eventsByName, b.eventsByName)
        // kprobes name their symbol, resolved through the file's kallsyms (trace-cmd report prints the address).
        var r = try TraceDatReader(path: lab)
        var symbols = Set<String>(), unresolved = 0
        while let b = try r.nextBatch() {
            for e in b.events where e.kind == .kprobe || e.kind == .kretprobe {
                if let s = b.probe(e)?.symbol { symbols.insert(s) } else { unresolved += 1 }
            }
        }
        XCTAssertFalse(symbols.isEmpty)
        XCTAssertEqual(unresolved, 0, "probes without a symbol")
        print("lab: probed symbols \(symbols.sorted())")
        // Every other event equals trace-cmd's own `-N` rendering of the file (kprobes differ on purpose: symbols).
        guard let traceCmd = Tool.find("trace-cmd") else { return }
        let n = try Tool.run(traceCmd, ["report", "-N", lab])
        let text = try Repo.tempFile("lab-N.txt", Array(n.stdout.utf8))
        defer { try? FileManager.default.removeItem(at: text) }
        let isProbe: (Flat) -> Bool = { $0.payload.hasPrefix("(") || $0.name == "kernel_stack" }
        let bin = try events(TraceDatReader(path: lab)).filter { !isProbe($0) && $0.name != "<stack trace>" }
        let txt = try events(FtraceTextReader(path: text.path)).filter { !isProbe($0) && $0.name != "<stack trace>" }
        XCTAssertEqual(bin.count, txt.count)
        var mismatches: [String] = []
        for (a, b) in zip(bin, txt) where a != b && mismatches.count < 3 { mismatches.append("\n  dat: \(a)\n  txt: \(b)") }
        XCTAssertEqual(mismatches, [])
    }
}

/// Finding and running the peer programs (trace-cmd, babeltrace2) the tests compare against.
enum Tool {
    static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(_ exe: String, _ args: [String]) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                             stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A corrupt `.dat` record can carry any pid; statistics must not index past their pid table.
final class HugePidStatisticsTests: XCTestCase {
    func testABatchWithAPidBeyondPidMaxStillCountsTheOthers() throws {
        var interner = ByteInterner()
        let name = interner.intern("sched_switch"), comm = interner.intern("task")
        let events = [Int32(5000), 1 << 30, 7].map {
            Event(timestamp: 1, lineNumber: 1, byteOffset: 0, cpu: 0, pid: $0, comm: comm, name: name, kind: .tracepoint,
                  payload: .empty)
        }
        var s = TraceStatistics(input: "mem")
        s.add(EventBatch(storage: ByteStorage(capacity: 1), events: events, symbols: interner.table))
        s.finish(description: TraceDescription())
        XCTAssertEqual(s.tasks[5000]?.events, 1)
        XCTAssertEqual(s.tasks[1 << 30]?.events, 1)
        XCTAssertEqual(s.tasks[7]?.events, 1)
    }
}
