import XCTest
@testable import TestSupport
import FtraceText
import KSleuth
import Signatures

/// A hang found in a trace is matched against the known-bug database through its blocked task's kernel stack.
final class KnownBugLinkerTests: XCTestCase {
    func analyze(_ fixture: String) throws -> AnalysisResult {
        var reader = try FtraceTextReader(path: Repo.fixture(fixture).path)
        var results = [try Analyzer(options: AnalysisOptions()).analyze(&reader, name: fixture)]
        try KnownBugLinker().annotate(&results)
        return results[0]
    }

    func testFscacheWaiterStackCitesTheEnablementVsDropFix() throws {
        let r = try analyze("traces/fscache-waiter-empty-backing/lcfl-enable-drop-4.19.trace")
        let f = try XCTUnwrap(r.findings.first { $0.signature == "fscache-waiter-empty-backing" })
        XCTAssertTrue(f.kernelStack.contains("fscache_wait_for_deferred_lookup"))
        let k = try XCTUnwrap(f.knownBugs.first)
        XCTAssertTrue(k.citation.hasPrefix("c5a94f43 (\"fscache: fix race between enablement and dropping of object\")"),
                      k.citation)
        XCTAssertGreaterThanOrEqual(k.score, 0.6)
        XCTAssertTrue(k.why.contains { $0.contains("fscache_wait_for_deferred_lookup") }, "\(k.why)")
    }

    func testAStackOfGenericFramesAndTestModuleCodeClaimsNoKnownBug() throws {
        // The lab's lost wake-up sleeps in its own test module (schedule, lw_waiter_fn, kthread): no entry fits.
        let r = try analyze("demo/lostwake-6.1.trace")
        let f = try XCTUnwrap(r.findings.first { $0.signature == "lost-wakeup" })
        XCTAssertFalse(f.kernelStack.isEmpty)
        XCTAssertEqual(f.knownBugs, [])
    }

    func testFindingsWithoutAStackAreLeftAlone() throws {
        var f = Finding(signature: "stall", title: "t", verdict: "v", confidence: .low)
        f.kernelStack = []
        XCTAssertEqual(try KnownBugLinker().link(f), [])
    }
}
