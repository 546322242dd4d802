import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces

/// Runs every fixture in Fixtures/backtraces: the header says what the extractor must find (syzkaller testdata
/// style); one test, all files.
final class FixtureTests: XCTestCase {
    func testEveryFixtureExtractsWhatItsHeaderSays() throws {
        let fixtures = try Fixture.all()
        XCTAssertGreaterThanOrEqual(fixtures.count, 15)
        let extractor = ReportExtractor()
        for f in fixtures {
            XCTAssertNotNil(f.kernel, "\(f.name): the header must name the kernel version it imitates")
            let ex = try extractor.extract(bytes: Array(f.body.utf8))
            let expected = f.reports ?? f.titles.count
            XCTAssertEqual(ex.reports.count, expected, "\(f.name): report count; got \(ex.reports.map(\.title))")
            for (i, title) in f.titles.enumerated() where i < ex.reports.count {
                XCTAssertEqual(ex.reports[i].title, title, "\(f.name): title of report \(i + 1)")
                XCTAssertFalse(ex.reports[i].corrupted, "\(f.name): report \(i + 1) flagged corrupted: \(ex.reports[i].corruptedReason ?? "")")
            }
            for (i, kind) in f.kinds.enumerated() where i < ex.reports.count {
                XCTAssertEqual(ex.reports[i].kind.rawValue, kind, "\(f.name): kind of report \(i + 1)")
            }
            for (i, chain) in f.chains.enumerated() where i < ex.reports.count {
                XCTAssertEqual(ex.reports[i].lockChain.joined(separator: " --> "), chain, "\(f.name): lock chain")
                XCTAssertEqual(ex.reports[i].lockLinks.count, chain.components(separatedBy: " --> ").count,
                               "\(f.name): one lockdep link per class in the chain")
            }
            for (i, b) in f.blockedOn.enumerated() where i < ex.reports.count {
                XCTAssertEqual(ex.reports[i].blockedOn, b, "\(f.name): blocked-on of report \(i + 1)")
            }
            for value in f.correlate {
                let v = UInt64(value.dropFirst(2), radix: 16)
                XCTAssertTrue(ex.correlations.contains { $0.value == v && $0.sites.count >= 2 },
                              "\(f.name): \(value) must be named as shared between reports")
            }
            for r in ex.reports {
                XCTAssertLessThanOrEqual(r.startLine, r.endLine, "\(f.name): span")
                XCTAssertLessThan(r.endLine, ex.lineCount, "\(f.name): span inside the input")
                if !r.corrupted { XCTAssertFalse(r.primaryStack.isEmpty, "\(f.name): \(r.title) has no frames") }
            }
        }
    }
}

final class FormatTableTests: XCTestCase {
    func testBundledTableLoadsAndCoversTheFamilies() {
        let t = FormatTable.linux
        let headers = Set(t.families.map(\.header))
        for h in ["BUG: KASAN:", "BUG: KMSAN:", "BUG:", "WARNING:", "INFO:", "general protection fault", "kernel BUG at ",
                  "Kernel panic - not syncing", "UBSAN:", "Unable to handle kernel"] {
            XCTAssertTrue(headers.contains(h), "no family for \(h)")
        }
        XCTAssertGreaterThanOrEqual(t.families.count, 20)
        XCTAssertGreaterThan(t.families.reduce(0) { $0 + $1.formats.count }, 100)
        XCTAssertGreaterThan(t.globalSkip.count, 200)
    }

    /// The table's regexes compile on first use; every one of them must compile.
    func testEveryRegexCompiles() throws {
        let t = FormatTable.linux
        var all: [Pattern] = t.stackStart + t.frameRes + t.corruptedLines + t.stallAnchors
        if let r = t.stallAnchorList.regex { all.append(r) }
        for fam in t.families {
            all += fam.suppressions
            for f in fam.formats {
                all.append(f.title)
                if let r = f.report { all.append(r) }
                for spec in [f.stack].compactMap({ $0 }) {
                    for case .regex(let re, _) in spec.parts + spec.parts2 { all.append(re) }
                    if let r = spec.skip?.regex { all.append(r) }
                    if let r = spec.skip?.base?.regex { all.append(r) }
                }
            }
        }
        XCTAssertGreaterThan(all.count, 300)
        for p in all { XCTAssertNoThrow(try p.compile(), p.source) }
        XCTAssertThrowsError(try Pattern("(unclosed").compile(), "compile() reports an invalid regex")
    }

    /// The literal gates must never reject a line the regex would accept.
    func testLiteralGatesAreSound() throws {
        XCTAssertEqual(FormatTable.literalPrefix(#"BUG: KASAN: ([a-z\-]+) in"#), Array("BUG: KASAN: ".utf8))
        XCTAssertEqual(FormatTable.literalPrefix("WARNING: .* at"), Array("WARNING: ".utf8))
        XCTAssertEqual(FormatTable.literalPrefix("ab?c"), Array("a".utf8), "a quantified last char is not required")
        XCTAssertEqual(FormatTable.literalPrefix("a|b"), [], "top-level alternation has no common prefix")
        let call = try XCTUnwrap(FormatTable.anyOfLiterals("(?:Call (?:T|t)race:)|(?:Backtrace:)"))
        XCTAssertEqual(Set(call.map { String(decoding: $0, as: UTF8.self) }), ["Call ", "Backtrace:"])
        XCTAssertNil(FormatTable.anyOfLiterals("(?:foo)?bar"))
        // Every regex part of every format: any line of the syzkaller corpus the regex matches passes the gate.
        let files = (try? SharedCorpus.files("syzkaller/report"))?.prefix(60) ?? []
        var checked = 0
        for fam in FormatTable.linux.families {
            for f in fam.formats {
                for case .regex(let re, let gate?) in (f.stack?.parts ?? []) + (f.stack?.parts2 ?? []) {
                    for url in files {
                        for line in (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n") ?? []
                        where re.matches(String(line)) {
                            XCTAssertTrue(gate.contains { utf8Contains(String(line), $0) }, "\(re.source) vs \(line)")
                            checked += 1
                        }
                    }
                }
            }
        }
        if !files.isEmpty { XCTAssertGreaterThan(checked, 0) }
    }
}
