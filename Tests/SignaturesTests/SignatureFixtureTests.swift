import XCTest
import Signatures
import TraceModel

/// The one generic test: every signature's own triggering fixtures yield exactly its finding, its benign twins
/// yield none (SwiftLint-rule style: a new signature is tested by listing its fixtures in its description).
final class SignatureFixtureTests: XCTestCase {
    func testEverySignatureDescribesItselfAndHasFixturePairs() {
        var ids: Set<String> = []
        for s in SignatureCatalog.all {
            let i = s.info
            XCTAssertTrue(ids.insert(i.id).inserted, "duplicate id \(i.id)")
            XCTAssertFalse(i.title.isEmpty, i.id)
            XCTAssertGreaterThan(i.explanation.count, 100, "\(i.id) explains itself")
            XCTAssertFalse(i.requiredEvents.isEmpty, i.id)
            XCTAssertFalse(i.recipe.tracepoints.isEmpty, i.id)
            XCTAssertFalse(i.lookAlikes.isEmpty, "\(i.id) names its benign look-alikes")
            XCTAssertFalse(i.triggeringFixtures.isEmpty, "\(i.id) has a triggering fixture")
            XCTAssertFalse(i.benignFixtures.isEmpty, "\(i.id) has a benign fixture")
            for k in i.recipe.kprobes {
                XCTAssertTrue(k.hasPrefix("p:") || k.hasPrefix("r:"), "\(i.id): kprobe definition \(k)")
            }
        }
    }

    func testTriggeringFixturesYieldExactlyTheirFinding() throws {
        for s in SignatureCatalog.all {
            for fixture in s.info.triggeringFixtures {
                let text = try XCTUnwrap(readText(path(fixture)), "\(fixture) exists")
                XCTAssertTrue(text.hasPrefix("# "), "\(fixture) opens with a header comment naming its era")
                let r = try analyze(fixture)
                XCTAssertEqual(Set(r.findings.map(\.signature)), [s.info.id],
                               "\(fixture): \(r.findings.map { "\($0.signature): \($0.verdict)" })")
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for f in r.findings {
                    XCTAssertFalse(f.evidence.isEmpty, "\(fixture): evidence")
                    XCTAssertFalse(f.tasks.isEmpty, "\(fixture): tasks")
                    XCTAssertFalse(f.confidenceReasons.isEmpty, "\(fixture): confidence reasons")
                    XCTAssertNotNil(f.since, "\(fixture): since")
                    // Every evidence line points at the very input line it quotes.
                    for e in f.evidence {
                        XCTAssertGreaterThan(e.lineNumber, 0)
                        XCTAssertLessThanOrEqual(e.lineNumber, lines.count)
                        let source = String(lines[e.lineNumber - 1])
                        let payload = e.text.split(separator: ":", maxSplits: 1).last.map(String.init) ?? e.text
                        XCTAssertTrue(source.contains(payload.trimmingCharacters(in: .whitespaces)),
                                      "\(fixture):\(e.lineNumber) quotes `\(e.text)` but the line is `\(source)`")
                        XCTAssertTrue(source.contains("-\(e.pid) "), "\(fixture):\(e.lineNumber) pid \(e.pid)")
                    }
                }
            }
        }
    }

    func testBenignTwinsYieldNoFinding() throws {
        for s in SignatureCatalog.all {
            for fixture in s.info.benignFixtures {
                XCTAssertNotNil(readText(path(fixture)), "\(fixture) exists")
                let r = try analyze(fixture)
                XCTAssertEqual(r.findings.map(\.signature), [],
                               "\(fixture): \(r.findings.map { "\($0.signature): \($0.verdict)" })")
            }
        }
    }
}
