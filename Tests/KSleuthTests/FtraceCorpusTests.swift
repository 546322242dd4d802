import XCTest
@testable import TestSupport
import Foundation
import FtraceText
import KSleuth
import TraceModel

/// Every real text trace of the shared corpus: no crash, and every line that has the shape of an event (checked
/// by a regular expression independent of the reader) is read as an event. Skipped when ../shared is absent.
final class FtraceCorpusTests: XCTestCase {
    /// `comm-pid [(tgid)] [cpu] [flags] timestamp: ` — Perfetto's systrace tokenizer shape, widened to counter clocks.
    static let eventShape = try! NSRegularExpression(
        pattern: #"-\d+\s+(\(\s*[\d-]+\)\s+)?\[\d+\]\s+([a-zA-Z.]{3}[0-9a-f.]{1,4}\s+)?\d+(\.\d+)?:\s"#)
    /// function_graph call lines: ` 0)   0.198 us    |  foo();`, `foo() {`, `}`.
    static let graphShape = try! NSRegularExpression(
        pattern: #"^\s*(\d+\.\d+ \|\s+)?\d+\)\s.*\|\s+([\w.]+\(\);|[\w.]+\(\) \{|\} ?(/\*.*\*/)?)\s*$"#)

    func traceFiles() throws -> [URL] {
        let root = try Repo.corpus("traces/ftrace")
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        var files: [URL] = []
        for case let u as URL in e where (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let n = u.lastPathComponent
            if n.hasSuffix(".source") || n.hasSuffix(".md") || n.hasSuffix(".yml") || n.hasSuffix(".json") { continue }
            files.append(u)
        }
        return files.sorted { $0.path < $1.path }
    }

    func testEveryEventShapedLineOfEveryCorpusTraceIsRead() throws {
        var checked = 0, events = 0, refused: [String] = []
        for url in try traceFiles() {
            let format = try InputFormat.detect(path: url.path)
            guard format == .ftraceText else {
                refused.append("\(url.lastPathComponent): \(format.name)")
                continue
            }
            var reader = try FtraceTextReader(path: url.path, chunkSize: 64 << 10)
            var eventLines = Set<Int>()
            while let b = try reader.nextBatch() {
                for e in b.events { eventLines.insert(e.lineNumber) }
            }
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            var missed: [String] = []
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                let r = NSRange(s.startIndex..., in: s)
                let isEvent = Self.eventShape.firstMatch(in: s, range: r) != nil && !s.contains("stack trace>")
                let isGraph = Self.graphShape.firstMatch(in: s, range: r) != nil
                if (isEvent || isGraph) && !eventLines.contains(i + 1) && missed.count < 5 {
                    missed.append("line \(i + 1): \(s.prefix(100))")
                }
            }
            XCTAssertEqual(missed, [], url.path)
            checked += 1
            events += eventLines.count
        }
        print("corpus: \(checked) text traces, \(events) events read; not text: \(refused.joined(separator: ", "))")
        XCTAssertGreaterThan(checked, 40)
    }

    /// trace-cmd's default, `-N` and `-R` renderings of one `.dat` are three different grammars for the same events.
    func testTheThreeReportRenderingsOfEachDatAgree() throws {
        let dats = try traceFiles().filter { $0.lastPathComponent.hasSuffix(".dat") }
        XCTAssertFalse(dats.isEmpty)
        for dat in dats {
            var counts: [String: Int] = [:]
            for suffix in [".report.txt", ".report-N.txt", ".report-R.txt"] {
                let path = dat.path + suffix
                guard FileManager.default.fileExists(atPath: path) else { continue }
                let s = try StatsCollector.collect(path: path, threads: 1)
                XCTAssertEqual(s.counts.unparsedLines, 0, path)
                counts[suffix] = s.events
            }
            XCTAssertEqual(counts.count, 3, dat.path)
            XCTAssertEqual(Set(counts.values).count, 1, "\(dat.lastPathComponent): \(counts)")
            print("corpus: \(dat.lastPathComponent) reports agree on \(counts.values.first ?? 0) events")
        }
    }
}
