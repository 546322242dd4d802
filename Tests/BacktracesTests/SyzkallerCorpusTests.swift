import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces

/// The syzkaller `pkg/report` Linux test data (563 real console logs with expected titles) as an accuracy
/// benchmark for report detection and canonical titles.
final class SyzkallerCorpusTests: XCTestCase {
    func testTitleAccuracyOnSyzkallerReports() throws {
        let files = try SharedCorpus.files("syzkaller/report").filter { Int($0.lastPathComponent) != nil }
        XCTAssertGreaterThan(files.count, 100)
        let extractor = ReportExtractor()
        var clean = 0, exact = 0, relaxed = 0, detectOK = 0, crashes = 0, corruptFlagOK = 0
        var misses: [String] = []
        for url in files {
            let data = try Data(contentsOf: url)
            let c = SyzkallerCase(name: url.lastPathComponent, text: String(decoding: data, as: UTF8.self))
            let ex = extractor.extract(text: c.log)
            let first = ex.reports.first(where: { $0.source == "console" })
            if (first != nil) == (c.title != nil) { detectOK += 1 }
            guard let title = c.title else { continue }
            crashes += 1
            if let first, first.corrupted == c.corrupted { corruptFlagOK += 1 }
            if c.corrupted { continue }
            clean += 1
            let got = first?.title ?? "<none>"
            if got == title { exact += 1 }
            if got == title || c.alts.contains(got) || (first?.altTitles.contains(title) ?? false) { relaxed += 1 }
            else { misses.append("\(c.name): want \"\(title)\" got \"\(got)\"") }
        }
        let pct = { (a: Int, b: Int) in String(format: "%.1f%%", 100 * Double(a) / Double(max(b, 1))) }
        print("syzkaller corpus: \(files.count) files, detection \(detectOK)/\(files.count) (\(pct(detectOK, files.count)))")
        print("syzkaller corpus: exact title \(exact)/\(clean) (\(pct(exact, clean))), relaxed (TITLE/ALT) \(relaxed)/\(clean) (\(pct(relaxed, clean))) on non-corrupted reports")
        print("syzkaller corpus: corrupted flag agrees on \(corruptFlagOK)/\(crashes) (\(pct(corruptFlagOK, crashes)))")
        for m in misses.prefix(60) { print("  miss \(m)") }
        XCTAssertGreaterThanOrEqual(Double(exact) / Double(max(clean, 1)), 0.90, "exact-title accuracy below 90%")
    }
}
