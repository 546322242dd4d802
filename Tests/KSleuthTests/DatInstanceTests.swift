import XCTest
@testable import TestSupport
import Foundation
import FtraceText
import KSleuth
import TraceDatReader
import TraceModel

/// `.dat` files holding a top-level buffer and a buffer instance (`trace-cmd record -B wakeups`): real captures of
/// the Debian 6.1 kernel, v7 (compressed) and v6, in Fixtures/traces/dat (README there). Every buffer is read, each
/// event says which buffer it came from, and the counts per buffer are those of `trace-cmd report`, whose lines of an
/// instance start with `NAME:`.
final class DatInstanceTests: XCTestCase {
    static let fixtures = ["instances-6.1-v7.dat", "instances-6.1-v6.dat"]
    static let topEvents: Set<String> = ["sched_switch", "sched_process_exec"]
    static let instanceEvents: Set<String> = ["sched_waking", "sched_wakeup", "sched_process_fork"]

    func fixture(_ name: String) -> URL { Repo.fixture("traces/dat/" + name) }

    /// The report text: trace-cmd's own when it is installed (and then it must equal the committed copy), else the
    /// copy committed beside the fixture.
    func reportN(_ dat: URL) throws -> String {
        let saved = try String(contentsOf: URL(fileURLWithPath: dat.path + ".report-N.txt"), encoding: .utf8)
        if let traceCmd = Tool.find("trace-cmd") {
            let r = try Tool.run(traceCmd, ["report", "-N", "-i", dat.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, saved, "trace-cmd report -N of \(dat.lastPathComponent) changed")
            return r.stdout
        }
        return saved
    }

    /// Event lines per buffer, counted straight from trace-cmd's text (not through ksleuth's text reader): lines
    /// with a `[CPU]` column, `NAME:` first for an instance, blanks first for the top-level buffer.
    func linesPerBuffer(_ report: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in report.split(separator: "\n") where line.contains("] ") && !line.hasPrefix("cpus=") {
            let first = line.split(separator: " ", maxSplits: 1).first ?? ""
            let buffer = line.first != " " && first.hasSuffix(":") ? String(first.dropLast()) : "(top)"
            out[buffer, default: 0] += 1
        }
        return out
    }

    func eventsPerBuffer(_ dat: URL) throws -> (counts: [String: Int], names: [String: Set<String>], ordered: Bool) {
        var r = try TraceDatReader(path: dat.path)
        XCTAssertEqual(r.instances, ["wakeups"])
        var counts: [String: Int] = [:]
        var names: [String: Set<String>] = [:]
        var last = Int64.min
        var ordered = true
        while let b = try r.nextBatch() {
            for e in b.events {
                let buffer = b.buffer(e) ?? "(top)"
                counts[buffer, default: 0] += 1
                names[buffer, default: []].insert(b.name(e))
                if e.timestamp < last { ordered = false }
                last = e.timestamp
            }
        }
        return (counts, names, ordered)
    }

    func testEveryBufferIsReadWithTheCountsTraceCmdReports() throws {
        for name in Self.fixtures {
            let dat = fixture(name)
            let expected = linesPerBuffer(try reportN(dat))
            let got = try eventsPerBuffer(dat)
            XCTAssertEqual(got.counts, expected, name)
            XCTAssertEqual(Set(got.counts.keys), ["(top)", "wakeups"], name)
            XCTAssertGreaterThan(got.counts["wakeups"] ?? 0, 100, name)
            // Each buffer holds only the events enabled in it: the instance tag is not lost or mixed up.
            XCTAssertEqual(got.names["(top)"], Self.topEvents, name)
            XCTAssertEqual(got.names["wakeups"], Self.instanceEvents, name)
            XCTAssertTrue(got.ordered, "\(name): buffers merged in timestamp order")
        }
    }

    /// `stats` over the `.dat` and over its `trace-cmd report -N` text agree, including the events per buffer (the
    /// text reader takes the buffer from the `NAME:` tag, not into the comm).
    func testStatsOfTheDatEqualStatsOfItsReportN() throws {
        for name in Self.fixtures {
            let dat = fixture(name)
            let report = try Repo.tempFile("\(name).report-N.txt", Array(try reportN(dat).utf8))
            defer { try? FileManager.default.removeItem(at: report) }
            let binary = try StatsCollector.collect(path: dat.path)
            let text = try StatsCollector.collect(path: report.path, threads: 1)
            XCTAssertEqual(binary.events, text.events, name)
            XCTAssertEqual(binary.eventsByName, text.eventsByName, name)
            XCTAssertEqual(binary.tasks, text.tasks, name)
            XCTAssertEqual(binary.eventsByCPU, text.eventsByCPU, name)
            XCTAssertEqual(binary.prevState, text.prevState, name)
            XCTAssertEqual(binary.gapCount, text.gapCount, name)
            XCTAssertEqual(binary.eventsByInstance, text.eventsByInstance, name)
            XCTAssertEqual(binary.eventsByInstance.keys.sorted(), ["wakeups"], name)
            XCTAssertFalse(text.tasks.values.contains { $0.comm.contains("wakeups") }, "\(name): tag kept out of comms")
        }
    }

    /// Event by event, in the same order: timestamp (µs), CPU, pid, comm, name, payload and buffer.
    func testEveryEventEqualsItsReportNLineWithItsBuffer() throws {
        for name in Self.fixtures {
            let dat = fixture(name)
            let report = try Repo.tempFile("\(name).lines.txt", Array(try reportN(dat).utf8))
            defer { try? FileManager.default.removeItem(at: report) }
            let bin = try flat(TraceDatReader(path: dat.path), text: false)
            let txt = try flat(FtraceTextReader(path: report.path), text: true)
            XCTAssertEqual(bin.count, txt.count, name)
            let diff = zip(bin, txt).filter { $0 != $1 }.prefix(3).map { "\n  dat: \($0)\n  txt: \($1)" }
            XCTAssertEqual(diff, [], name)
        }
    }

    func flat<S: TraceSource>(_ source: S, text: Bool) throws -> [String] {
        var s = source
        var out: [String] = []
        while let b = try s.nextBatch() {
            for e in b.events {
                let usec = (e.timestamp + (text ? 0 : 500)) / 1000
                let payload = b.payloadText(e).split(separator: " ").joined(separator: " ")
                out.append("\(b.buffer(e) ?? "-") \(usec) [\(e.cpu)] \(b.comm(e))-\(e.pid) \(b.name(e)): \(payload)")
            }
        }
        return out
    }

    func testStatsCommandPrintsTheBuffers() throws {
        let dat = fixture("instances-6.1-v7.dat")
        let r = try runKsleuth(["stats", dat.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("buffers       top 150, wakeups 151 (merged by timestamp)"), r.stdout)
        let j = try runKsleuth(["stats", "--json", dat.path])
        let json = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let buffers = try XCTUnwrap(json?["eventsByBuffer"] as? [[String: Any]])
        XCTAssertEqual(buffers.map { $0["name"] as? String }, ["(top)", "wakeups"])
        XCTAssertEqual(buffers.map { $0["count"] as? Int }, [150, 151])
        // A trace without instances has no such key.
        let plain = try runKsleuth(["stats", "--json", Repo.fixture("traces/lost-wakeup/tc-buggy-wq-6.1.dat").path])
        XCTAssertFalse(plain.stdout.contains("eventsByBuffer"), plain.stdout)
    }

    /// The text reader alone: `NAME:` before the task column is the buffer; a comm with a colon is not a tag.
    func testTextReaderTakesTheInstanceTagOutOfTheTaskColumn() throws {
        let text = """
        cpus=2
                          kworker/1:0-22    [001]    15.100000: sched_switch:         prev_comm=kworker/1:0 prev_pid=22 prev_prio=120 prev_state=I ==> next_comm=swapper/1 next_pid=0 next_prio=120
        wakeups:           <idle>-0     [000]    15.149491: sched_wakeup:         comm=rcu_preempt pid=15 prio=120 target_cpu=000
        wakeups:      kworker/1:0-22    [001]    15.149500: sched_waking:         comm=sh pid=107 prio=120 target_cpu=001

        """
        var r = FtraceTextReader(text: text)
        var seen: [String] = []
        while let b = try r.nextBatch() {
            for e in b.events { seen.append("\(b.buffer(e) ?? "-") \(b.comm(e))-\(e.pid) \(b.name(e))") }
        }
        XCTAssertEqual(seen, ["- kworker/1:0-22 sched_switch", "wakeups <idle>-0 sched_wakeup",
                              "wakeups kworker/1:0-22 sched_waking"])
    }
}
