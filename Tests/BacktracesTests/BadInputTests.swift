import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces

/// Hostile input: never crash, never hang, bounded memory; the caller gets "no reports" or a clear error.
final class BadInputTests: XCTestCase {
    let extractor = ReportExtractor()

    func testEmptyInputHasNoReports() throws {
        let ex = try extractor.extract(bytes: [])
        XCTAssertEqual(ex.reports.count, 0)
        XCTAssertEqual(ex.lineCount, 0)
        XCTAssertEqual(try extractor.extract(bytes: Array("\n\n\n".utf8)).reports.count, 0)
    }

    func testBinaryInputIsRefused() {
        var rng = SystemRandomNumberGenerator()
        let garbage = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        XCTAssertThrowsError(try extractor.extract(bytes: garbage)) { e in
            guard case InputError.binary = e else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("binary"))
        }
    }

    func testInvalidUTF8TextStillParses() throws {
        var bytes = Array("BUG: kernel NULL pointer dereference, address: 0000000000000010\nRIP: 0010:foo_bar+0x10/0x20\nCall Trace:\n foo_bar+0x10/0x20\n baz_qux+0x1/0x2\n".utf8)
        bytes.insert(contentsOf: [0xC3, 0x28, 0xFF, 0xFE], at: 10)
        let ex = try extractor.extract(bytes: bytes)
        XCTAssertEqual(ex.reports.count, 1)
    }

    func testHugeLinesAreCutAndReported() throws {
        var text = String(repeating: "A", count: 3_000_000)
        text += "\nkernel BUG at fs/x.c:1!\ninvalid opcode: 0000 [#1] SMP\nRIP: 0010:foo_bar+0x10/0x20\nCall Trace:\n foo_bar+0x10/0x20\n baz_qux+0x1/0x2\n"
        let start = Date()
        let ex = try extractor.extract(bytes: Array(text.utf8))
        XCTAssertTrue(ex.truncated, "the 3 MB line was cut")
        XCTAssertEqual(ex.reports.map(\.title), ["kernel BUG in foo_bar"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testManyHeadersDoNotGoQuadratic() throws {
        // 20,000 one-line "reports": each must end at the next one, so the work stays linear.
        let line = "WARNING: CPU: 0 PID: 1 at fs/x.c:1 foo+0x1/0x2\n"
        let text = String(repeating: line, count: 20_000)
        let start = Date()
        let ex = try extractor.extract(bytes: Array(text.utf8))
        XCTAssertEqual(ex.reports.count, 20_000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    func testLineLimitTruncates() throws {
        var limits = ExtractionLimits()
        limits.maxLines = 10
        let ex = try ReportExtractor(limits: limits).extract(bytes: Array(String(repeating: "x\n", count: 100).utf8))
        XCTAssertTrue(ex.truncated)
        XCTAssertEqual(ex.lineCount, 10)
    }
}

final class LongReportTests: XCTestCase {
    /// A report longer than the parser's line cap must not hide the reports after it.
    func testReportAfterAVeryLongReportIsFound() throws {
        var text = "WARNING: CPU: 0 PID: 1 at fs/x.c:1 first_fn+0x1/0x2\nCall Trace:\n first_fn+0x1/0x2\n caller_fn+0x1/0x2\n"
        text += String(repeating: "some unrelated console chatter line\n", count: ConsoleParser.maxReportLines + 100)
        text += "kernel BUG at fs/y.c:2!\ninvalid opcode: 0000 [#1] SMP\nRIP: 0010:second_fn+0x1/0x2\nCall Trace:\n second_fn+0x1/0x2\n other_fn+0x1/0x2\n"
        let ex = try ReportExtractor().extract(bytes: Array(text.utf8))
        XCTAssertEqual(ex.reports.map(\.title), ["WARNING in first_fn", "kernel BUG in second_fn"])
    }
}
