import TraceModel
import Timelines

/// `lost-wakeup` (seed 004, XFS `l_flush_wait`): a wake meant for W lands while W is still runnable, so the kernel
/// drops it; W then sleeps and nobody wakes it again.
public struct LostWakeup: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "lost-wakeup",
            title: "Lost wake-up: the wake landed before the waiter slept",
            explanation: """
                A waiter W must be on the waitqueue Q with its sleep state set before it re-checks its condition; \
                otherwise a waker that sets the condition and calls wake_up(Q) / wake_up_process(W) in between \
                finds W still TASK_RUNNING (or Q still empty) and the wake is dropped: try_to_wake_up() returns 0 \
                and emits no sched_waking. W then calls schedule() and sleeps forever. Fires when the trace shows \
                such a dropped wake (try_to_wake_up returning woken=0 for a running W, a __wake_up on a queue W \
                is on while W is running with no sched_waking for W, or a wake on Q landing in W's run just before \
                W enqueues on Q), followed by W sleeping and never being woken: reported by the hung-task \
                watchdog, a D sleep past the threshold, or (medium confidence) a D sleep of at least 1 s to the end of \
                the trace.
                """,
            lookAlikes: [
                "a wake of a running task that then runs (sched_waking follows, or the task runs again)",
                "spurious-return loops: the waiter is woken, re-checks and sleeps again",
                "a wake that found the waiter running, after which the waiter re-checked (finish_wait) or just idles in S",
                "tasks asleep at the end of the trace with no dropped wake before their sleep",
                "tasks that exit",
                "fixed kernels: the wake is ordered after the waiter's enqueue+set_current_state (sched_waking seen)",
            ],
            upstreamFixes: ["cdea5459ce26 xfs: fix missed wakeup on l_flush_wait (v5.4)",
                            "ed0172af5d6f SUNRPC: fix missing barrier before wake_up_bit",
                            "5266caaf5660 blk-mq: fix tag wait ordering"],
            seeds: ["004"],
            requiredEvents: ["sched_switch", "sched_waking or sched_wakeup",
                             "kprobe __wake_up and prepare_to_wait*/add_wait_queue*, or try_to_wake_up + its kretprobe"],
            recipe: CaptureRecipe(
                tracepoints: ["sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup",
                              "sched/sched_process_hang", "sched/sched_process_exit"],
                kprobes: ["p:ksleuth/ptw prepare_to_wait wq_head=%di wq_entry=%si state=%dx",
                          "p:ksleuth/ptwe prepare_to_wait_event wq_head=%di wq_entry=%si state=%dx",
                          "p:ksleuth/awqx add_wait_queue_exclusive wq_head=%di wq_entry=%si",
                          "p:ksleuth/finish_wait finish_wait wq_head=%di wq_entry=%si",
                          "p:ksleuth/wake __wake_up wq_head=%di mode=%si nr_exclusive=%dx key=%cx",
                          "p:ksleuth/ttwu try_to_wake_up p=%di state=%si wake_flags=%dx",
                          "r:ksleuth/ttwu_ret try_to_wake_up woken=$retval"],
                stackTriggers: ["sched/sched_switch:stacktrace if prev_state == 2"],
                kernelConfig: ["CONFIG_KPROBE_EVENTS", "CONFIG_DETECT_HUNG_TASK (for sched_process_hang)"],
                notes: ["ttwu may also fetch the target pid (pid=+OFFSET(%di):s32, offset of task_struct.pid in your "
                        + "build, e.g. from `pahole -C task_struct`); without it ksleuth learns p→pid from the "
                        + "sched_waking that follows a successful try_to_wake_up."]),
            triggeringFixtures: ["Fixtures/traces/lost-wakeup/buggy-wq-6.1.trace",
                                 "Fixtures/traces/lost-wakeup/buggy-proc-6.1.trace"],
            benignFixtures: ["Fixtures/traces/lost-wakeup/correct-wq-6.1.trace",
                             "Fixtures/traces/lost-wakeup/correct-proc-6.1.trace",
                             "Fixtures/traces/lost-wakeup/recheck-loops-5.15.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { LostWakeupDetector() }
}

final class LostWakeupDetector: Detector {
    struct Drop {
        var kind: String
        var time: Int64
        var waker: Int32
        var wakerComm: String
        var queue: ObjectRef?
        var evidence: [EvidenceLine]
        var strong: Bool
    }
    struct Pending {
        var target: Int32?
        var pointer: UInt64?
        var targetState: Int64
        var evidence: EvidenceLine
        var time: Int64
        var sawWaking = false
    }
    struct WakeRecord {
        var time: Int64
        var waker: Int32
        var evidence: PendingEvidence
        /// A sched_waking followed from the same waker before its next wake: the queue was not empty.
        var wokeSomeone = false
    }
    struct Suspect {
        var drop: Drop
        var sleep: EvidenceLine
        var sleptAt: Int64
    }

    var waiters: [ObjectRef: Set<Int32>] = [:]
    var lastQueue: PidMap<ObjectRef> = [:]
    var lastWake: [ObjectRef: WakeRecord] = [:]
    var lastWakeBy: PidMap<ObjectRef> = [:]
    var lastDequeue: PidMap<Int64> = [:]
    var tentative: PidMap<Drop> = [:]
    var pending: PidMap<Pending> = [:]
    var pointerToPid: [UInt64: Int32] = [:]
    var suspects: PidMap<Suspect> = [:]

    func isAwake(_ pid: Int32, _ ctx: AnalysisContext) -> Bool {
        guard let t = ctx.task(pid) else { return false }
        return t.runState == .running || t.runState == .runnable
    }

    var observedVerbs: Set<ActionVerb>? {
        [.wakeTask, .wakeTaskReturn, .waking, .wakeup, .wakeupNew, .wake, .enqueue, .dequeue, .switchOut, .switchIn,
         .exit]
    }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        switch a.verb {
        case .wakeTask:
            var p = Pending(target: nil, pointer: a.other?.id, targetState: a.value,
                            evidence: ctx.evidence(a, ""), time: a.timestamp)
            if a.value2 != Action.noValue { p.target = Int32(truncatingIfNeeded: a.value2) }
            else if let ptr = a.other?.id { p.target = pointerToPid[ptr] }
            pending[a.pid] = p
        case .wakeTaskReturn:
            guard let p = pending.removeValue(forKey: a.pid), let w = p.target, w != a.pid else { return }
            guard a.hasValue, a.value == 0, !p.sawWaking else { return }
            // Dropped only if W was running: p_state 0 when fetched, else our own view of W.
            let running = p.targetState != Action.noValue ? p.targetState == 0 : isAwake(w, ctx)
            guard running else { return }
            var ev = p.evidence
            ev.note = "try_to_wake_up(\(w)) while task \(w) is still running (state 0)"
            tentative[w] = Drop(kind: "try_to_wake_up returned 0: the target was still running", time: p.time,
                                waker: a.pid, wakerComm: a.comm, queue: lastQueue[w],
                                evidence: [ev, ctx.evidence(a, "woken=0: the wake was dropped")], strong: true)
        case .waking, .wakeup, .wakeupNew:
            let w = a.object.pid
            if !pending.isEmpty, var p = pending[a.pid] {
                if p.target == nil, let ptr = p.pointer { pointerToPid[ptr] = w; p.target = w }
                if p.target == w { p.sawWaking = true }
                pending[a.pid] = p
            }
            if a.verb == .waking || a.verb == .wakeup, !lastWakeBy.isEmpty, let q = lastWakeBy[a.pid] {
                // In place through the index: `lastWake[q]?.wokeSomeone = true` cost a thousand instructions a call.
                if let i = lastWake.index(forKey: q) { lastWake.values[i].wokeSomeone = true }
            }
            if !tentative.isEmpty { tentative[w] = nil }
            if !suspects.isEmpty { suspects[w] = nil }
        case .wake:
            let q = a.object
            lastWakeBy[a.pid] = q
            lastWake[q] = WakeRecord(time: a.timestamp, waker: a.pid, evidence: ctx.pending(a))
            // Only wakes within the race window of a later enqueue matter: forget older ones (bounded memory
            // however many queues the trace wakes).
            if lastWake.count > 4096 {
                let horizon = a.timestamp - ctx.options.raceWindow
                lastWake = lastWake.filter { $0.value.time >= horizon }
            }
            for w in waiters[q] ?? [] where w != a.pid && isAwake(w, ctx) {
                tentative[w] = Drop(kind: "wake on \(q) while the waiter was still running", time: a.timestamp,
                                    waker: a.pid, wakerComm: a.comm, queue: q,
                                    evidence: [ctx.evidence(a, "wake on \(q): task \(w) is queued but still running")],
                                    strong: true)
            }
        case .enqueue:
            let q = a.object
            let w = a.pid
            waiters[q, default: []].insert(w)
            lastQueue[w] = q
            if let r = lastWake[q], r.waker != w, a.timestamp - r.time <= ctx.options.raceWindow,
               r.time > lastDequeue[w, default: .min],
               let t = ctx.task(w), t.runState == .running || t.runState == .runnable,
               t.runningSince == Event.unknownTimestamp || t.runningSince <= r.time {
                let wakeEv = ctx.resolve(r.evidence, "wake on \(q) while task \(w) was running and not yet queued: nobody to wake")
                tentative[w] = Drop(kind: "wake on \(q) landed before the waiter queued itself", time: r.time,
                                    waker: r.waker, wakerComm: r.evidence.comm, queue: q,
                                    evidence: [wakeEv, ctx.evidence(a, "task \(w) queues itself on \(q) after the wake")],
                                    strong: !r.wokeSomeone)
            }
        case .dequeue:
            // finish_wait: the waiter went through a whole wait cycle and re-checked its condition, so an
            // earlier dropped wake cannot strand it; later enqueues only count wakes after this point.
            if !tentative.isEmpty { tentative[a.pid] = nil }
            lastDequeue[a.pid] = a.timestamp
            waiters[a.object]?.remove(a.pid)
            if waiters[a.object]?.isEmpty == true { waiters[a.object] = nil }
        case .switchOut:
            let w = a.object.pid
            if tentative.isEmpty && suspects.isEmpty { break }
            if a.state.isExit {
                tentative[w] = nil
                suspects[w] = nil
            } else if a.state.contains(.idle) || a.state.contains(.noload) {
                // TASK_IDLE: an idle worker waiting for work is not hung; its wakers re-check for it.
                tentative[w] = nil
            } else if a.state.isSleep, let d = tentative.removeValue(forKey: w) {
                suspects[w] = Suspect(drop: d, sleep: ctx.evidence(a, "task \(w) goes to sleep (\(a.state)) after the dropped wake"),
                                      sleptAt: a.timestamp)
            }
        case .switchIn:
            if !suspects.isEmpty { suspects[a.object.pid] = nil }
        case .exit:
            if !tentative.isEmpty { tentative[a.object.pid] = nil }
            if !suspects.isEmpty { suspects[a.object.pid] = nil }
        default:
            break
        }
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for (w, s) in suspects.sorted(by: { $0.key < $1.key }) {
            guard let t = ctx.task(w), t.runState == .sleeping, t.sleptAt == s.sleptAt,
                  let hang = ctx.hangReason(w, allowLong: true) else { continue }
            var f = Finding(signature: "lost-wakeup", title: "Lost wake-up",
                            verdict: "Task \(t.comm)-\(w) was woken by \(s.drop.wakerComm)-\(s.drop.waker) while still "
                                + "running (\(s.drop.kind)), then went to sleep (\(t.sleepState)) at "
                                + "\(TimestampFormat.seconds(s.sleptAt)) and was never woken again: \(hang.reason).",
                            confidence: hang.strong && s.drop.strong ? .high : .medium)
            f.confidenceReasons = [s.drop.kind, hang.reason]
            if !s.drop.strong {
                f.confidenceReasons.append("the wake preceded the waiter's enqueue and woke another task: the waiter may have re-checked its condition after it")
            } else if s.drop.kind.contains("before the waiter queued") {
                f.confidenceReasons.append("the wake woke nobody: the queue was still empty")
            }
            f.wouldRaise = []
            if !s.drop.strong {
                f.wouldRaise.append("try_to_wake_up + kretprobe (woken=0) or a __wake_up with the waiter already queued")
            }
            if t.hangEvidence == nil { f.wouldRaise.append("the hung-task watchdog's report (sched_process_hang) for the waiter") }
            if t.sleepStack.isEmpty {
                f.wouldRaise.append("the waiter's kernel stack (stacktrace trigger on sched_switch)")
            }
            f.wouldLower = ["a sched_waking for the waiter after the wake", "lost events after the wake"]
            let gaps = ctx.gaps(after: s.drop.time)
            if !gaps.isEmpty {
                f.confidence = f.confidence.lowered
                f.gaps = gaps.map(ctx.describe)
                f.confidenceReasons.append("events were lost after the wake: a later wake may be missing")
            }
            f.tasks = [TaskRef(pid: w, comm: t.comm, role: "waiter", state: "\(t.sleepState)"),
                       TaskRef(pid: s.drop.waker, comm: s.drop.wakerComm, role: "waker", state: nil)]
            if let q = s.drop.queue { f.objects.append(q.description) }
            f.objects.append(ObjectRef.task(w).description)
            f.since = s.drop.time
            let last = s.drop.evidence[0]
            f.lastTouch = LastTouch(pid: last.pid, comm: last.comm, timestamp: last.timestamp,
                                    lineNumber: last.lineNumber, what: last.note)
            f.evidence = s.drop.evidence + [s.sleep]
            if let h = t.hangEvidence { f.evidence.append(h) }
            f.evidence.sort { $0.lineNumber < $1.lineNumber }
            let (lines, trimmed) = ctx.excerpt(s.drop.queue ?? .task(w))
            f.timeline = lines
            f.timelineTrimmed = trimmed
            f.kernelStack = t.sleepStack
            f.upstreamFixes = LostWakeup().info.upstreamFixes
            out.append(f)
        }
        return out
    }
}
