import TraceModel
import Timelines

/// `hung-task`: what the kernel's watchdog reports — a D sleep at least `hung_task_timeout_secs` long.
public struct HungTask: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "hung-task",
            title: "Hung task: uninterruptible sleep past the threshold",
            explanation: """
                A task slept in TASK_UNINTERRUPTIBLE (D, not killable, not idle) for at least the hung-task \
                threshold (default 120 s, --hung-threshold), or the kernel's watchdog reported it \
                (sched_process_hang). Exited tasks are excluded; S sleeps never count (the watchdog ignores them). \
                Reported only when no more specific signature (lost-wakeup, stall, fscache waiter) explains the task.
                """,
            lookAlikes: ["long S sleeps of idle daemons", "D sleeps shorter than the threshold", "exits (x/X/Z)",
                         "TASK_IDLE (I, or D|N before 4.14) and killable (D|K before 4.14) sleeps"],
            upstreamFixes: [],
            seeds: ["004"],
            requiredEvents: ["sched_switch (prev_state)", "sched_waking or sched_wakeup", "or sched_process_hang"],
            recipe: CaptureRecipe(
                tracepoints: ["sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup",
                              "sched/sched_process_hang", "sched/sched_process_exit"],
                stackTriggers: ["sched/sched_switch:stacktrace if prev_state == 2"],
                kernelConfig: ["CONFIG_DETECT_HUNG_TASK", "kernel.hung_task_timeout_secs (sysctl)"]),
            triggeringFixtures: ["Fixtures/traces/hung-task/d-sleep-200s-5.10.trace"],
            benignFixtures: ["Fixtures/traces/hung-task/long-s-sleep-5.10.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { HungTaskDetector() }
}

final class HungTaskDetector: Detector {
    func observe(_ a: Action, _ ctx: AnalysisContext) {}
    var observedVerbs: Set<ActionVerb>? { [] }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for (pid, t) in ctx.tasks.sorted(by: { $0.key < $1.key }) where t.runState != .exited {
            var verdict: String?
            var since: Int64?
            var evidence: [EvidenceLine] = []
            var state = t.sleepState.description
            if let reason = ctx.hangReason(pid, allowLong: false) {
                verdict = "Task \(t.comm)-\(pid) is blocked (\(t.sleepState)) since \(TimestampFormat.seconds(t.sleptAt)): \(reason.reason)."
                since = t.sleptAt
                if let s = t.sleepEvidence { evidence.append(s) }
                if let h = t.hangEvidence { evidence.append(h) }
            } else if let h = t.hangEvidence {
                verdict = "The hung-task watchdog reported \(t.comm)-\(pid) (line \(h.lineNumber))."
                since = h.timestamp
                evidence.append(h)
                state = "D"
            } else if t.longestDSleep.duration >= ctx.options.hungThreshold {
                let d = t.longestDSleep
                verdict = "Task \(t.comm)-\(pid) was blocked in D for \(TimestampFormat.duration(d.duration)) before it was woken."
                since = d.start?.timestamp
                evidence = [d.start, d.end].compactMap { $0 }
            }
            guard let v = verdict else { continue }
            var f = Finding(signature: "hung-task", title: "Hung task", verdict: v, confidence: .high)
            f.confidenceReasons = ["the sleep is uninterruptible and long, or the kernel's watchdog said so"]
            f.wouldRaise = ["waitqueue probes (prepare_to_wait*, __wake_up) to tell a lost wake-up from a stall"]
            f.wouldLower = ["lost events for the task's CPU"]
            f.tasks = [TaskRef(pid: pid, comm: t.comm, role: "blocked", state: state)]
            f.objects = [ObjectRef.task(pid).description]
            f.since = since
            f.evidence = evidence.sorted { $0.lineNumber < $1.lineNumber }
            (f.timeline, f.timelineTrimmed) = ctx.excerpt(.task(pid))
            f.kernelStack = t.sleepStack
            if let s = since, !ctx.gaps(after: s).isEmpty { f.gaps = ctx.gaps(after: s).map(ctx.describe) }
            out.append(f)
        }
        return out
    }
}
