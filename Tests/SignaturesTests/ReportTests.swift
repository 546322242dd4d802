import Foundation
import XCTest
import Reports
import Signatures

final class ReportTests: XCTestCase {
    func results() throws -> [AnalysisResult] {
        [try analyze("Fixtures/traces/lost-wakeup/buggy-proc-6.1.trace"),
         try analyze("Fixtures/traces/lost-wakeup/correct-proc-6.1.trace")]
    }

    func testJSONFollowsTheDocumentedSchema() throws {
        let text = HangReport.render(try results(), format: .json)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(root["schema"] as? String, "ksleuth.analyze/1")
        let inputs = try XCTUnwrap(root["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputs.count, 2)
        XCTAssertEqual((inputs[1]["findings"] as? [Any])?.count, 0)
        let f = try XCTUnwrap((inputs[0]["findings"] as? [[String: Any]])?.first)
        for key in ["signature", "title", "verdict", "confidence", "confidence_reasons", "would_raise", "would_lower",
                    "tasks", "objects", "since_ns", "last_touch", "evidence", "timeline", "timeline_trimmed",
                    "kernel_stack", "upstream_fixes", "lost_events"] {
            XCTAssertNotNil(f[key], "finding key \(key)")
        }
        XCTAssertEqual(f["signature"] as? String, "lost-wakeup")
        let ev = try XCTUnwrap(f["evidence"] as? [[String: Any]])
        XCTAssertTrue(ev.allSatisfy { ($0["line"] as? Int ?? 0) > 0 && $0["text"] is String })
        let tasks = try XCTUnwrap(f["tasks"] as? [[String: Any]])
        XCTAssertEqual(tasks.first?["pid"] as? Int, 137)
    }

    func testTextReportCarriesVerdictEvidenceTimelineAndStack() throws {
        let text = HangReport.render([try analyze("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace")], format: .text)
        XCTAssertTrue(text.contains("[1] lost-wakeup: Lost wake-up  (confidence: high)"))
        XCTAssertTrue(text.contains("tasks:   lw_waiter-139 (waiter, D), lw_waker-140 (waker)"))
        XCTAssertTrue(text.contains("    evidence:\n      line "))
        XCTAssertTrue(text.contains("timeline of waitqueue:0xff271bc27ff52300"))
        XCTAssertTrue(text.contains("kernel stack of the blocked task:\n      schedule\n      lw_waiter_fn"))
        let clean = HangReport.render([try analyze("Fixtures/traces/lost-wakeup/correct-wq-6.1.trace")], format: .text)
        XCTAssertTrue(clean.contains("No findings"))
    }

    func testMarkdownHasOneSectionPerFinding() throws {
        let md = HangReport.render(try results(), format: .markdown)
        XCTAssertEqual(md.components(separatedBy: "\n### ").count - 1, 1)
        XCTAssertTrue(md.contains("### 1. `lost-wakeup`"))
        XCTAssertTrue(md.contains("| tasks | lw_waiter-137 (waiter)"))
    }
}
