import XCTest
import Reports
import Signatures
import TraceModel
import Timelines

/// Each seed scenario names the right task, object and moment — not just the right signature id.
final class ScenarioTests: XCTestCase {
    func finding(_ fixture: String, _ options: AnalysisOptions = AnalysisOptions()) throws -> Finding {
        let r = try analyze(fixture, options: options)
        XCTAssertEqual(r.findings.count, 1, "\(fixture): \(r.findings.map(\.verdict))")
        return try XCTUnwrap(r.findings.first)
    }

    func testLostWakeupOnAnEmptyQueueNamesWaiterWakerAndQueue() throws {
        let f = try finding("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace")
        XCTAssertEqual(f.signature, "lost-wakeup")
        XCTAssertEqual(f.confidence, .high)
        XCTAssertEqual(f.tasks.first { $0.role == "waiter" }?.pid, 139)
        XCTAssertEqual(f.tasks.first { $0.role == "waiter" }?.state, "D")
        XCTAssertEqual(f.tasks.first { $0.role == "waker" }?.pid, 140)
        XCTAssertTrue(f.objects.contains("waitqueue:0xff271bc27ff52300"))
        XCTAssertEqual(f.since, 3_078_128_000)
        // The wake, the enqueue after it, the D switch-out and the watchdog's report, in order.
        XCTAssertTrue(f.evidence.map(\.text).first!.hasPrefix("wakeup: (__wake_up+0x0/0x10)"))
        XCTAssertTrue(f.evidence.contains { $0.text.hasPrefix("ptw: (prepare_to_wait+") })
        XCTAssertTrue(f.evidence.contains { $0.text.hasPrefix("sched_switch:") && $0.text.contains("prev_state=D") })
        XCTAssertTrue(f.evidence.last!.text.hasPrefix("sched_process_hang: comm=lw_waiter pid=139"))
        XCTAssertEqual(f.evidence.map(\.lineNumber), f.evidence.map(\.lineNumber).sorted())
        XCTAssertEqual(Array(f.kernelStack.prefix(2)), ["schedule", "lw_waiter_fn"])
    }

    func testLostWakeupWithoutSchedWakingUsesTryToWakeUpReturn() throws {
        let f = try finding("Fixtures/traces/lost-wakeup/buggy-proc-6.1.trace")
        XCTAssertEqual(f.signature, "lost-wakeup")
        XCTAssertEqual(f.tasks.first { $0.role == "waiter" }?.pid, 137)
        XCTAssertTrue(f.evidence.contains { $0.text.contains("ttwu_ret:") && $0.text.contains("woken=0x0") })
        XCTAssertTrue(f.evidence.contains { $0.text.contains("pid=137") && $0.text.contains("p_state=0x0") })
    }

    func testLostEventsAfterTheWakeLowerConfidence() throws {
        let text = try XCTUnwrap(readText(path("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace")))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try XCTUnwrap(lines.firstIndex { $0.contains("prev_pid=139") && $0.contains("prev_state=D") && $0.contains("3.078405") })
        lines.insert("CPU:0 [LOST 118 EVENTS]", at: i + 1)
        let r = try analyze(text: lines.joined(separator: "\n"), name: "gap")
        let f = try XCTUnwrap(r.findings.first { $0.signature == "lost-wakeup" })
        XCTAssertEqual(f.confidence, .medium)
        XCTAssertEqual(f.gaps.count, 1)
    }

    func testDoubleSpliceNamesTheDentryAndBothTasks() throws {
        let f = try finding("Fixtures/traces/double-d-splice/dsplice-same-6.1.trace")
        XCTAssertEqual(f.objects, ["dentry:0xff40154b820c8000"])
        XCTAssertEqual(f.tasks.map(\.pid), [158, 159])
        XCTAssertTrue(f.evidence.contains { $0.text.contains("kernel BUG at fs/dcache.c") })
    }

    func testDoubleSpliceWithoutLifetimeProbesOrCrashIsNotReported() throws {
        // Without d_drop probes and without a crash the same address may simply have been freed and reused
        // (the lab's healthy workload reuses /proc dentries within milliseconds): no finding.
        let text = try XCTUnwrap(readText(path("Fixtures/traces/double-d-splice/nfs-atomic-open-4.7.trace")))
        let healthy = text.split(separator: "\n").filter { !$0.contains("console:") }.joined(separator: "\n")
            + "\n            ls-4121  [001] ....     5.400500: dsplice_ret: (nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0\n"
        let r = try analyze(text: healthy, name: "no-crash")
        XCTAssertEqual(r.findings.map(\.signature), [])
    }

    func testStallIsNotALostWakeup() throws {
        let f = try finding("Fixtures/traces/stall/stall-iclog-5.4.trace")
        XCTAssertEqual(f.signature, "stall")
        XCTAssertEqual(f.objects, ["waitqueue:0xffff9b5c3a6f2a28"])
        XCTAssertEqual(f.tasks.first?.pid, 2211)
        XCTAssertEqual(f.kernelStack.first, "schedule")
        XCTAssertTrue(f.kernelStack.contains("xlog_state_get_iclog_space"))
        // Who should have woken it: the log I/O completion worker that woke the queue in the earlier round.
        XCTAssertEqual(f.tasks.first { $0.role == "usual waker" }?.pid, 233)
    }

    func testHungTaskThresholdIsAnOption() throws {
        let f = try finding("Fixtures/traces/hung-task/d-sleep-200s-5.10.trace")
        XCTAssertEqual(f.tasks.first?.pid, 3021)
        var o = AnalysisOptions()
        o.hungThreshold = 300_000_000_000
        XCTAssertEqual(try analyze("Fixtures/traces/hung-task/d-sleep-200s-5.10.trace", options: o).findings.count, 0)
    }

    func testFscacheWaiterJoinedByTimeAndStack() throws {
        let f = try finding("Fixtures/traces/fscache-waiter-empty-backing/lcfl-enable-drop-4.19.trace")
        XCTAssertEqual(f.tasks.first?.pid, 2211)
        XCTAssertEqual(f.objects.first, "cookie:a3f1c2d4")
        XCTAssertEqual(f.confidence, .high)
        XCTAssertEqual(f.lastTouch?.what, "DROP (backing objects now empty)")
    }

    func testUseAfterRelinquishPointsAtTheObjectStep() throws {
        let f = try finding("Fixtures/traces/use-after-relinquish/invl-after-relinquish-4.19.trace")
        XCTAssertTrue(f.objects.contains("object:e5a0c931"))
        XCTAssertTrue(f.evidence.contains { $0.text.contains("c=0000000000000000") && $0.text.contains("INVL") })
    }

    func testLockInversionReportsTheSeedChain() throws {
        let f = try finding("Fixtures/traces/lock-inversion/netfs-readpage-write-5.15.trace")
        XCTAssertEqual(Set(f.objects), ["lock:&mm->mmap_lock#2", "lock:mapping.invalidate_lock#3", "lock:sb_writers#10"])
        XCTAssertTrue(f.confidenceReasons.contains { $0.contains("synchronously") })
    }

    func testOnlySelectedSignaturesRun() throws {
        var o = AnalysisOptions()
        o.enabled = ["hung-task"]
        XCTAssertEqual(try analyze("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace", options: o).findings.map(\.signature),
                       ["hung-task"], "with lost-wakeup off, the watchdog's report is still a hung task")
    }

    func testTraceCmdReportNeedsAProbeMapToSeeTheLostWakeup() throws {
        // Plain `trace-cmd report`: plugin-formatted sched lines, kprobes shown by address only.
        let fixture = "Fixtures/traces/lost-wakeup/tc-buggy-wq-6.1.report"
        // Without a map, ksleuth knows its own recipe's probe names (ptw, ttwu, ttwu_ret) but not `wakeup`: it
        // reports the hang on the queue, says it cannot be sure, and names the unidentified probe.
        let bare = try analyze(fixture)
        XCTAssertEqual(bare.findings.count, 1)
        XCTAssertNotEqual(bare.findings.first?.signature, "lost-wakeup")
        XCTAssertEqual(bare.findings.first?.blockedPids, [144])
        XCTAssertEqual(bare.findings.first?.confidence, .low)
        XCTAssertTrue(bare.blindSpots.contains { $0.contains("address only") && $0.contains("wakeup") })
        var o = AnalysisOptions()
        o.probeAliases = try ProbeAlias.parseFile("""
            probe wakeup __wake_up
            probe ptw prepare_to_wait
            probe ptwe prepare_to_wait_event
            probe ttwu try_to_wake_up
            retprobe ttwu_ret try_to_wake_up
            """)
        let f = try finding(fixture, o)
        XCTAssertEqual(f.signature, "lost-wakeup")
        XCTAssertEqual(f.tasks.first { $0.role == "waiter" }?.pid, 144)
        XCTAssertEqual(f.tasks.first { $0.role == "waker" }?.pid, 145)
        XCTAssertEqual(f.confidence, .high)
    }

    func testTheWatchdogsConsoleLineCountsWhenSchedProcessHangIsNotTraced() throws {
        let text = try XCTUnwrap(readText(path("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace")))
        let withoutEvent = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("sched_process_hang:") }.joined(separator: "\n")
        let r = try analyze(text: withoutEvent, name: "console-only")
        let f = try XCTUnwrap(r.findings.first)
        XCTAssertEqual(r.findings.count, 1)
        XCTAssertEqual(f.signature, "lost-wakeup")
        XCTAssertEqual(f.confidence, .high)
        XCTAssertTrue(f.evidence.contains { $0.text.contains("INFO: task lw_waiter:139 blocked for more than") })
    }

    func testWithoutAnyWatchdogReportALongDSleepAfterTheDropIsStillSuspectButLessSure() throws {
        let text = try XCTUnwrap(readText(path("Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace")))
        let silent = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("sched_process_hang:") && !$0.contains("console:") }.joined(separator: "\n")
        let r = try analyze(text: silent, name: "no-watchdog")
        XCTAssertEqual(r.findings.map(\.signature), ["lost-wakeup"])
        XCTAssertEqual(r.findings.first?.confidence, .medium, "a D sleep of 8 s to the end, no watchdog report")
    }

    func testLockChainsDoNotCrossIntoInterruptContext() throws {
        // Task 10 holds A; an interrupt on its CPU (flag h) takes and drops B; task 20 takes B then A. Lockdep keeps
        // hardirq chains apart from the interrupted task's, so there is no A → B edge and no cycle. Traced as task
        // context (no h), the same nesting is a real inversion.
        func trace(_ irqFlags: String) -> String {
            """
            # tracer: nop
                       t10-10    [000] ....   100.000100: lock_acquire: ffff000000000a00 lock_A
                       t10-10    [000] \(irqFlags)   100.000200: lock_acquire: ffff000000000b00 lock_B
                       t10-10    [000] \(irqFlags)   100.000300: lock_release: ffff000000000b00 lock_B
                       t10-10    [000] ....   100.000400: lock_release: ffff000000000a00 lock_A
                       t20-20    [001] ....   100.001000: lock_acquire: ffff000000000b00 lock_B
                       t20-20    [001] ....   100.001100: lock_acquire: ffff000000000a00 lock_A
                       t20-20    [001] ....   100.001200: lock_release: ffff000000000a00 lock_A
                       t20-20    [001] ....   100.001300: lock_release: ffff000000000b00 lock_B

            """
        }
        XCTAssertEqual(try analyze(text: trace("d.h."), name: "irq").findings.map(\.signature), [])
        XCTAssertEqual(try analyze(text: trace("...."), name: "task").findings.map(\.signature), ["lock-inversion"])
    }
}
