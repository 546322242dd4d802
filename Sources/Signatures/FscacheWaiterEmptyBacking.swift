import TraceModel
import Timelines

/// `fscache-waiter-empty-backing` (seed 000, fix c5a94f43): LOOKING_UP is cleared on lookup failure (LCFL), set again
/// by a re-enable, a reader waits on it, and DROP empties the cookie's backing objects without clearing it or waking.
public struct FscacheWaiterEmptyBacking: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "fscache-waiter-empty-backing",
            title: "fscache reader stranded on LOOKING_UP after DROP",
            explanation: """
                On cookie C: the object's lookup fails (fscache_osm LCFL: LOOKING_UP cleared and waiters woken), \
                LOOKING_UP is set again (fscache_enable / fscache_cookie with f & 0x01), a reader R waits for it \
                (fscache_wait_for_deferred_lookup, i.e. wait_on_bit(&C->flags, 0) in S state), and the object goes \
                to DROP, leaving C with no backing object: nobody will clear LOOKING_UP or wake R. Fires when R is \
                still asleep at the end of the trace. The S-state wait is invisible to the hung-task watchdog.
                """,
            lookAlikes: ["the reader waited before LCFL (the LCFL wake releases it: sched_waking, -ENOBUFS)",
                         "the reader checks backing_objects after DROP and takes the nobufs path (no wait)",
                         "fixed kernels: DROP also clears LOOKING_UP and wakes (wake_up_bit on C right after DROP)",
                         "a normal lookup (LOOK → AVBL, no LCFL)"],
            upstreamFixes: ["c5a94f43 fscache: fix race between enablement and dropping of object (NeilBrown, 2018)"],
            seeds: ["000"],
            requiredEvents: ["fscache_osm", "fscache_enable or fscache_cookie (f=)", "sched_switch",
                             "kprobe fscache_wait_for_deferred_lookup or out_of_line_wait_on_bit"],
            recipe: CaptureRecipe(
                tracepoints: ["fscache/fscache_osm", "fscache/fscache_enable", "fscache/fscache_disable",
                              "fscache/fscache_cookie", "fscache/fscache_acquire", "fscache/fscache_relinquish",
                              "sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup"],
                kprobes: ["p:ksleuth/fwdl fscache_wait_for_deferred_lookup cookie=%di",
                          "p:ksleuth/waitbit out_of_line_wait_on_bit word=%di bit=%si mode=%cx",
                          "p:ksleuth/wakebit wake_up_bit word=%di bit=%si"],
                stackTriggers: ["sched/sched_switch:stacktrace if prev_state == 1"],
                kernelConfig: ["CONFIG_FSCACHE (v4.17–v5.14 for these tracepoints)"],
                notes: ["On v4.15–v5.11 tracepoint pointers are hashed: c= does not equal the kprobe's cookie=, "
                        + "so ksleuth joins the reader by time (medium confidence)."]),
            triggeringFixtures: ["Fixtures/traces/fscache-waiter-empty-backing/lcfl-enable-drop-4.19.trace"],
            benignFixtures: ["Fixtures/traces/fscache-waiter-empty-backing/drop-wakes-fixed-4.19.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { FscacheWaiterDetector() }
}

final class FscacheWaiterDetector: Detector {
    struct CookieState {
        var lcfl: EvidenceLine?
        var reset: EvidenceLine?
        var drop: EvidenceLine?
        var object: ObjectRef?
    }
    struct Wait {
        var pid: Int32
        var cookie: UInt64?
        var time: Int64
        var evidence: EvidenceLine
    }
    var cookies: [UInt64: CookieState] = [:]
    var waits: [Wait] = []
    /// The switch-out line of readers that went to sleep after waiting (quoted while its batch is current).
    var readerSleeps: [Int32: EvidenceLine] = [:]
    var stranded: [(cookie: UInt64, state: CookieState)] = []

    /// `waits` grows only on `waitLookup` and `enqueue`, so its trim at the end of `observe` needs no other verb.
    var observedVerbs: Set<ActionVerb>? { [.objectStep, .enable, .cookieStep, .acquire, .waitLookup, .enqueue, .switchOut] }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        switch a.verb {
        case .objectStep where a.other?.kind == .cookie:
            let c = a.other!.id
            let state = a.detail.split(separator: " ").first.map(String.init) ?? ""
            if state == "LCFL" {
                cookies[c] = CookieState(lcfl: ctx.evidence(a, "lookup failed: LOOKING_UP cleared, waiters woken"),
                                         object: a.object)
            } else if state == "DROP", var s = cookies[c], s.reset != nil, s.drop == nil {
                s.drop = ctx.evidence(a, "object dropped: \(ObjectRef(.cookie, c)) has no backing object left")
                cookies[c] = s
                stranded.append((c, s))
            }
        case .enable, .cookieStep, .acquire:
            guard a.object.kind == .cookie, var s = cookies[a.object.id], s.lcfl != nil, s.reset == nil else { return }
            if a.verb == .acquire || (a.hasValue && a.value & 0x01 != 0) {
                s.reset = ctx.evidence(a, "LOOKING_UP set again (f & 0x01) after the failed lookup")
                cookies[a.object.id] = s
            }
        case .waitLookup:
            waits.append(Wait(pid: a.pid, cookie: a.object.id, time: a.timestamp,
                              evidence: ctx.evidence(a, "task \(a.pid) waits for LOOKING_UP to clear")))
        case .enqueue where a.object.kind == .waitKey && a.object.sub == 0:
            waits.append(Wait(pid: a.pid, cookie: nil, time: a.timestamp,
                              evidence: ctx.evidence(a, "task \(a.pid) waits on bit 0 (LOOKING_UP) of \(a.object)")))
        case .switchOut where a.state.isSleep:
            if let w = waits.last(where: { $0.pid == a.object.pid }), w.time <= a.timestamp,
               a.timestamp - w.time < 1_000_000_000 {
                readerSleeps[a.object.pid] = ctx.evidence(a, "the reader sleeps and is never woken")
                if readerSleeps.count > 4096 { readerSleeps.removeAll() }
            }
        default:
            break
        }
        if waits.count > 4096 { waits.removeFirst(1024) }
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for (c, s) in stranded {
            guard let lcfl = s.lcfl, let reset = s.reset, let drop = s.drop else { continue }
            let exact = waits.filter { $0.cookie == c }
            let windowed = waits.filter { $0.time >= reset.timestamp && $0.time <= drop.timestamp }
            var seenPids: Set<Int32> = []
            let candidates = (exact.isEmpty ? windowed : exact).filter { seenPids.insert($0.pid).inserted }
            for w in candidates {
                guard w.time >= lcfl.timestamp, let t = ctx.task(w.pid), t.runState == .sleeping,
                      t.sleptAt >= w.time else { continue }
                let cookie = ObjectRef(.cookie, c)
                var f = Finding(signature: "fscache-waiter-empty-backing",
                                title: "fscache reader stranded on LOOKING_UP",
                                verdict: "Task \(t.comm)-\(w.pid) waits for LOOKING_UP on \(cookie), which was set again "
                                    + "after a failed lookup; the object was then dropped, so nothing will clear the bit "
                                    + "or wake the reader (asleep \(t.sleepState) since \(TimestampFormat.seconds(t.sleptAt))).",
                                confidence: exact.isEmpty ? .medium : .high)
                f.confidenceReasons = ["LCFL → LOOKING_UP re-set → reader waits → DROP on one cookie, reader never woken"]
                if exact.isEmpty {
                    f.confidenceReasons.append("the reader is joined to the cookie by time (hashed pointers in tracepoints)")
                    if t.sleepStack.contains("fscache_wait_for_deferred_lookup") {
                        f.confidence = .high
                        f.confidenceReasons.append("its kernel stack sleeps in fscache_wait_for_deferred_lookup")
                    }
                }
                f.wouldRaise = ["raw pointers (v5.12+) or a kprobe on fscache_wait_for_deferred_lookup whose cookie= matches",
                                "the reader's stack showing fscache_wait_for_deferred_lookup"]
                if t.sleepStack.contains("fscache_wait_for_deferred_lookup") { f.wouldRaise.removeLast() }
                if !exact.isEmpty { f.wouldRaise.removeFirst() }
                f.wouldLower = ["a wake_up_bit on the cookie's flags after DROP", "lost events after DROP"]
                let after = ctx.lastTimestamp - drop.timestamp
                if after < 100_000_000 {
                    f.confidence = .low
                    f.confidenceReasons.append("the trace ends \(TimestampFormat.duration(after)) after DROP: a late wake cannot be excluded")
                }
                let gaps = ctx.gaps(after: drop.timestamp)
                if !gaps.isEmpty { f.confidence = f.confidence.lowered; f.gaps = gaps.map(ctx.describe) }
                f.tasks = [TaskRef(pid: w.pid, comm: t.comm, role: "waiter", state: "\(t.sleepState)")]
                f.objects = [cookie.description] + (s.object.map { [$0.description] } ?? [])
                f.since = w.time
                f.lastTouch = LastTouch(pid: drop.pid, comm: drop.comm, timestamp: drop.timestamp,
                                        lineNumber: drop.lineNumber, what: "DROP (backing objects now empty)")
                var sleep = (readerSleeps[w.pid].flatMap { $0.timestamp == t.sleptAt ? $0 : nil } ?? t.sleepEvidence)
                    .map { [$0] } ?? []
                if !sleep.isEmpty { sleep[0].note = "the reader sleeps and is never woken" }
                f.evidence = ([lcfl, reset, w.evidence, drop] + sleep).sorted { $0.lineNumber < $1.lineNumber }
                (f.timeline, f.timelineTrimmed) = ctx.excerpt(cookie)
                f.kernelStack = t.sleepStack
                f.upstreamFixes = FscacheWaiterEmptyBacking().info.upstreamFixes
                out.append(f)
            }
        }
        return out
    }
}
