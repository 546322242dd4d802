import XCTest
@testable import TestSupport
import Foundation
import KSleuth
@testable import LTTngReader
import TraceModel

/// CTF traces of the shared corpus read through libbabeltrace2: babeltrace2's event counts, gaps for what the tracer
/// discarded, LTTng fields under ftrace names, and clean one-line errors. Skipped when ../shared is absent.
final class CTFReaderTests: XCTestCase {
    /// Event counts from the corpus README (babeltrace2 output lines; for the traces the muxer refuses, the counts of
    /// `babeltrace2 run` with each stream connected straight to `sink.utils.counter`).
    static let expected: [(path: String, events: Int, overlapping: Bool)] = [
        ("babeltrace/lttng-tracefile-rotation-kernel", 12305, false),
        ("babeltrace/multi-domains-kernel", 272, false),
        ("babeltrace/multi-domains-ust", 4000, false),
        ("babeltrace/packet-seq-num-2-streams-lost-in-1", 8, false),
        ("tracecompass-test-traces/many-threads", 240_644, false),
        ("tracecompass-test-traces/bug446190", 31556, false),
        ("tracecompass-test-traces/uneven-streams", 50618, false),
        ("tracecompass-test-traces/flipping-endianness", 14310, false),
        ("tracecompass-test-traces/perf-taskset2", 1500, false),
        ("tracecompass-test-traces/context-switches-ust", 3934, false),
        ("tracecompass-test-traces/scp_src", 110_771, true),
        ("tracecompass-test-traces/scp_dest", 85729, true),
    ]

    func testEveryCorpusCTFTraceHasBabeltraceEventCount() throws {
        let root = try Repo.corpus("traces/ctf")
        let bt = Tool.find("babeltrace2")
        for t in Self.expected {
            let path = root.appendingPathComponent(t.path).path
            XCTAssertEqual(try InputFormat.detect(path: path), .ctf, t.path)
            let s = try StatsCollector.collect(path: path)
            XCTAssertEqual(s.events, t.events, t.path)
            XCTAssertEqual(s.description.warnings.contains { $0.contains("overlap") }, t.overlapping,
                           "\(t.path): \(s.description.warnings)")
            // The peer itself, when installed: one line per event (it cannot read the overlapping ones).
            if let bt, !t.overlapping {
                let r = try Tool.run(bt, [path])
                XCTAssertEqual(r.stdout.split(separator: "\n").count, s.events, "babeltrace2 \(t.path)")
            }
        }
    }

    /// The muxer refuses hello-lost after 38 events; its streams are still read, with a warning and the lost events.
    func testOverlappingPacketsAreReadWithAWarning() throws {
        let path = try Repo.corpus("traces/ctf/tracecompass-test-traces/hello-lost").path
        let s = try StatsCollector.collect(path: path)
        XCTAssertGreaterThan(s.events, 38)
        XCTAssertGreaterThan(s.gapCount, 0)
        XCTAssertGreaterThan(s.lostEvents, 0)
        XCTAssertEqual(s.outOfOrder, 0, "merged by timestamp")
        let r = try runKsleuth(["stats", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("warning       packets overlap"), r.stdout)
    }

    func testDiscardedEventsAndPacketsBecomeGaps() throws {
        let kernel = try StatsCollector.collect(path: try Repo.corpus("traces/ctf/babeltrace/multi-domains-kernel").path)
        XCTAssertEqual(kernel.gapCount, 1)
        XCTAssertEqual(kernel.lostEvents, 728)
        XCTAssertEqual(kernel.gaps.first?.kind, .dropped)
        let packets = try StatsCollector.collect(
            path: try Repo.corpus("traces/ctf/babeltrace/packet-seq-num-2-streams-lost-in-1").path)
        XCTAssertEqual(packets.gapCount, 1)
        XCTAssertNil(packets.gaps.first?.lostEvents, "a count of packets is not a count of events")
        XCTAssertTrue(packets.description.warnings.contains { $0.contains("discarded 2 packet") }, "\(packets.description.warnings)")
    }

    /// LTTng's sched_switch decodes with the same `SchedSwitch` as ftrace text: ftrace field names, kernel prio,
    /// and prev_state letters for the trace's kernel (4.15: raw 1026 = TASK_IDLE → I; 4.4: 2048 = preempted → R+).
    func testLTTngSchedSwitchDecodesLikeFtrace() throws {
        for (trace, letter) in [("babeltrace/lttng-tracefile-rotation-kernel", "I"), ("tracecompass-test-traces/many-threads", "R+")] {
            var r = try LTTngReader(path: try Repo.corpus("traces/ctf/" + trace).path)
            var switches = 0, states = Set<String>(), prios = Set<Int32>(), pidsKnown = 0
            while let b = try r.nextBatch() {
                for e in b.events where b.name(e) == "sched_switch" {
                    guard let s = SchedSwitch.decode(b.storage.bytes(e.payload)) else {
                        XCTFail("undecodable: \(b.payloadText(e))")
                        break
                    }
                    switches += 1
                    states.insert(s.prevStateText)
                    XCTAssertNotNil(s.prevState, s.prevStateText)
                    prios.insert(s.prevPrio)
                    XCTAssertEqual(e.pid, s.prevPid, "the switch runs in the outgoing task")
                    if e.pid >= 0 { pidsKnown += 1 }
                }
            }
            XCTAssertGreaterThan(switches, 100, trace)
            XCTAssertTrue(states.contains(letter), "\(trace): \(states)")
            XCTAssertTrue(prios.contains(120), "\(trace): \(prios)")
            XCTAssertEqual(pidsKnown, switches)
            XCTAssertTrue(r.description.format.contains("lttng-modules"), r.description.format)
        }
    }

    /// Events other than sched_switch take the task sched_switch last put on their CPU.
    func testTasksFollowSchedSwitchWhenTheTraceHasNoTidContext() throws {
        let s = try StatsCollector.collect(path: try Repo.corpus("traces/ctf/tracecompass-test-traces/many-threads").path)
        let known = s.tasks.values.reduce(0) { $0 + $1.events }
        XCTAssertGreaterThan(Double(known) / Double(s.events), 0.9)
        XCTAssertTrue(s.tasks.values.contains { $0.comm == "lttng-consumerd" })
    }

    func testInvalidPacketSizeFailsWithOneLine() throws {
        let path = try Repo.corpus("traces/ctf/babeltrace/fail-invalid-packet-size").path
        XCTAssertThrowsError(try StatsCollector.collect(path: path)) { e in
            XCTAssertTrue(e is TraceInputError, "\(e)")
        }
        let r = try runKsleuth(["stats", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("unreadable CTF trace"), r.stderr)
        XCTAssertTrue(r.stderr.contains("index"), r.stderr)
    }

    func testCorruptMetadataIsAOneLineErrorWithExitStatus2() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-badctf")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\nevent { garbage ;;; \n".utf8)
            .write(to: dir.appendingPathComponent("metadata"))
        try Data(repeating: 0xAB, count: 4096).write(to: dir.appendingPathComponent("channel0_0"))
        let r = try runKsleuth(["stats", dir.path])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("ksleuth stats: \(dir.path): unreadable CTF trace"), r.stderr)
        // Garbage that is not even text.
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: dir.appendingPathComponent("metadata"))
        let r2 = try runKsleuth(["stats", dir.path])
        XCTAssertEqual(r2.status, 2, r2.stdout)
        XCTAssertEqual(r2.stderr.filter { $0 == "\n" }.count, 1, r2.stderr)
    }

    /// libbabeltrace2 2.0 never returns on packetized metadata cut inside a packet; ksleuth checks the packets first.
    func testTruncatedPacketizedMetadataIsAOneLineErrorNotAHang() throws {
        let src = try Repo.corpus("traces/ctf/babeltrace/lttng-tracefile-rotation-kernel")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-cutmeta")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in try FileManager.default.contentsOfDirectory(atPath: src.path) where !name.hasPrefix("index") {
            let data = try Data(contentsOf: src.appendingPathComponent(name))
            try (name == "metadata" ? data.prefix(data.count * 6 / 21) : data).write(to: dir.appendingPathComponent(name))
        }
        let r = try runKsleuth(["stats", dir.path])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("truncated CTF metadata"), r.stderr)
    }

    /// A stream corrupted in the middle: the events before the damage are kept, with a warning saying where
    /// reading stopped (babeltrace2 itself prints them, then fails).
    func testCorruptStreamKeepsTheEventsBeforeTheDamage() throws {
        let src = try Repo.corpus("traces/ctf/babeltrace/lttng-tracefile-rotation-kernel")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-corrupt")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in try FileManager.default.contentsOfDirectory(atPath: src.path) where !name.hasPrefix("index") {
            var data = try Data(contentsOf: src.appendingPathComponent(name))
            if name == "mychan_0_1" {
                for i in stride(from: data.count / 2, to: min(data.count / 2 + 4096, data.count), by: 7) { data[i] = 0xEE }
            }
            try data.write(to: dir.appendingPathComponent(name))
        }
        let r = try runKsleuth(["stats", "--json", dir.path])
        XCTAssertTrue(r.status == 0 || r.status == 2, "exit \(r.status): \(r.stderr)")
        if r.status == 2 {
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        } else {
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let events = json?["events"] as? Int ?? 0
            let warnings = json?["warnings"] as? [String] ?? []
            XCTAssertGreaterThan(events, 0)
            if events < 12305 { XCTAssertTrue(warnings.contains { $0.contains("reading stopped") }, "\(warnings)") }
        }
    }

    func testDirectoryWithoutTraceIsAOneLineErrorWithExitStatus2() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-empty/sub")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        try Data("not a trace\n".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let r = try runKsleuth(["stats", dir.deletingLastPathComponent().path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no trace in it"), r.stderr)
    }

    /// A trace's `metadata` file (packetized or text) or one of its stream files stands for the whole trace.
    func testAFileOfATraceStandsForItsTrace() throws {
        for (trace, events) in [("tracecompass-test-traces/many-threads", 240_644), ("babeltrace/multi-domains-ust", 4000)] {
            let dir = try Repo.corpus("traces/ctf/" + trace)
            let stream = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir.path)
                .sorted().first { $0 != "metadata" && $0 != "index" })
            for file in ["metadata", stream] {
                let path = dir.appendingPathComponent(file).path
                XCTAssertEqual(try InputFormat.detect(path: path), .ctf, path)
                XCTAssertEqual(try StatsCollector.collect(path: path).events, events, path)
            }
        }
    }

    /// Like the babeltrace2 CLI, a directory holding several traces below it is read as one input.
    func testADirectoryOfTracesIsDiscovered() throws {
        let root = try Repo.corpus("traces/ctf/babeltrace")
        let found = LTTngReader.discover(root.path)
        XCTAssertTrue(found.contains { $0.hasSuffix("multi-domains-kernel") }, "\(found)")
        let pair = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-session")
        try FileManager.default.createDirectory(at: pair, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: pair) }
        for d in ["multi-domains-kernel", "multi-domains-ust"] {
            try FileManager.default.createSymbolicLink(at: pair.appendingPathComponent(d),
                                                       withDestinationURL: root.appendingPathComponent(d))
        }
        XCTAssertEqual(LTTngReader.discover(pair.path).count, 2)
        let s = try StatsCollector.collect(path: pair.path)
        XCTAssertEqual(s.events, 272 + 4000)
        XCTAssertEqual(s.outOfOrder, 0)
    }
}

/// Tests that need neither the corpus nor the peers: the prev_state tables and a trace written by the benchmark
/// generator (python3 only).
final class CTFGeneratedTests: XCTestCase {
    func testPrevStateNumbersBecomeTheLettersFtracePrintsForThatKernel() throws {
        let k415 = try XCTUnwrap(StateDecoder(kernelRelease: "4.15.0-65-generic"))
        XCTAssertEqual(k415.text(1026), "I", "TASK_UNINTERRUPTIBLE | TASK_NOLOAD (raw p->state) is TASK_IDLE")
        XCTAssertEqual(k415.text(0x100), "R+", "TASK_REPORT_MAX: preempted")
        XCTAssertEqual(k415.text(0x80), "I")
        XCTAssertEqual(k415.text(1), "S")
        XCTAssertEqual(k415.text(2), "D")
        XCTAssertEqual(k415.text(0), "R")
        let k44 = try XCTUnwrap(StateDecoder(kernelRelease: "4.4.3-1-ARCH"))
        XCTAssertEqual(k44.text(2048), "R+", "4.2-4.7 preempt bit")
        XCTAssertEqual(k44.text(64), "x")
        XCTAssertEqual(k44.text(2 | 1024), "D|N")
        let k310 = try XCTUnwrap(StateDecoder(kernelRelease: "3.10.31-ltsi"))
        XCTAssertEqual(k310.text(1024), "R+")
        XCTAssertEqual(k310.text(130), "D|K")
        let k61 = try XCTUnwrap(StateDecoder(kernelRelease: "6.1.0-13-amd64"))
        XCTAssertEqual(k61.text(0x40), "P")
        XCTAssertNil(StateDecoder(kernelRelease: "unknown"))
    }

    func testGeneratedLTTngTraceReadsWithFtraceNames() throws {
        guard let python = Tool.find("python3") else { throw XCTSkip("python3 is not installed") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-genctf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let gen = Repo.root.appendingPathComponent("Benchmarks/ctfgen.py").path
        let r = try Tool.run(python, [gen, dir.path, "20000", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try StatsCollector.collect(path: dir.path)
        XCTAssertEqual(s.events, 3 * 8192, "whole packets of 8192 events")
        XCTAssertEqual(s.description.cpuCount, 2)
        XCTAssertEqual(s.outOfOrder, 0)
        XCTAssertEqual(s.prevState.letterForms, ["R", "S", "D", "R+", "I"])
        XCTAssertEqual(s.tasks[1001]?.comm, "postgres")
        if let bt = Tool.find("babeltrace2") {
            XCTAssertEqual(try Tool.run(bt, [dir.path]).stdout.split(separator: "\n").count, s.events)
        }
        var reader = try LTTngReader(path: dir.path)
        let b = try XCTUnwrap(try reader.nextBatch())
        let sw = try XCTUnwrap(b.events.first { b.name($0) == "sched_switch" })
        XCTAssertTrue(b.payloadText(sw).hasPrefix("prev_comm=swapper/"), b.payloadText(sw))
        XCTAssertTrue(b.payloadText(sw).contains(" prev_pid=0 prev_prio=120 prev_state=R next_comm="), b.payloadText(sw))
        let wake = try XCTUnwrap(b.events.first { b.name($0) == "sched_waking" })
        let w = try XCTUnwrap(SchedWakeup.decode(b.storage.bytes(wake.payload)))
        XCTAssertEqual(w.prio, 120)
        XCTAssertEqual(w.targetCPU, wake.cpu)
    }
}

final class LTTngProbeTests: XCTestCase {
    func testLTTngProbeEventsTakeTheShapeProbeSiteReads() throws {
        func run(_ text: String, name: String) -> (EventKind?, String?, ProbeSite?) {
            var bytes = Array(text.utf8)
            return bytes.withUnsafeMutableBytes { b in
                let kind = LTTngProbe.kind(UnsafeRawBufferPointer(b), name: name)
                guard let n = LTTngProbe.rewrite(b.baseAddress!, UInt32(b.count)) else { return (kind, nil, nil) }
                let out = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[0..<n])
                return (kind, String(decoding: out, as: UTF8.self), ProbeSite.parse(out))
            }
        }
        let k = run("ip=0xffffffff8b96e720", name: "dsplice")
        XCTAssertEqual(k.0, .kprobe)
        XCTAssertEqual(k.1, "(0xffffffff8b96e720)")
        XCTAssertEqual(k.2?.address, 0xffffffff8b96e720)
        let r = run("ip=0xffffffff8b96e720 parent_ip=0xffffffff8b9f1343", name: "dsplice_return")
        XCTAssertEqual(r.0, .kretprobe)
        XCTAssertEqual(r.1, "(0xffffffff8b96e720 <- 0xffffffff8b9f1343)")
        XCTAssertEqual(r.2?.address, 0xffffffff8b96e720)
        XCTAssertEqual(r.2?.callerAddress, 0xffffffff8b9f1343)
        XCTAssertEqual(run("ip=0xffffffff8b96e720 parent_ip=0xffffffff8b9f1343", name: "dsplice_entry").0, .kprobe)
        XCTAssertNil(run("vec=4", name: "irq_softirq_entry").0)
        XCTAssertNil(run("ip=12 other=3", name: "x").0)
    }
}
