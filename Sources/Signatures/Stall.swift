import TraceModel
import Timelines

/// `stall`: W sleeps on Q and no wake on Q ever comes — I/O below never completes, a completion is missing. A hang,
/// but not a lost wake-up: the fix is below the waitqueue, not in its ordering.
public struct Stall: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "stall",
            title: "Stall: the waiter sleeps on a queue nobody wakes",
            explanation: """
                W queued itself on Q (prepare_to_wait*, add_wait_queue*, out_of_line_wait_on_bit, \
                fscache_wait_for_deferred_lookup) and went to sleep; no wake on Q and no wake of W came for the \
                rest of the trace, and the sleep is a hang (hung-task report, or a D sleep past the threshold). \
                Nobody tried to wake it: look below Q (I/O issued but never completed, a work item never run), \
                not at the wake-up ordering. The seed-004 reporter's own machine was this case.
                """,
            lookAlikes: ["tasks asleep at the end of the trace without a hang report or a D sleep past the threshold",
                         "a lost wake-up (a wake on Q did come, but was dropped): reported as lost-wakeup"],
            upstreamFixes: [],
            seeds: ["004 (look-alike)"],
            requiredEvents: ["sched_switch", "prepare_to_wait*/add_wait_queue*/out_of_line_wait_on_bit kprobes",
                             "__wake_up / wake_up_bit kprobes", "sched_process_hang or a long enough trace"],
            recipe: CaptureRecipe(
                tracepoints: ["sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup",
                              "sched/sched_process_hang", "block/block_rq_issue", "block/block_rq_complete"],
                kprobes: ["p:ksleuth/ptw prepare_to_wait wq_head=%di wq_entry=%si state=%dx",
                          "p:ksleuth/ptwe prepare_to_wait_event wq_head=%di wq_entry=%si state=%dx",
                          "p:ksleuth/awqx add_wait_queue_exclusive wq_head=%di wq_entry=%si",
                          "p:ksleuth/waitbit out_of_line_wait_on_bit word=%di bit=%si",
                          "p:ksleuth/wake __wake_up wq_head=%di mode=%si nr_exclusive=%dx",
                          "p:ksleuth/wakebit wake_up_bit word=%di bit=%si"],
                stackTriggers: ["sched/sched_switch:stacktrace if prev_state == 2"],
                kernelConfig: ["CONFIG_DETECT_HUNG_TASK"],
                notes: ["block_rq_issue without block_rq_complete points at the I/O below."]),
            triggeringFixtures: ["Fixtures/traces/stall/stall-iclog-5.4.trace"],
            benignFixtures: ["Fixtures/traces/stall/asleep-at-end-5.4.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { StallDetector() }
}

final class StallDetector: Detector {
    struct Wait {
        var queue: ObjectRef
        var time: Int64
        var evidence: EvidenceLine
        var sleep: EvidenceLine?
        var sleptAt: Int64 = Event.unknownTimestamp
    }
    var waits: [Int32: Wait] = [:]
    var lastWake: [ObjectRef: Int64] = [:]
    var waited: [ObjectRef: Int] = [:]
    struct Waker {
        var pid: Int32
        var commText: KeptText
        var time: Int64
        var line: Int
        var comm: String { commText.string }
    }
    var lastWaker: [ObjectRef: Waker] = [:]

    func release(_ q: ObjectRef) {
        guard let n = waited[q] else { return }
        if n <= 1 { waited[q] = nil; lastWake[q] = nil } else { waited[q] = n - 1 }
    }

    func drop(_ pid: Int32) {
        if let w = waits.removeValue(forKey: pid) { release(w.queue) }
    }

    var observedVerbs: Set<ActionVerb>? {
        [.enqueue, .waitLookup, .wake, .wakeCookie, .dequeue, .switchOut, .waking, .wakeup, .switchIn, .exit]
    }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        switch a.verb {
        case .enqueue, .waitLookup:
            if let old = waits[a.pid] { release(old.queue) }
            waited[a.object, default: 0] += 1
            waits[a.pid] = Wait(queue: a.object, time: a.timestamp,
                                evidence: ctx.evidence(a, "task \(a.pid) waits on \(a.object)"))
        case .wake, .wakeCookie:
            // Remember wakes only of queues someone waits on: memory follows the waiters, not the wakes.
            if waited[a.object, default: 0] > 0 { lastWake[a.object] = a.timestamp }
            // Who usually wakes each queue (bounded: the older half is forgotten when the table fills).
            lastWaker[a.object] = Waker(pid: a.pid, commText: KeptText(a.commText), time: a.timestamp, line: a.lineNumber)
            if lastWaker.count > 32_768 {
                var sample: [Int64] = []
                var k = 0
                for v in lastWaker.values { if k & 31 == 0 { sample.append(v.time) }; k += 1 }
                sample.sort()
                let cutoff = sample[sample.count / 2]
                lastWaker = lastWaker.filter { $0.value.time >= cutoff || self.waited[$0.key] != nil }
            }
        case .dequeue:
            if waits[a.pid]?.queue == a.object { drop(a.pid) }
        case .switchOut:
            if waits.isEmpty { break }
            let w = a.object.pid
            if a.state.isExit { drop(w) }
            else if a.state.isSleep, waits[w] != nil, waits[w]!.sleep == nil {
                waits[w]!.sleep = ctx.evidence(a, "task \(w) sleeps (\(a.state)) waiting on \(waits[w]!.queue)")
                waits[w]!.sleptAt = a.timestamp
            }
        case .waking, .wakeup, .switchIn:
            if waits.isEmpty { break }
            // Woken or running again: the wait is over (a later wait starts afresh).
            if let w = waits[a.object.pid], w.sleep != nil { drop(a.object.pid) }
        case .exit:
            if !waits.isEmpty { drop(a.object.pid) }
        default:
            break
        }
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for (pid, w) in waits.sorted(by: { $0.key < $1.key }) {
            guard let sleep = w.sleep, let t = ctx.task(pid), t.runState == .sleeping, t.sleptAt == w.sleptAt,
                  let hang = ctx.hangReason(pid, allowLong: false) else { continue }
            if let lw = lastWake[w.queue], lw >= w.time { continue }
            var f = Finding(signature: "stall", title: "Stall: nobody woke the waiter",
                            verdict: "Task \(t.comm)-\(pid) sleeps (\(t.sleepState)) on \(w.queue) since "
                                + "\(TimestampFormat.seconds(w.sleptAt)) and no wake on that queue came after it queued itself: \(hang.reason). "
                                + "Look below the queue (I/O or work that never completed), not at wake-up ordering.",
                            confidence: .high)
            f.confidenceReasons = ["no wake on \(w.queue) after the waiter queued itself", hang.reason]
            f.wouldRaise = ["block_rq_issue without block_rq_complete, or the condition's producer never running"]
            f.wouldLower = ["lost events after the enqueue (a wake may be missing)", "no __wake_up probe in the trace"]
            if !ctx.unresolvedProbes.isEmpty {
                f.confidence = .low
                f.confidenceReasons.append("probes shown by address only were not identified ("
                    + ctx.unresolvedProbes.sorted().joined(separator: ", ") + "): the wake may be among them")
            } else if !ctx.saw(.wake) {
                f.confidence = .medium
                f.confidenceReasons.append("the trace has no wake probes at all: a wake would be invisible")
            }
            let gaps = ctx.gaps(after: w.time)
            if !gaps.isEmpty {
                f.confidence = f.confidence.lowered
                f.gaps = gaps.map(ctx.describe)
            }
            f.tasks = [TaskRef(pid: pid, comm: t.comm, role: "waiter", state: "\(t.sleepState)")]
            if let k = lastWaker[w.queue], k.time < w.time, k.pid != pid {
                // Who should have woken it: whoever woke this queue before.
                f.tasks.append(TaskRef(pid: k.pid, comm: k.comm, role: "usual waker", state: ctx.task(k.pid).map { "\($0.runState.rawValue)" }))
                let now = ctx.task(k.pid).map { $0.runState == .sleeping ? " and is asleep (\($0.sleepState)) now" : "" } ?? ""
                f.verdict += " The queue's usual waker, \(k.comm)-\(k.pid), last woke it at \(TimestampFormat.seconds(k.time)) "
                    + "(line \(k.line))\(now): what is it waiting for?"
            }
            f.objects = [w.queue.description]
            f.since = w.sleptAt
            f.lastTouch = ctx.timelines[w.queue]?.last.map {
                LastTouch(pid: $0.pid, comm: $0.comm, timestamp: $0.timestamp, lineNumber: $0.lineNumber, what: $0.summary)
            }
            f.evidence = [w.evidence, sleep] + (t.hangEvidence.map { [$0] } ?? [])
            (f.timeline, f.timelineTrimmed) = ctx.excerpt(w.queue)
            f.kernelStack = t.sleepStack
            out.append(f)
        }
        return out
    }
}
