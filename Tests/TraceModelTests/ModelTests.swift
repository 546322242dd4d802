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

/// sched_switch / sched_wakeup in the three renderings real tools print.
final class SchedEventTests: XCTestCase {
    func decodeSwitch(_ s: String, _ enc: PrevStateEncoding? = nil) -> SchedSwitch? {
        var t = s
        return t.withUTF8 { SchedSwitch.decode(UnsafeRawBufferPointer($0), encoding: enc) }
    }
    func decodeWakeup(_ s: String) -> SchedWakeup? {
        var t = s
        return t.withUTF8 { SchedWakeup.decode(UnsafeRawBufferPointer($0)) }
    }

    func testKernelPrintFormat() throws {
        let s = try XCTUnwrap(decodeSwitch("prev_comm=tmux: server prev_pid=1613 prev_prio=120 prev_state=D|K ==> next_comm=swapper/2 next_pid=0 next_prio=120"))
        XCTAssertEqual(s.prevComm, "tmux: server")
        XCTAssertEqual(s.prevPid, 1613)
        XCTAssertEqual(s.prevState, [.uninterruptible, .wakekill])
        XCTAssertEqual(s.nextComm, "swapper/2")
        XCTAssertEqual(s.nextPid, 0)
        XCTAssertFalse(s.stateIsApproximate)
    }

    func testRawNumericForm() throws {
        let s = try XCTUnwrap(decodeSwitch("prev_comm=rt-app prev_pid=2353 prev_prio=120 prev_state=2048 next_comm=swapper/4 next_pid=0 next_prio=120", .v4_2))
        XCTAssertEqual(s.prevStateText, "2048")
        XCTAssertEqual(s.prevState, [.preempted])
        XCTAssertNil(decodeSwitch("prev_comm=a prev_pid=1 prev_prio=120 prev_state=2 next_comm=b next_pid=2 next_prio=120")?.prevState,
                     "a number needs an encoding")
    }

    func testTraceCmdPluginForm() throws {
        let s = try XCTUnwrap(decodeSwitch("rcu_preempt:15 [120] W ==> swapper/1:0 [120]"))
        XCTAssertEqual(s.prevComm, "rcu_preempt")
        XCTAssertEqual(s.prevPid, 15)
        XCTAssertEqual(s.prevPrio, 120)
        XCTAssertEqual(s.prevStateText, "W")
        XCTAssertTrue(s.stateIsApproximate)
        XCTAssertEqual(s.nextComm, "swapper/1")
        XCTAssertEqual(s.nextPid, 0)
        let spaced = try XCTUnwrap(decodeSwitch("tmux: server:1613 [120] S ==> kworker/u16:3:164 [120]"))
        XCTAssertEqual(spaced.prevComm, "tmux: server")
        XCTAssertEqual(spaced.nextComm, "kworker/u16:3")
        XCTAssertEqual(spaced.nextPid, 164)
    }

    func testWakeupForms() throws {
        let new = try XCTUnwrap(decodeWakeup("comm=kworker/u8:2 pid=34380 prio=120 target_cpu=003"))
        XCTAssertEqual(new.pid, 34380)
        XCTAssertEqual(new.targetCPU, 3)
        XCTAssertNil(new.success)
        let old = try XCTUnwrap(decodeWakeup("comm=mmcqd/0 pid=95 prio=120 success=1 target_cpu=000"))
        XCTAssertEqual(old.success, true)
        let plugin = try XCTUnwrap(decodeWakeup("rcu_preempt:15 [120] CPU:001"))
        XCTAssertEqual(plugin.comm, "rcu_preempt")
        XCTAssertEqual(plugin.pid, 15)
        XCTAssertEqual(plugin.targetCPU, 1)
    }
}
