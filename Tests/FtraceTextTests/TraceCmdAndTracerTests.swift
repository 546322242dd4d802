import XCTest
@testable import TestSupport
import FtraceText
import TraceModel

/// `trace-cmd report` output, the function and function_graph tracers, probes, syscalls and markers.
final class TraceCmdAndTracerTests: XCTestCase {
    func testOldTraceCmdPreambleAndPaddedNames() throws {
        // trappy (trace-cmd 2.x) and trace-cmd 3.1.6 `report -N`.
        let r = try read("""
        version = 6
        CPU 3 is empty
        CPU 4 is empty
        cpus=6
                      ls-4734  [002] 106439.675591: sched_switch:          prev_comm=trace-cmd prev_pid=4734 prev_prio=120 prev_state=R+ ==> next_comm=migration/2 next_pid=18 next_prio=0
                   <...>-1297  [001]  3843.734440: ext4_da_write_end:    dev 8,13 ino 5898483 pos 0 len 4096 copied 4096

        """)
        XCTAssertEqual(r.description.format, "trace-cmd report")
        XCTAssertEqual(r.description.traceCmdVersion, 6)
        XCTAssertEqual(r.description.cpuCount, 6)
        XCTAssertEqual(r.description.flagColumns, 0)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.payload(0).prefix(19), "prev_comm=trace-cmd", "name padding is not part of the payload")
        XCTAssertEqual(r.fields(0).int("next_pid"), 18)
        XCTAssertEqual(r.fields(1).positional, ["dev", "8,13", "ino", "5898483", "pos", "0", "len", "4096", "copied", "4096"])
        XCTAssertEqual(r.counts.headerLines, 4)
    }

    func testRawReportNumericPrevStateDecimalAndHex() throws {
        // `trace-cmd report -R`: lisa (decimal, 4.2–4.7) and a 32-bit ARM .dat (hex).
        let r = try read("""
        cpus=8
              rt-app-2353  [004]   350.622000: sched_switch:         prev_comm=rt-app prev_pid=2353 prev_prio=120 prev_state=2048 next_comm=swapper/4 next_pid=0 next_prio=120
           kworker/0:1-16  [000]   351.001000: sched_switch:         prev_comm=kworker/0:1 prev_pid=16 prev_prio=120 prev_state=0x1000 next_comm=swapper/0 next_pid=0 next_prio=120

        """)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.fields(0).int("prev_state"), 2048)
        XCTAssertEqual(PrevStateEncoding.v4_2.decode(UInt64(r.fields(0).int("prev_state")!)), [.preempted])
        XCTAssertEqual(r.fields(1).int("prev_state"), 0x1000)
        XCTAssertEqual(PrevStateEncoding.v4_14.decode(0x1000), [.preempted], "unpatched 4.14 still tests 0x1000")
    }

    func testEventsDroppedMarkersAndNanosecondTimestamps() throws {
        let r = try read("""
        cpus=8
                    bash-1234  [007] 12345.123456789: sched_waking:         comm=sshd pid=99 prio=120 target_cpu=007
        CPU:7 [204600 EVENTS DROPPED]
                    bash-1234  [007] 12345.223456789: sched_waking:         comm=sshd pid=99 prio=120 target_cpu=007
        CPU:1 [EVENTS DROPPED]

        """)
        XCTAssertEqual(r[0].timestamp, 12_345_123_456_789)
        XCTAssertEqual(r.description.timestampDigits, 9)
        XCTAssertEqual(r.gaps.map(\.kind), [.dropped, .dropped])
        XCTAssertEqual(r.gaps[0].lostEvents, 204_600)
        XCTAssertNil(r.gaps[1].lostEvents)
        XCTAssertEqual(r.gaps[1].cpu, 1)
    }

    func testBprintContinuationLine() throws {
        // trappy raw_trace.dat.report.txt: a trace_printk format holding "\n".
        let r = try read("""
        cpus=6
                      ls-4734  [002] 106439.675571: bprint:               select_task_rq_fair: fig: cpu=0
         gid=4
                      ls-4734  [002] 106439.675591: sched_switch:         trace-cmd:4734 [120] R ==> migration/2:18 [0]

        """)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.counts.continuationLines, 1)
        XCTAssertEqual(r.payload(0), "select_task_rq_fair: fig: cpu=0\n gid=4")
        XCTAssertEqual(r.counts.unparsedLines, 0)
    }

    func testFunctionGraphTracefsWithBannerAndDurations() throws {
        // perf-tools funcgraph_example.txt / funcslower_example.txt (Linux 3.x).
        let r = try read("""
        # tracer: function_graph
        #
        # CPU  DURATION                  FUNCTION CALLS
        # |     |   |                     |   |   |   |
         0)               |  do_nanosleep() {
         0)   0.198 us    |          _raw_spin_lock_irqsave();
         ------------------------------------------
         0)  platfor-3210  =>  vmstat-2854
         ------------------------------------------

         0) ! 8147.120 us |  } /* ext3_readpages */
        """)
        XCTAssertEqual(r.description.tracer, "function_graph")
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r[0].kind, .functionGraphEntry)
        XCTAssertEqual(r.payload(0), "do_nanosleep() {")
        XCTAssertEqual(r[0].pid, Event.unknownPID, "no funcgraph-proc column and no banner yet")
        XCTAssertEqual(r[0].timestamp, Event.unknownTimestamp)
        XCTAssertEqual(r[1].kind, .functionGraphLeaf)
        XCTAssertEqual(r[2].kind, .functionGraphExit)
        XCTAssertEqual(r[2].pid, 2854, "the banner says vmstat-2854 now runs on CPU 0")
        XCTAssertEqual(r.comm(2), "vmstat")
        XCTAssertEqual(r.counts.bannerLines, 3)
        XCTAssertEqual(r.counts.unparsedLines, 0)
    }

    func testFunctionGraphWithAbstimeProcAndEventsAsComments() throws {
        // Debian 6.1 lab capture, options funcgraph-abstime and funcgraph-proc.
        let r = try read("""
           35.089616 |   0)     init-1     |               |  /* LAB: scenario lostwake-correct_wq.graph start */
           35.090666 |   0)     init-1     |               |  /* sched_waking: comm=kthreadd pid=2 prio=120 target_cpu=001 */
           35.090640 |   0)     init-1     |               |  /* ttwu: (try_to_wake_up+0x0/0x540) p=0xff3cfacac11f20c0 state=0x3 wake_flags=0x0 pid=2 comm="kthreadd" p_state=0x1 */
         ------------------------------------------
         1)   rcu_pre-15   =>    <idle>-0
         ------------------------------------------

        2678112.003180 |   0)  cksum-26695   | ! 8145.268 us |  } /* ext3_readpages */
        7238523.638013 |   0)   0.153 us    |                    rcu_irq_enter();
        """)
        XCTAssertEqual(r.count, 5)
        XCTAssertEqual(r[0].kind, .marker)
        XCTAssertEqual(r.payload(0), "LAB: scenario lostwake-correct_wq.graph start")
        XCTAssertEqual(r.name(1), "sched_waking")
        XCTAssertEqual(r[1].kind, .tracepoint)
        XCTAssertEqual(r[1].timestamp, 35_090_666_000)
        XCTAssertEqual(r[1].pid, 1)
        XCTAssertEqual(r.comm(1), "init")
        XCTAssertEqual(r.fields(1).int("pid"), 2)
        XCTAssertEqual(r[2].kind, .kprobe)
        XCTAssertEqual(r.probe(2)?.symbol, "try_to_wake_up")
        XCTAssertEqual(r.fields(2).string("comm"), "kthreadd")
        XCTAssertEqual(r[3].kind, .functionGraphExit)
        XCTAssertEqual(r[3].pid, 26695)
        XCTAssertEqual(r[4].kind, .functionGraphLeaf)
        XCTAssertEqual(r[4].timestamp, 7_238_523_638_013_000)
        XCTAssertEqual(r.counts.unparsedLines, 0)
    }

    func testTraceCmdFunctionGraphEvents() throws {
        let r = try read("""
                    bash-2794  [001]  2147.582620: funcgraph_entry:                   |  do_sys_open() {
                    bash-2794  [001]  2147.582622: funcgraph_entry:        2.263 us   |    mutex_unlock();
                    bash-2794  [001]  2147.582630: funcgraph_exit:       + 10.191 us  |  }

        """)
        XCTAssertEqual(r.events.map(\.event.kind), [.functionGraphEntry, .functionGraphLeaf, .functionGraphExit])
    }

    func testKprobeKretprobeUprobeAndTraceCmdRawAddresses() throws {
        let r = try read("""
                  kprobe-26042 [001] d... 6910441.001452: do_sys_open: (do_sys_open+0x0/0x220)
                  kprobe-29475 [001] d... 6910688.229777: do_sys_open: (SyS_open+0x1e/0x20 <- do_sys_open)
                    bash-11886 [003] d... 19601233.618462: readline: (0x48db60)
                      sh-190     [000] .....    13.560833: dsplice: (d_splice_alias+0x0/0x2a0) inode=0xff3cfacac144bd78 dentry=0xff3cfacac2567240 name="190" ino=10760
                      sh-395   [000]    22.898356: dsplice:              (ffffffff8b96e720) inode=0xff3cfacac4674b68 dentry=0xff3cfacac4e4e480 name="395" ino=20622
                      sh-395   [000]    22.898537: dsplice_ret:          (ffffffff8b96e720 <- ffffffff8b9f1343) ret=0x0
                      sh-190     [000] .....    13.561160: p_d_splice_alias_0: (proc_pid_lookup+0x83/0x130 <- d_splice_alias) ret=0x0
                    bash-84700 [000] .... 24913.120051: dentry_kill: (dentry_kill+0x0/0x2c0) dentry=0xffff888004ad6618

        """)
        XCTAssertEqual(r.events.map(\.event.kind), [.kprobe, .kretprobe, .uprobe, .kprobe, .kprobe, .kretprobe, .kretprobe, .kprobe])
        XCTAssertEqual(r.probe(0)?.symbol, "do_sys_open")
        XCTAssertEqual(r.probe(0)?.size, 0x220)
        XCTAssertEqual(r.probe(1)?.symbol, "do_sys_open")
        XCTAssertEqual(r.probe(1)?.caller, "SyS_open")
        XCTAssertEqual(r.probe(1)?.isReturn, true)
        XCTAssertEqual(r.probe(2)?.address, 0x48db60)
        XCTAssertEqual(r.probe(3)?.symbol, "d_splice_alias")
        XCTAssertEqual(r.fields(3).hex("dentry"), 0xff3cfacac2567240)
        XCTAssertEqual(r.fields(3).string("name"), "190")
        XCTAssertEqual(r.fields(3).int("ino"), 10760)
        XCTAssertNil(r.probe(4)?.symbol)
        XCTAssertEqual(r.probe(4)?.address, 0xffffffff8b96e720)
        XCTAssertEqual(r.probe(5)?.address, 0xffffffff8b96e720)
        XCTAssertEqual(r.probe(5)?.callerAddress, 0xffffffff8b9f1343)
        XCTAssertEqual(r.probe(6)?.symbol, "d_splice_alias", "mapped by the probed symbol, not the probe's name")
        XCTAssertEqual(r.fields(6).hex("ret"), 0)
        XCTAssertEqual(r.fields(7).hex("dentry"), 0xffff888004ad6618)
    }

    func testSyscallLinesWithoutNameToken() throws {
        let r = try read("""
                    bash-84700   [000] .... 24913.120051: sys_clone(clone_flags: 1200011, newsp: 0, parent_tidptr: 0, child_tidptr: 7fe6196caa10, tls: 0)
                    bash-84700   [000] .... 24913.120090: sys_clone -> 0x16841

        """)
        XCTAssertEqual(r.events.map(\.event.kind), [.syscallEntry, .syscallExit])
        XCTAssertEqual(r.name(0), "sys_clone")
        XCTAssertEqual(r.name(1), "sys_clone")
        XCTAssertEqual(r.payload(1), "-> 0x16841")
    }

    func testMarkersOfEveryEra() throws {
        let r = try read("""
          surfaceflinger-598   (  598) [004] .... 10852.771242: tracing_mark_write: B|598|some event
            hwc_eventmon-336   [000] 50260.929925: 0: C|124|VSYNC|1
                    bash-1     [000] .... 100.000001: print: tracing_mark_write: hello world
                    init-1       [000] .....    29.296732: tracing_mark_write: LAB: scenario lostwake-correct_wq start

        """)
        XCTAssertEqual(r.events.map(\.event.kind), [.marker, .marker, .marker, .marker])
        XCTAssertEqual(r.name(1), "0")
        XCTAssertEqual(r.payload(1), "C|124|VSYNC|1")
    }

    func testUserStackTraceBlock() throws {
        let r = try read("""
                    bash-84700   [000] .... 24913.120051: sched_waking: comm=kworker/0:1 pid=10 prio=120 target_cpu=000
                    bash-84700   [000] .... 24913.120052: <user stack trace>
         => <00007f1d0e3ac3b7>
         => <0000556a8d3f1d2a>

        """)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.userStack(0), ["<00007f1d0e3ac3b7>", "<0000556a8d3f1d2a>"])
        XCTAssertEqual(r.stack(0), [])
    }
}
