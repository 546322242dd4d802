import XCTest
import TraceModel

final class ModelTests: XCTestCase {
    func testInternerGivesOneSymbolPerDistinctByteString() {
        var i = ByteInterner(capacity: 4)
        var seen: [String: Symbol] = [:]
        // Enough names to force several table growths.
        for n in 0..<5000 {
            let name = "kworker/u\(n % 1500):\(n % 7)"
            let sym = i.intern(name)
            if let old = seen[name] { XCTAssertEqual(old, sym, name) } else { seen[name] = sym }
            XCTAssertEqual(i.table[sym], name)
        }
        XCTAssertEqual(i.count, seen.count)
        XCTAssertEqual(Set(seen.values).count, seen.count)
        XCTAssertEqual(i.intern(""), i.intern(""))
        XCTAssertNotEqual(i.intern("a"), i.intern("a\0"))
    }

    func testProbeSiteForms() throws {
        func site(_ s: String) -> ProbeSite? {
            var t = s
            return t.withUTF8 { ProbeSite.parse(UnsafeRawBufferPointer($0)) }
        }
        let k = try XCTUnwrap(site("(d_splice_alias+0x0/0x2a0) inode=0xff3cfacac144bd78"))
        XCTAssertEqual(k.symbol, "d_splice_alias")
        XCTAssertEqual(k.offset, 0)
        XCTAssertEqual(k.size, 0x2a0)
        XCTAssertFalse(k.isReturn)
        XCTAssertEqual(k.prefixLength, 27)
        let r = try XCTUnwrap(site("(proc_pid_lookup+0x83/0x130 <- d_splice_alias) ret=0x0"))
        XCTAssertEqual(r.symbol, "d_splice_alias")
        XCTAssertEqual(r.caller, "proc_pid_lookup")
        XCTAssertTrue(r.isReturn)
        let m = try XCTUnwrap(site("(lw_mark_cond_checked+0x0/0x10 [lostwake]) ctx=0x1"))
        XCTAssertEqual(m.symbol, "lw_mark_cond_checked", "module-suffixed symbols keep the bare name")
        let u = try XCTUnwrap(site("(0x48db60)"))
        XCTAssertNil(u.symbol)
        XCTAssertEqual(u.address, 0x48db60)
        XCTAssertNil(site("comm=foo pid=1"))
    }

    func testStackFramesDecode() {
        let text = " => trace_event_raw_event_sched_switch\n => __schedule\r\n => 0xffffffffc02ba0c8\n"
        var t = text
        let frames = t.withUTF8 { StackFrames.decode(UnsafeRawBufferPointer($0)) }
        XCTAssertEqual(frames, ["trace_event_raw_event_sched_switch", "__schedule", "0xffffffffc02ba0c8"])
    }

    func testTimestampFormatting() {
        XCTAssertEqual(TimestampFormat.seconds(29_297_534_000), "29.297534")
        XCTAssertEqual(TimestampFormat.seconds(5, digits: 9), "0.000000005")
        XCTAssertEqual(TimestampFormat.seconds(Event.unknownTimestamp), "?")
        XCTAssertEqual(TimestampFormat.duration(812), "812 ns")
        XCTAssertEqual(TimestampFormat.duration(3_200), "3.2 µs")
        XCTAssertEqual(TimestampFormat.duration(123_400_000_000), "123.4 s")
    }

    func testTaskStateDescriptions() {
        XCTAssertEqual(TaskState.parseLetters("D|K")?.description, "D|K")
        XCTAssertEqual(TaskState.parseLetters("R+")?.description, "R+")
        XCTAssertEqual(PrevStateEncoding.v4_14.decode(0x102).description, "D+")
    }
}
