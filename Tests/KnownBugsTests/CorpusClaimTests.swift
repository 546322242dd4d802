import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces
@testable import KnownBugs

/// The syzkaller testdata reports are real crashes, none of them one of the database's bugs (checked by hand when
/// this test was written: the corpus has no fscache/netfs/cachefiles, nfs_atomic_open or xlog_* reports). Any
/// claim above the threshold there is a false claim.
final class CorpusClaimTests: XCTestCase {
    func testNoKnownBugIsClaimedForSyzkallerReports() throws {
        let files = try SharedCorpus.files("syzkaller/report").filter { Int($0.lastPathComponent) != nil }
        let matcher = Matcher(database: try KnownBugDatabase.bundled())
        let extractor = ReportExtractor()
        var reports = 0, candidates = 0
        var claims: [String] = []
        var closest: (Double, String) = (0, "")
        for url in files {
            let c = SyzkallerCase(name: url.lastPathComponent, text: try String(contentsOf: url, encoding: .utf8))
            for r in extractor.extract(text: c.log).reports {
                reports += 1
                let ranked = matcher.rank(r)
                candidates += ranked.count
                if let top = ranked.first, top.score > closest.0 {
                    closest = (top.score, "\(c.name) \"\(r.title)\" -> \(top.bug.id)")
                }
                for m in ranked where m.aboveThreshold {
                    claims.append("\(c.name): \"\(r.title)\" claimed as \(m.bug.id) (\(m.score)): \(m.why.joined(separator: "; "))")
                }
            }
        }
        print("syzkaller corpus: \(reports) reports, \(candidates) scored candidates, \(claims.count) known-bug claims above \(matcher.threshold)")
        print("syzkaller corpus: closest candidate \(String(format: "%.2f", closest.0)) (\(closest.1))")
        for c in claims { print("  claim \(c)") }
        XCTAssertGreaterThan(reports, 500)
        XCTAssertEqual(claims.count, 0, "false known-bug claims on the syzkaller corpus")
    }
}
