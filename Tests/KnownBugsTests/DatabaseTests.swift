import Foundation
import XCTest
@testable import TestSupport
import Yams
@testable import Backtraces
@testable import KnownBugs

final class DatabaseTests: XCTestCase {
    func testBundledDatabaseHasTheSeedsAndAtLeastFiftyMore() throws {
        let db = try KnownBugDatabase.bundled()
        let seeds = db.bugs.filter { $0.id.hasPrefix("seed-") }
        XCTAssertEqual(seeds.count, 5)
        XCTAssertGreaterThanOrEqual(db.bugs.count - seeds.count, 50)
        XCTAssertEqual(Set(db.bugs.map(\.id)).count, db.bugs.count, "ids are unique")
    }

    func testEveryEntryIsComplete() throws {
        let db = try KnownBugDatabase.bundled()
        let hex = CharacterSet(charactersIn: "0123456789abcdef")
        for b in db.bugs {
            XCTAssertFalse(b.summary.isEmpty, "\(b.id): summary")
            XCTAssertFalse(b.provenance.isEmpty, "\(b.id): provenance")
            XCTAssertFalse(b.subsystem.isEmpty, "\(b.id): subsystem")
            if let fix = b.fix {
                XCTAssertTrue(fix.commit.unicodeScalars.allSatisfy(hex.contains), "\(b.id): commit id is hex")
                // 12 characters, the kernel's citation length, unless the sources only published a prefix.
                if fix.commit.count != 12 {
                    XCTAssertTrue(b.provenance.contains("id prefix was published"), "\(b.id): short id must be explained")
                }
                XCTAssertFalse(fix.title.isEmpty, "\(b.id): fix title")
            } else {
                XCTAssertTrue(b.provenance.contains("no fix commit found"), "\(b.id): a missing fix must be explained")
            }
            for f in b.fixes { XCTAssertEqual(f.commit.count, 12, "\(b.id): Fixes: id length") }
            if let r = b.fixedIn { XCTAssertTrue(r.hasPrefix("v"), "\(b.id): fixed_in is a release tag") }
            if b.frames.isEmpty { XCTAssertEqual(b.framesSource, "none", "\(b.id): empty frames must say so") }
        }
        XCTAssertGreaterThanOrEqual(db.bugs.filter { !$0.frames.isEmpty }.count, 55, "matchable entries")
        let lockdepWithChain = db.bugs.filter { !$0.lockChain.isEmpty }
        XCTAssertTrue(lockdepWithChain.allSatisfy { $0.kind == .lockdep }, "only lockdep entries carry chains")
    }

    /// The database repeats facts from ../shared/research/known_bugs.yaml: check that it repeats them exactly.
    func testFactsAgreeWithTheResearchCatalogue() throws {
        let url = SharedCorpus.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/research/known_bugs.yaml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("research catalogue not found at \(url.path)")
        }
        struct Research: Decodable {
            var id: String
            var title: String
            var fix_commit: String
            var fixes: [String]?
            var kernel_fixed_in: String?
            var kind: String
            var frames: [String]?
        }
        let research = try YAMLDecoder().decode([Research].self, from: String(contentsOf: url, encoding: .utf8))
        let db = try KnownBugDatabase.bundled()
        XCTAssertEqual(db.bugs.count, research.count)
        for r in research {
            guard let b = db.bug(id: r.id) else { XCTFail("\(r.id) missing from the database"); continue }
            if r.fix_commit == "unverified" {
                XCTAssertNil(b.fix, r.id)
            } else {
                XCTAssertTrue(r.fix_commit.hasPrefix(b.fix?.commit ?? "-"), "\(r.id): commit")
                XCTAssertEqual(b.fix?.title, r.title, "\(r.id): title")
            }
            XCTAssertEqual(b.kind.rawValue, r.kind, "\(r.id): kind")
            XCTAssertEqual(b.frames, r.frames ?? [], "\(r.id): frames")
            XCTAssertEqual(b.fixes.map { "\($0.commit) (\($0.title))" }, r.fixes ?? [], "\(r.id): Fixes:")
            if let rel = r.kernel_fixed_in, rel.hasPrefix("v") { XCTAssertEqual(b.fixedIn, rel, r.id) } else { XCTAssertNil(b.fixedIn, r.id) }
        }
    }

    func testUserDatabaseAddsAndReplacesEntries() throws {
        var db = try KnownBugDatabase.bundled()
        let n = db.bugs.count
        try db.merge(yaml: """
        bugs:
          - id: site-local-ext4-hang
            fix: {commit: "0123456789ab", title: "ext4: example local fix"}
            kind: hung_task
            subsystem: ext4
            frames: [ext4_example_wait, ext4_example_caller]
            summary: "A site-local entry."
            provenance: "our bug tracker"
          - id: seed-2-fscache-invalidate-vs-relinquish
            fix: {commit: "1362729b169b", title: "FS-Cache: Simplify cookie retention for fscache_objects, fixing oops"}
            fixed_in: v3.11
            kind: null_deref
            subsystem: fscache
            frames: [fscache_invalidate_writes]
            summary: "Overridden locally."
            provenance: "local"
        """, origin: "site.yaml")
        XCTAssertEqual(db.bugs.count, n + 1)
        XCTAssertEqual(db.bug(id: "seed-2-fscache-invalidate-vs-relinquish")?.summary, "Overridden locally.")
        XCTAssertEqual(db.bug(id: "site-local-ext4-hang")?.origin, "site.yaml")
        XCTAssertEqual(db.sources, ["bundled", "site.yaml"])
    }

    func testBrokenUserDatabasesAreRefusedWithTheFileNamed() throws {
        var db = KnownBugDatabase()
        XCTAssertThrowsError(try db.merge(yaml: "- id: x\n  kind: not_a_kind\n", origin: "bad-kind.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("bad-kind.yaml:"), "\(e)")
        }
        XCTAssertThrowsError(try db.merge(yaml: "- id: a\n  kind: warning\n- id: a\n  kind: warning\n", origin: "dup.yaml")) { e in
            XCTAssertTrue("\(e)".contains("duplicate id a"), "\(e)")
        }
        XCTAssertThrowsError(try db.merge(yaml: "key: [unclosed", origin: "syntax.yaml"))
        XCTAssertThrowsError(try db.merge(file: "/nonexistent/ksleuth-db.yaml")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/ksleuth-db.yaml"), "\(e)")
        }
        XCTAssertEqual(db.bugs.count, 0)
    }
}
