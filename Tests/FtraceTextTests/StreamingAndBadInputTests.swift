import XCTest
@testable import TestSupport
import FtraceText
import TraceModel
#if canImport(Glibc)
import Glibc
#endif

/// Batches, chunk boundaries, parallel splits and inputs that are not (good) ftrace text.
final class StreamingAndBadInputTests: XCTestCase {
    /// A realistic 5-flag trace with stack blocks, made by the test (Debian 6.1 layout).
    static func syntheticTrace(lines: Int) -> String {
        var out = "# tracer: nop\n#\n"
        var t: Int64 = 29_000_000
        for i in 0..<lines {
            t += 37
            let pid = 600 + i % 7
            let ts = "\(t / 1_000_000).\(String(t % 1_000_000).leftPadded(6))"
            switch i % 5 {
            case 0:
                out += "       lw_waiter-\(pid)     [000] d..2.    \(ts): sched_switch: prev_comm=lw_waiter prev_pid=\(pid) prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
                out += "       lw_waiter-\(pid)     [000] d..2.    \(ts): <stack trace>\n => trace_event_raw_event_sched_switch\n => __schedule\n => schedule\n"
            case 1:
                out += "          <idle>-0       [001] dNh2.    \(ts): sched_wakeup: comm=lw_waiter pid=\(pid) prio=120 target_cpu=000\n"
            case 2:
                out += "              sh-\(pid)     [000] .....    \(ts): dsplice: (d_splice_alias+0x0/0x2a0) inode=0xff3cfacac144bd78 dentry=0xff3cfacac2567240 name=\"\(i)\" ino=\(i)\n"
            case 3:
                out += "              sh-\(pid)     [001] ...2.    \(ts): wakeup: (__wake_up+0x0/0x10) wq_head=0xff86e5e78094b9a8 mode=0x3 nr_exclusive=0x0 key=0x0\n"
            default:
                out += "            init-1       [001] d..3.    \(ts): sched_waking: comm=kthreadd pid=2 prio=120 target_cpu=001\n"
            }
        }
        return out
    }

    func testTinyChunksGiveTheSameEventsAndKeepStacksWithTheirEvents() throws {
        let text = Self.syntheticTrace(lines: 500)
        let whole = try read(text)
        let tiny = try read(text, chunkSize: 300)
        XCTAssertGreaterThan(tiny.batches.count, 50, "small chunks must stream in many batches")
        XCTAssertEqual(whole.count, 500)
        XCTAssertEqual(tiny.count, whole.count)
        for i in 0..<whole.count {
            XCTAssertEqual(tiny[i].lineNumber, whole[i].lineNumber)
            XCTAssertEqual(tiny[i].byteOffset, whole[i].byteOffset)
            XCTAssertEqual(tiny.name(i), whole.name(i))
            XCTAssertEqual(tiny.payload(i), whole.payload(i))
            XCTAssertEqual(tiny.stack(i), whole.stack(i))
        }
        XCTAssertEqual(whole.stack(0), ["trace_event_raw_event_sched_switch", "__schedule", "schedule"])
        XCTAssertEqual(tiny.counts.unparsedLines, 0)
        XCTAssertEqual(tiny.counts.lines, whole.counts.lines)
    }

    func testParallelSplitsSeeEveryLineOnce() throws {
        let text = Self.syntheticTrace(lines: 30_000)
        let path = NSTemporaryDirectory() + "ksleuth-split-\(getpid()).trace"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let ranges = try FtraceTextReader.alignedSplits(path: path, parts: 3)
        XCTAssertEqual(ranges.count, 3)
        var total = 0, stacks = 0, lines = 0
        for r in ranges {
            var reader = try FtraceTextReader(path: path, range: r, chunkSize: 64 << 10)
            let res = try drain(&reader)
            total += res.count
            stacks += res.events.filter { !$0.event.kernelStack.isEmpty }.count
            lines += res.counts.lines
            XCTAssertEqual(res.counts.unparsedLines, 0)
        }
        XCTAssertEqual(total, 30_000)
        XCTAssertEqual(stacks, 6_000)
        XCTAssertEqual(lines, text.split(separator: "\n", omittingEmptySubsequences: false).count - 1)
    }

    func testEmptyInput() throws {
        let r = try read("")
        XCTAssertEqual(r.count, 0)
        XCTAssertEqual(r.counts.lines, 0)
    }

    func testTruncatedLastLineIsCountedWithItsReason() throws {
        let r = try read("""
                  <idle>-0     [000] d..4  1212.465074: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 target_cpu=000
                  <idle>-0     [000] d..4  1212.4650
        """)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.counts.unparsedLines, 1)
        XCTAssertEqual(r.unparsed.first?.lineNumber, 2)
        XCTAssertEqual(r.unparsed.first?.reason, "truncated last line (no newline at end of input)")
    }

    func testMalformedEventLineIsReportedNotDropped() throws {
        let r = try read("""
                  <idle>-0     [000] d..4  12x2.465074: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 target_cpu=000
        hello, this is not a trace
                  <idle>-0     [000] d..4  1212.465080: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 target_cpu=000

        """)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.counts.unparsedLines, 2)
        XCTAssertEqual(r.unparsed.map(\.lineNumber), [1, 2])
        XCTAssertEqual(r.unparsed.map(\.reason), ["malformed event line", "not a trace line"])
    }

    func testInvalidUTF8InCommAndNULBytes() throws {
        var bytes = Array("        ba".utf8) + [0xFF, 0xFE] + Array("sh-1234  [000] .... 100.000001: sched_waking: comm=x pid=1 prio=120 target_cpu=000\n".utf8)
        bytes += Array("     a".utf8) + [0] + Array("b-12  [000] .... 100.000002: sched_waking: comm=x pid=1 prio=120 target_cpu=000\n".utf8)
        bytes += [0, 0, 0, 10]
        var reader = FtraceTextReader(bytes: bytes)
        let r = try drain(&reader)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.comm(0), "ba\u{FFFD}\u{FFFD}sh")
        XCTAssertEqual(r[1].pid, 12)
        XCTAssertEqual(r.counts.unparsedLines, 1, "the line of NUL bytes is counted")
    }

    func testHundredMegabyteLineWithoutNewlineStaysInBoundedMemory() throws {
        let path = NSTemporaryDirectory() + "ksleuth-longline-\(getpid()).trace"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { unlink(path) }
        let good = "          <idle>-0     [000] d..4  1212.465074: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 target_cpu=000\n"
        _ = good.withCString { write(fd, $0, strlen($0)) }
        let block = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<100 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) } }
        _ = good.withCString { write(fd, $0, strlen($0)) }
        close(fd)

        let before = Self.peakRSS()
        var reader = try FtraceTextReader(path: path)
        var r = ReadResult()
        var maxBatchBytes = 0
        while let b = try reader.nextBatch() {
            maxBatchBytes = max(maxBatchBytes, b.storage.capacity)
            r.counts.add(b.counts)
            r.unparsed += b.unparsed
            for e in b.events { r.events.append((0, e)) }
        }
        XCTAssertEqual(r.count, 1, "the event before the long line; the one glued to its end is part of it")
        XCTAssertEqual(r.counts.unparsedLines, 1)
        XCTAssertTrue(r.unparsed.first?.reason.hasPrefix("line longer than") ?? false)
        XCTAssertEqual(r.unparsed.first?.lineNumber, 2)
        XCTAssertLessThanOrEqual(maxBatchBytes, 2 * FtraceTextReader.defaultChunkSize)
        XCTAssertLessThan(Self.peakRSS() - before, 64 << 20, "reading a 100 MB line must not hold it in memory")
    }

    func testOverlongLineInAStreamIsSkippedToItsNewline() throws {
        // The copied path (stdin, memory) carries bytes between chunks; an over-long line must not be carried.
        let good = "          <idle>-0     [000] d..4  1212.465074: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 target_cpu=000\n"
        let text = good + String(repeating: "y", count: 300_000) + "\n" + good + good
        let r = try read(text, chunkSize: 16 << 10)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.counts.unparsedLines, 1)
        XCTAssertEqual(r.unparsed.first?.lineNumber, 2)
        XCTAssertEqual(r[1].lineNumber, 3)
        XCTAssertEqual(r[2].lineNumber, 4)
        XCTAssertLessThanOrEqual(r.batches.map(\.storage.capacity).max() ?? 0, 2 * (16 << 10))
    }

    static func peakRSS() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss * 1024
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
