import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces
@testable import KnownBugs

/// `match --json` is written by hand (`MatchJSONWriter`) instead of JSONEncoder; these tests hold it to the
/// encoder's exact bytes on real inputs, and to being valid JSON.
final class JSONWriterTests: XCTestCase {
    static let matcher = Matcher(database: try! KnownBugDatabase.bundled())

    private func check(_ bytes: [UInt8], name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let extraction = try ReportExtractor().extract(bytes: bytes)
        let text = extraction.reports.isEmpty ? String(decoding: bytes, as: UTF8.self) : nil
        let a = MatchAnalysis(input: name, extraction: extraction, matcher: Self.matcher, text: text)
        let written = MatchReportRenderer.json(a)
        XCTAssertEqual(written, MatchReportRenderer.jsonViaEncoder(a), "\(name): hand-written JSON differs from JSONEncoder's",
                       file: file, line: line)
        let parsed = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["schema"] as? String, "ksleuth.match/1", name, file: file, line: line)
        XCTAssertEqual((parsed?["reports"] as? [Any])?.count, extraction.reports.count, name, file: file, line: line)
    }

    func testFixturesMatchTheEncoder() throws {
        let dir = SharedCorpus.fixtures
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 20)
        for f in files {
            try check(Array(try Data(contentsOf: dir.appendingPathComponent(f))), name: f)
        }
    }

    func testSeedsMatchTheEncoder() throws {
        let dir = try SharedCorpus.seeds()
        let files = (FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
            .filter { !$0.hasDirectoryPath && $0.pathExtension == "txt" }.sorted { $0.path < $1.path }
        XCTAssertFalse(files.isEmpty)
        for f in files { try check(Array(try Data(contentsOf: f)), name: f.lastPathComponent) }
    }

    /// A syzkaller report whose task name is binary garbage (control characters in `comm`).
    func testCorpusReportWithControlCharacters() throws {
        let dir = try SharedCorpus.directory("syzkaller/report")
        try check(Array(try Data(contentsOf: dir.appendingPathComponent("239"))), name: "239")
    }

    /// Escaping: quotes, backslashes, slashes, tabs, other control characters and non-ASCII in titles, frames and
    /// the input name; an empty input (no reports, empty arrays) and a report without a task.
    func testEscapingAndEmptyCollections() throws {
        let warning = """
        [   10.000000] WARNING: CPU: 0 PID: 1 at fs/a\\b"c/d.c:12 f\u{1}\u{1f}é\tx+0x1/0x2
        [   10.000001] Modules linked in: "quoted" \\back/slash
        [   10.000002] CPU: 0 PID: 1 Comm: a\u{1}"b\\c/d\u{1f}\u{7f}é\tz Not tainted 6.1.0 #1
        [   10.000003] RIP: 0010:f_é+0x1/0x2
        [   10.000004] Call Trace:
        [   10.000005]  <TASK>
        [   10.000006]  g\u{8}h+0x1/0x2
        [   10.000007]  do_syscall_64+0x1/0x2
        [   10.000008]  </TASK>
        [   10.000009] ---[ end trace 0000000000000000 ]---

        """
        try check(Array(warning.utf8), name: "in/put \"name\"\\with\u{c}controls")
        let r = try ReportExtractor().extract(bytes: Array(warning.utf8)).reports
        XCTAssertEqual(r.first?.task?.comm, "a\u{1}\"b\\c/d\u{1f}\u{7f}é\tz", "the escaping case reaches the output")
        try check([], name: "<stdin>")
        try check(Array("no report here, only prose about xlog_wait and l_flush_wait\n".utf8), name: "mail.txt")
    }
}
