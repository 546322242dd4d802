import Foundation
import XCTest
@testable import TestSupport

/// The `ksleuth` executable: exit codes, one-line errors, output formats. Runs the binary `swift test` built next
/// to the test bundle; skips when it is not there.
final class CLITests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary of the same build: next to the test bundle (`.build/<triple>/debug/ksleuth`).
    func binary() throws -> URL {
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        for _ in 0..<3 {
            dir.deleteLastPathComponent()
            candidates.append(dir.appendingPathComponent("ksleuth"))
        }
        dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            candidates.append(dir.appendingPathComponent("ksleuth"))
            dir.deleteLastPathComponent()
        }
        for url in candidates where FileManager.default.isExecutableFile(atPath: url.path) { return url }
        throw XCTSkip("ksleuth binary not found next to the test bundle (\(candidates.first?.path ?? "?")); build the package first")
    }

    func run(_ args: [String], stdin: Data? = nil) throws -> Run {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                   stderr: String(decoding: e, as: UTF8.self))
    }

    func fixture(_ name: String) -> String { SharedCorpus.fixtures.appendingPathComponent(name).path }

    func tempFile(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-cli-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testReportsFoundExitZeroWithCitation() throws {
        let r = try run(["match", fixture("seed001-null-deref-fscache-invalidate-writes.txt")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains(#"known bug: 1362729b169b ("FS-Cache: Simplify cookie retention for fscache_objects, fixing oops"), in v3.11"#), r.stdout)
    }

    func testNoReportExitsOne() throws {
        let r = try run(["match", try tempFile(Array("just a boot log line\n".utf8))])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("no kernel crash report found"), r.stdout)
        XCTAssertEqual(try run(["match", try tempFile([])]).status, 1, "empty input")
    }

    func testUnusableInputExitsTwoWithOneLineError() throws {
        for (path, words) in [("/nonexistent/dmesg.txt", "no such file"), ("/", "is a directory")] {
            let r = try run(["match", path])
            XCTAssertEqual(r.status, 2, path)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains(words), r.stderr)
        }
        var rng = SystemRandomNumberGenerator()
        let bin = try tempFile((0..<50_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let r = try run(["match", bin])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(bin) && r.stderr.contains("binary"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty)
    }

    func testBadDatabaseExitsTwoNamingTheFile() throws {
        let db = try tempFile(Array("- id: x\n  kind: nonsense\n".utf8))
        let r = try run(["match", "--db", db, fixture("seed001-null-deref-fscache-invalidate-writes.txt")])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(db), r.stderr)
    }

    func testUserDatabaseEntryCanMatch() throws {
        let db = try tempFile(Array("""
        - id: local-lock-rename-hang
          kind: hung_task
          subsystem: vfs
          frames: [lock_rename, do_renameat2]
          summary: "Site-local: rename stuck behind a writer."
          provenance: "our tracker"
        """.utf8))
        let r = try run(["match", "--db", db, fixture("unrelated-hung-task-blocked-on-mutex-6.14.txt")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("entry local-lock-rename-hang"), r.stdout)
        let bugs = try run(["bugs", "--db", db])
        XCTAssertTrue(bugs.stdout.hasPrefix("65 known bugs from bundled, \(db)"), bugs.stdout)
    }

    func testJSONAndMailFormatsAndStdin() throws {
        let input = try Data(contentsOf: URL(fileURLWithPath: fixture("seed002-lockdep-netfs-filemap-fault.txt")))
        let j = try run(["match", "--json", "-"], stdin: input)
        XCTAssertEqual(j.status, 0, j.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["schema"] as? String, "ksleuth.match/1")
        XCTAssertEqual(doc["input"] as? String, "<stdin>")
        let reports = try XCTUnwrap(doc["reports"] as? [[String: Any]])
        let seed = try XCTUnwrap(reports.first { $0["title"] as? String == "possible deadlock in filemap_fault" })
        XCTAssertEqual(seed["known_bug"] as? String, "seed-3-netfs-sb_writers-under-mmap_lock")
        XCTAssertTrue(seed.keys.contains("corrupted_reason"), "documented fields are present even when null")
        let m = try run(["match", "--format", "mail", "-"], stdin: input)
        XCTAssertTrue(m.stdout.contains(#"  598ad0bd0932 ("netfs: Fix lockdep warning from taking sb_writers whilst holding mmap_lock")"#), m.stdout)
        XCTAssertFalse(m.stdout.contains("\u{1B}["), "no terminal escapes in mail output")
    }

    func testBugsListsTheDatabase() throws {
        let r = try run(["bugs"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("64 known bugs from bundled"), r.stdout)
        let one = try run(["bugs", "--id", "seed-5-xfs-l_flush_wait-lost-wakeup"])
        XCTAssertTrue(one.stdout.contains(#"cdea5459ce26 ("xfs: fix missed wakeup on l_flush_wait"), in v5.4"#), one.stdout)
        XCTAssertEqual(try run(["bugs", "--id", "no-such-entry"]).status, 1)
    }
}
