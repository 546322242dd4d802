import XCTest
@testable import TestSupport
import Foundation
import KSleuth
import TraceModel

final class StatsTests: XCTestCase {
    let demo = Repo.fixture("demo/lostwake-6.1.trace")

    /// Counts taken from the fixture's text by plain string matching, independent of the reader.
    func independentCounts(_ url: URL) throws -> (events: [String: Int], stackBlocks: Int, lines: Int) {
        let text = try String(contentsOf: url, encoding: .utf8)
        var names: [String: Int] = [:]
        var stacks = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for l in lines where !l.hasPrefix("#") && !l.hasPrefix(" =>") && !l.isEmpty {
            if l.hasSuffix("<stack trace>") { stacks += 1; continue }
            // `...  12.345678: name: payload`
            guard let r = l.range(of: #": [a-z_0-9]+:"#, options: .regularExpression) else { continue }
            names[String(l[r].dropFirst(2).dropLast()), default: 0] += 1
        }
        return (names, stacks, lines.count - (text.hasSuffix("\n") ? 1 : 0))
    }

    func testStatsOfTheDemoTraceMatchIndependentCounts() throws {
        let s = try StatsCollector.collect(path: demo.path, threads: 1)
        let expect = try independentCounts(demo)
        for (name, n) in expect.events {
            XCTAssertEqual(s.eventsByName[name], n, name)
        }
        // Each block is either attached to its event or kept as an orphan event; both carry the frames.
        XCTAssertEqual(s.kernelStacks, expect.stackBlocks)
        XCTAssertEqual(s.eventsByKind["stack"], s.eventsByName["<stack trace>"])
        XCTAssertEqual(s.counts.lines, expect.lines)
        XCTAssertEqual(s.counts.unparsedLines, 0)
        XCTAssertEqual(s.description.format, "tracefs trace")
        XCTAssertEqual(s.flagColumnsSeen, [5])
        XCTAssertEqual(s.prevState.inferred?.encoding, .v4_14)
        XCTAssertEqual(s.description.cpuCount, 2)
        let hang = try XCTUnwrap(s.eventsByName["sched_process_hang"])
        XCTAssertEqual(hang, 1, "the real hung-task watchdog fired once in this capture")
    }

    func testParallelAndSequentialStatsAgree() throws {
        // Build a file above the parallel threshold from the demo trace's own event lines.
        let body = try String(contentsOf: demo, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") + "\n"
        var text = "# tracer: nop\n"
        while text.utf8.count < Int(StatsCollector.parallelThreshold) + (1 << 20) { text += body }
        let url = try Repo.tempFile("parallel.trace", Array(text.utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let one = try StatsCollector.collect(path: url.path, threads: 1, chunkSize: 1 << 20)
        let two = try StatsCollector.collect(path: url.path, threads: 2, chunkSize: 1 << 20)
        XCTAssertEqual(two.threads, 2)
        XCTAssertEqual(one.events, two.events)
        XCTAssertEqual(one.eventsByName, two.eventsByName)
        XCTAssertEqual(one.counts, two.counts)
        XCTAssertEqual(one.kernelStacks, two.kernelStacks)
        XCTAssertEqual(one.tasks, two.tasks)
        XCTAssertEqual(one.firstTimestamp, two.firstTimestamp)
    }

    func testJSONReportHasTheDocumentedShape() throws {
        let s = try StatsCollector.collect(path: demo.path, threads: 1)
        let json = StatsReport(s).json()
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(obj["schema"] as? String, "ksleuth.stats/1")
        for key in ["input", "format", "eraHints", "timeSpan", "lines", "events", "eventsByName", "eventsByKind",
                    "topTasks", "cpus", "lostEventGaps", "stackTraces", "unparsed", "throughput"] {
            XCTAssertNotNil(obj[key], key)
        }
        let era = try XCTUnwrap(obj["eraHints"] as? [String: Any])
        XCTAssertEqual(era["flagColumns"] as? [Int], [5])
        XCTAssertEqual(era["prevStateEncoding"] as? String, "4.14+")
        let top = try XCTUnwrap(obj["topTasks"] as? [[String: Any]])
        XCTAssertEqual(top.count, 10)
    }

    func testFormatDetectionByContent() throws {
        XCTAssertEqual(InputFormat.detect(head: [0x17, 0x08, 0x44] + Array("tracing6\0".utf8)), .traceCmdDat(version: 6))
        XCTAssertEqual(InputFormat.detect(head: [0xC1, 0x1F, 0xFC, 0xC1, 0, 0]), .ctf)
        XCTAssertEqual(InputFormat.detect(head: [0x1F, 0x8B, 8, 0]), .compressed("gzip"))
        XCTAssertEqual(InputFormat.detect(head: [0x28, 0xB5, 0x2F, 0xFD, 1]), .compressed("zstd"))
        XCTAssertEqual(InputFormat.detect(head: Array("TRACE:\n".utf8) + [0x78, 0x9C]), .compressed("zlib (Android atrace)"))
        XCTAssertEqual(InputFormat.detect(head: Array("# tracer: nop\n".utf8)), .ftraceText)
        if case .binary = InputFormat.detect(head: [UInt8](repeating: 0, count: 512)) {} else { XCTFail("zeros are binary") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-ctf-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try InputFormat.detect(path: dir.path))
        try Data("/* CTF 1.8 */".utf8).write(to: dir.appendingPathComponent("metadata"))
        XCTAssertEqual(try InputFormat.detect(path: dir.path), .ctf)
    }
}
