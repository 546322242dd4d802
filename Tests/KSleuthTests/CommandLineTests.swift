import XCTest
@testable import TestSupport
import Foundation

/// The executable's contract: output on stdout, one-line errors naming the input on stderr, exit codes.
final class CommandLineTests: XCTestCase {
    func testStatsPrintsAReportAndExitsZero() throws {
        let r = try runKsleuth(["stats", Repo.fixture("demo/lostwake-6.1.trace").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("format        tracefs trace (tracer: nop), 2 CPUs"), r.stdout)
        XCTAssertTrue(r.stdout.contains("sched_process_hang"))
        XCTAssertTrue(r.stdout.contains("unparsed lines: none"))
    }

    func testStatsReadsStandardInput() throws {
        let data = try Data(contentsOf: Repo.fixture("demo/lostwake-6.1.trace"))
        let r = try runKsleuth(["stats", "--json", "-"], stdin: data)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["input"] as? String, "-")
        XCTAssertGreaterThan(obj?["events"] as? Int ?? 0, 3000)
    }

    func assertUnusable(_ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runKsleuth(args)
        XCTAssertEqual(r.status, 2, "exit status", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    func testBadInputsGetOneLineErrorsAndExitTwo() throws {
        let empty = try Repo.tempFile("empty.trace", [])
        let binary = try Repo.tempFile("binary.bin", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let prose = try Repo.tempFile("prose.txt", Array("Dear list,\nthe machine hung again.\n".utf8))
        let dat = try Repo.tempFile("x.dat", [0x17, 0x08, 0x44] + Array("tracing6\0".utf8) + [UInt8](repeating: 0, count: 64))
        let gz = try Repo.tempFile("x.gz", [0x1F, 0x8B, 8, 0, 0, 0])
        defer { for u in [empty, binary, prose, dat, gz] { try? FileManager.default.removeItem(at: u) } }
        try assertUnusable(["stats", empty.path], mentions: "\(empty.path): empty input")
        try assertUnusable(["stats", binary.path], mentions: "\(binary.path) (byte 0): binary data")
        try assertUnusable(["stats", prose.path], mentions: "no ftrace events found (2 lines, 2 unparsed; line 1: not a trace line)")
        try assertUnusable(["stats", dat.path], mentions: "trace-cmd .dat file")
        try assertUnusable(["stats", gz.path], mentions: "gzip-compressed")
        try assertUnusable(["stats", "/nonexistent/trace.txt"], mentions: "/nonexistent/trace.txt: cannot open")
    }

    /// `cmd - < DIR` (a shell redirecting a directory into standard input) makes every read fail with EISDIR. Each
    /// command must say so in one line and exit 2 — `match` once crashed there on Foundation's `try!`.
    func testStandardInputThatCannotBeReadIsAnErrorNotACrash() throws {
        for args in [["match", "-"], ["stats", "-"], ["analyze", "-"], ["objects", "-"]] {
            let dir = try XCTUnwrap(FileHandle(forReadingAtPath: Repo.fixture("demo").path))
            let r = try runKsleuth(args, stdinFile: dir)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): one line: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("read failed: Is a directory"), "\(args): \(r.stderr)")
        }
    }

    /// `--kallsyms` on the command line: it turns the text report's address-only wake into the lost wake-up; an
    /// unusable kallsyms (unprivileged read: all zeros) is a one-line error naming the file, exit 2.
    func testKallsymsOptionAndItsBadInput() throws {
        let report = Repo.fixture("traces/lost-wakeup/tc-buggy-wq-6.1.report").path
        let ks = Repo.fixture("traces/lost-wakeup/tc-buggy-wq-6.1.kallsyms").path
        let r = try runKsleuth(["analyze", "--kallsyms", ks, report])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stdout.contains("lost-wakeup: Lost wake-up  (confidence: high)"), r.stdout)
        let o = try runKsleuth(["objects", "--kallsyms", ks, report])
        XCTAssertEqual(o.status, 0, o.stderr)
        // The waiter's queue gets its (lost) wake: `__wake_up` is known only through the kallsyms.
        let queue = o.stdout.split(separator: "\n").first { $0.contains("waitqueue:0xff2ebc27ae70c960") } ?? ""
        XCTAssertTrue(queue.contains("wake 1") && queue.contains("enqueue 1"), String(queue))
        let zeros = try Repo.tempFile("zeros.kallsyms", Array("0000000000000000 T _text\n0000000000000000 T __wake_up\n".utf8))
        defer { try? FileManager.default.removeItem(at: zeros) }
        try assertUnusable(["analyze", "--kallsyms", zeros.path, report], mentions: "\(zeros.path): kallsyms every address is 0")
    }
}
