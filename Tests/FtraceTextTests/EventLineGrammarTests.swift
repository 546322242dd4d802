import XCTest
@testable import TestSupport
import FtraceText
import TraceModel

/// One test per line layout the kernel and trace-cmd print (research/ftrace-formats.md §1–2). Every line here is
/// copied from a real trace (corpus, lab capture of a Debian 6.1 kernel, or the kernel documentation).
final class EventLineGrammarTests: XCTestCase {
    func testFourFlagTracefsHeaderAndCommWithSpaces() throws {
        // Linux ≥4.14 x86 desktop, 4 flag columns (corpus panopticon layout).
        let r = try read("""
        # tracer: nop
        #
        # entries-in-buffer/entries-written: 336/336   #P:4
        #
        #                              _-----=> irqs-off
        #                             / _----=> need-resched
        #                            | / _---=> hardirq/softirq
        #                            || / _--=> preempt-depth
        #                            ||| /     delay
        #           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION
        #              | |       |   ||||       |         |
            tmux: server-1613  [002] d..3 95812.306134: sched_switch: prev_comm=tmux: server prev_pid=1613 prev_prio=120 prev_state=S ==> next_comm=swapper/2 next_pid=0 next_prio=120
                  <idle>-0     [000] d..4  1212.465074: sched_wakeup: comm=ksoftirqd/0 pid=3 prio=120 success=1 target_cpu=000

        """)
        XCTAssertEqual(r.description.tracer, "nop")
        XCTAssertEqual(r.description.cpuCount, 4)
        XCTAssertEqual(r.description.flagColumns, 4)
        XCTAssertEqual(r.description.entriesInBuffer, 336)
        XCTAssertEqual(r.description.format, "tracefs trace")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.comm(0), "tmux: server")
        XCTAssertEqual(r[0].pid, 1613)
        XCTAssertEqual(r[0].cpu, 2)
        XCTAssertEqual(r[0].timestamp, 95_812_306_134_000)
        XCTAssertEqual(r.name(0), "sched_switch")
        XCTAssertEqual(r[0].kind, .tracepoint)
        XCTAssertTrue(r[0].flags.contains(.irqsOff))
        XCTAssertEqual(r[0].flags.preemptDepth, 3)
        XCTAssertEqual(r.fields(0).string("prev_comm"), "tmux: server")
        XCTAssertEqual(r.fields(0).int("prev_pid"), 1613)
        XCTAssertEqual(r.fields(0)["prev_state"], "S")
        XCTAssertEqual(r.fields(0).string("next_comm"), "swapper/2")
        XCTAssertEqual(r.comm(1), "<idle>")
        XCTAssertEqual(r[1].pid, 0)
        XCTAssertEqual(r.fields(1).int("success"), 1)
        XCTAssertEqual(r.counts.headerLines, 11)
        XCTAssertEqual(r.counts.unparsedLines, 0)
        XCTAssertEqual(r[1].lineNumber, 13)
    }

    func testFiveFlagLinesOfA61KernelWithStackTrace() throws {
        // Debian 6.1 kernel under the lab (5 flag columns, event trigger `stacktrace if prev_state == 2`).
        let text = """
        # tracer: nop
        #                                _-----=> irqs-off/BH-disabled
        #                               / _----=> need-resched
        #                              | / _---=> hardirq/softirq
        #                              || / _--=> preempt-depth
        #                              ||| / _-=> migrate-disable
        #                              |||| /     delay
        #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
        #              | |         |   |||||     |         |
                    init-1       [000] d..2.    29.297534: sched_switch: prev_comm=init prev_pid=1 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120
                    init-1       [000] d..2.    29.297632: <stack trace>
         => trace_event_raw_event_sched_switch
         => __traceiter_sched_switch
         => __schedule
         => schedule
         => schedule_timeout
          <idle>-0       [000] dNh2.    29.300083: sched_wakeup: comm=kthreadd pid=2 prio=120 target_cpu=000

        """
        let r = try read(text)
        XCTAssertEqual(r.description.flagColumns, 5)
        XCTAssertEqual(r.count, 2, "the <stack trace> marker is folded into its event")
        XCTAssertEqual(r[0].flags.columns, 5)
        XCTAssertEqual(r[0].flags.preemptDepth, 2)
        XCTAssertEqual(r.stack(0), ["trace_event_raw_event_sched_switch", "__traceiter_sched_switch", "__schedule",
                                    "schedule", "schedule_timeout"])
        XCTAssertEqual(TaskState.parseLetters(Substring(r.fields(0)["prev_state"]!)), .uninterruptible)
        XCTAssertTrue(r[1].flags.contains(.needReschedTIF))
        XCTAssertTrue(r[1].flags.contains(.hardirq))
        XCTAssertEqual(r.stack(1), [])
        XCTAssertEqual(r.counts.stackLines, 6)
    }

    func testStackOfAFilteredEventIsAnOrphanNotAnotherTasksStack() throws {
        // 6.1 lab capture: the stack recorded for a kprobe whose event a filter dropped follows an event of
        // another task on that CPU; a stack after a softirq event of the same task came from process context.
        let r = try read("""
                    init-1       [001] d..2.    29.313494: sched_switch: prev_comm=init prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=init next_pid=605 next_prio=120
                   sleep-605     [001] .....    29.314549: <stack trace>
         => kprobe_trace_func
         => kprobe_dispatcher
         => d_splice_alias
                    grep-611     [000] dNs1.    29.568167: ttwu_ret: (swake_up_one+0x2e/0x60 <- try_to_wake_up) woken=0x0
                    grep-611     [000] .N...    29.568326: <stack trace>
         => kprobe_trace_func
         => kprobe_dispatcher
                    sleep-605     [001] ...2.    29.314573: wakeup: (__wake_up+0x0/0x10) wq_head=0xff86e5e78094b9a8 mode=0x3 nr_exclusive=0x0 key=0x0
                    sleep-605     [001] .....    29.314640: <stack trace>
         => kprobe_trace_func
         => kprobe_dispatcher
         => __wake_up

        """)
        XCTAssertEqual(r.count, 5)
        XCTAssertEqual(r.stack(0), [])
        XCTAssertEqual(r[1].kind, .orphanStack)
        XCTAssertEqual(r[1].pid, 605)
        XCTAssertEqual(r.stack(1), ["kprobe_trace_func", "kprobe_dispatcher", "d_splice_alias"])
        XCTAssertEqual(r[2].kind, .kretprobe)
        XCTAssertEqual(r.stack(2), [], "kretprobe in softirq context does not own a process-context kprobe stack")
        XCTAssertEqual(r[3].kind, .orphanStack)
        XCTAssertEqual(r[4].kind, .kprobe)
        XCTAssertEqual(r.stack(4), ["kprobe_trace_func", "kprobe_dispatcher", "__wake_up"])
    }

    func testTGIDColumnVariants() throws {
        // atrace (catapult decompressed_atrace_data.txt) and Perfetto's bad_print.systrace.
        let r = try read("""
        #           TASK-PID    TGID   CPU#  ||||    TIMESTAMP  FUNCTION
                   <...>-19161 (-----) [001] ...1 683201.354908: tracing_mark_write: trace_event_clock_sync: parent_ts=683201.375000
          surfaceflinger-598   (  598) [004] .... 10852.771245: tracing_mark_write: E|598
        kworker/u16:7-347 ( 347) [004] d..3   538.802729: sched_switch: prev_comm=kworker/u16:7 prev_pid=347 prev_prio=120 prev_state=S ==> next_comm=swapper/4 next_pid=0 next_prio=120

        """)
        XCTAssertTrue(r.description.hasTGIDColumn)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.comm(0), "<...>")
        XCTAssertEqual(r[0].tgid, Event.unknownTGID)
        XCTAssertEqual(r[0].kind, .marker)
        XCTAssertEqual(r[1].tgid, 598)
        XCTAssertEqual(r[1].pid, 598)
        XCTAssertEqual(r.payload(1), "E|598")
        XCTAssertEqual(r.comm(2), "kworker/u16:7")
        XCTAssertEqual(r[2].tgid, 347)
    }

    func testNoFlagColumnsFunctionTracerOfLinux32() throws {
        // perf-tools functrace_example.txt (Linux 3.2: no latency flags printed).
        let r = try read("""
        # tracer: function
        #
        #           TASK-PID    CPU#    TIMESTAMP  FUNCTION
        #              | |       |          |         |
                  vmstat-11789 [000] 1763207.021204: do_nanosleep <-hrtimer_nanosleep
                  vmstat-11789 [000] 1763207.021206: schedule

        """)
        XCTAssertEqual(r.description.flagColumns, 0)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[0].kind, .function)
        XCTAssertEqual(r.name(0), "function")
        XCTAssertEqual(r.payload(0), "do_nanosleep <-hrtimer_nanosleep")
        XCTAssertEqual(r[0].flags.columns, 0)
        XCTAssertEqual(r[1].kind, .function)
        XCTAssertEqual(r.payload(1), "schedule")
    }

    func testCounterClockIntegerTimestamps() throws {
        let r = try read("     kworker/u16:3-164     [002] d..2        26240: sched_stat_wait: comm=kworker/u16:3 pid=164 delay=0 [ns]\n")
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].timestamp, 26240)
        XCTAssertEqual(r.description.clock, .counter)
        XCTAssertEqual(r.fields(0).int("delay"), 0)
    }

    func testCommsWithDashesDigitsHashesLeadingTabAndNoPadding() throws {
        let r = try read("""
          irq/363-ARM64 s-292   [000] d..1  1212.465348: sched_switch: prev_comm=irq/363-ARM64 s prev_pid=292 prev_prio=49 prev_state=S ==> next_comm=AsyncTask #1 next_pid=5750 next_prio=120
             AsyncTask #1-5750  [000] ...1  1212.465400: sched_waking: comm=systemd-journal pid=1662 prio=120 target_cpu=003
        \tsystemd-journal-1662  [003]   653.065292: bputs:                0xffff0000080feeb8s: equals_event: my_field=foo=bar
        atrace-14446 [000] ...2  1212.465062: sched_switch: prev_comm=atrace prev_pid=14446 prev_prio=120 prev_state=R+ ==> next_comm=ndroid.systemui next_pid=13580 next_prio=120

        """)
        XCTAssertEqual(r.count, 4)
        XCTAssertEqual(r.comm(0), "irq/363-ARM64 s")
        XCTAssertEqual(r[0].pid, 292)
        XCTAssertEqual(r.fields(0).string("next_comm"), "AsyncTask #1")
        XCTAssertEqual(r.comm(1), "AsyncTask #1")
        XCTAssertEqual(r[1].pid, 5750)
        XCTAssertEqual(r.comm(2), "systemd-journal")
        XCTAssertEqual(r[2].pid, 1662)
        XCTAssertEqual(r[2].kind, .marker)
        XCTAssertEqual(r.fields(2)["my_field"], "foo=bar")
        XCTAssertEqual(r.comm(3), "atrace")
        XCTAssertEqual(TaskState.parseLetters(Substring(r.fields(3)["prev_state"]!)), [.preempted])
    }

    func testBufferStartedAndLostEventMarkersBecomeGaps() throws {
        let r = try read("""
                    bash-84700   [000] .... 24913.120051: sched_waking: comm=kworker/0:1 pid=10 prio=120 target_cpu=000
        ##### CPU 3 buffer started ####
                    bash-84700   [003] .... 24913.120099: sched_waking: comm=kworker/3:1 pid=11 prio=120 target_cpu=003
        CPU:2 [LOST 1234 EVENTS]
                    bash-84700   [002] .... 24913.120200: sched_waking: comm=kworker/2:1 pid=12 prio=120 target_cpu=002

        """)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.gaps.count, 2)
        XCTAssertEqual(r.gaps[0].kind, .bufferStarted)
        XCTAssertEqual(r.gaps[0].cpu, 3)
        XCTAssertEqual(r.gaps[0].beforeEvent, 1)
        XCTAssertEqual(r.gaps[1].kind, .lost)
        XCTAssertEqual(r.gaps[1].cpu, 2)
        XCTAssertEqual(r.gaps[1].lostEvents, 1234)
        XCTAssertEqual(r.gaps[1].beforeEvent, 2)
        XCTAssertEqual(r.gaps[1].after, 24_913_120_099_000)
        XCTAssertEqual(r.gaps[1].lineNumber, 4)
        XCTAssertEqual(r.counts.lostMarkerLines, 1)
    }

    func testSourcePositionsAreLineNumbersAndByteOffsets() throws {
        let l1 = "# tracer: nop\n"
        let l2 = "          <idle>-0     [001] d..2  1000.000001: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=7 next_prio=120\n"
        let l3 = "               a-7     [001] d..2  1000.000002: sched_switch: prev_comm=a prev_pid=7 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
        let r = try read(l1 + l2 + l3)
        XCTAssertEqual(r[0].lineNumber, 2)
        XCTAssertEqual(r[0].byteOffset, Int64(l1.utf8.count))
        XCTAssertEqual(r[1].lineNumber, 3)
        XCTAssertEqual(r[1].byteOffset, Int64(l1.utf8.count + l2.utf8.count))
    }

    func testRTKernelSevenFlagColumns() throws {
        // PREEMPT_RT: irqs, need-resched, need-resched-lazy, hardirq/softirq, preempt, preempt-lazy, migrate.
        let r = try read("          ktimersoftd/0-9     [000] d.L.3.1   102.400127: sched_waking: comm=rcuc/0 pid=11 prio=98 target_cpu=000\n")
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].flags.columns, 7)
        XCTAssertEqual(r[0].flags.preemptDepth, 3)
        XCTAssertEqual(r[0].flags.migrateDisableDepth, 1)
    }
}
