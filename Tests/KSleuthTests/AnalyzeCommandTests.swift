import XCTest
@testable import TestSupport
import Foundation

/// `ksleuth analyze` / `timeline` / `objects` / `signatures` / `recipe` through the executable: exit codes 0 clean,
/// 3 findings, 2 unusable input (one line on stderr naming it), output formats.
final class AnalyzeCommandTests: XCTestCase {
    func fixture(_ p: String) -> String { Repo.fixture("traces/" + p).path }

    func testFindingsExitThreeAndCleanTracesExitZero() throws {
        let hit = try runKsleuth(["analyze", fixture("lost-wakeup/buggy-wq-6.1.trace")])
        XCTAssertEqual(hit.status, 3, hit.stderr)
        XCTAssertTrue(hit.stdout.contains("[1] lost-wakeup: Lost wake-up  (confidence: high)"), hit.stdout)
        let clean = try runKsleuth(["analyze", fixture("lost-wakeup/correct-wq-6.1.trace")])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.contains("No findings"))
    }

    func testUnusableInputExitsTwoWithOneLine() throws {
        let prose = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-prose.txt")
        try Data("Dear list,\nthe machine hung again.\n".utf8).write(to: prose)
        defer { try? FileManager.default.removeItem(at: prose) }
        for args in [["analyze", prose.path], ["analyze", "/nonexistent/trace"]] {
            let r = try runKsleuth(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stdout)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(args[1]), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testJSONAndMarkdown() throws {
        let j = try runKsleuth(["analyze", "--json", fixture("double-d-splice/dsplice-same-6.1.trace")])
        XCTAssertEqual(j.status, 3)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["schema"] as? String, "ksleuth.analyze/1")
        let m = try runKsleuth(["analyze", "--format", "markdown", fixture("double-d-splice/dsplice-same-6.1.trace")])
        XCTAssertTrue(m.stdout.contains("### 1. `double-d-splice`"), m.stdout)
    }

    func testTimelineObjectsSignaturesRecipe() throws {
        let t = try runKsleuth(["timeline", fixture("lost-wakeup/buggy-wq-6.1.trace"), "--object", "waitqueue:0xff271bc27ff52300"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.hasPrefix("waitqueue:0xff271bc27ff52300: 2 action(s)"), t.stdout)
        XCTAssertTrue(t.stdout.contains("line 195  cpu 0  lw_waiter-139  enqueue"), t.stdout)
        let lock = try runKsleuth(["timeline", fixture("lock-inversion/netfs-readpage-write-5.15.trace"),
                                   "--object", "lock:&mm->mmap_lock#2"])
        XCTAssertTrue(lock.stdout.hasPrefix("lock:&mm->mmap_lock#2: 4 action(s)"), lock.stdout)
        let bad = try runKsleuth(["timeline", fixture("lost-wakeup/buggy-wq-6.1.trace"), "--object", "nonsense"])
        XCTAssertNotEqual(bad.status, 0)
        let o = try runKsleuth(["objects", fixture("lost-wakeup/buggy-wq-6.1.trace"), "--kind", "waitqueue"])
        XCTAssertTrue(o.stdout.hasPrefix("waitqueue: "), o.stdout)
        let s = try runKsleuth(["signatures", "--short"])
        XCTAssertEqual(s.stdout.split(separator: "\n").map(String.init),
                       ["lost-wakeup", "stall", "hung-task", "fscache-waiter-empty-backing", "use-after-relinquish",
                        "lock-inversion", "double-d-splice"])
        let r = try runKsleuth(["recipe", "double-d-splice"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("echo 'p:ksleuth/dsplice d_splice_alias inode=%di dentry=%si' >> $T/kprobe_events"), r.stdout)
        XCTAssertTrue(r.stdout.contains("trace-cmd record"))
        XCTAssertNotEqual(try runKsleuth(["recipe", "no-such-signature"]).status, 0)
    }
}
