import TraceModel
import Timelines

/// `use-after-relinquish` (seed 001, fix 1362729b169b): an object step on a cookie (or its object) after the cookie
/// was relinquished — pending invalidation work running with `object->cookie` gone.
public struct UseAfterRelinquish: Signature {
    public init() {}
    static let teardownStates: Set<String> = ["KILL", "KDEP", "DROP", "DEAD", "ABRT", "?CLR", "WAIT"]

    public var info: SignatureInfo {
        SignatureInfo(
            id: "use-after-relinquish",
            title: "Cookie used after relinquish",
            explanation: """
                Invalidation (or other object work) is pending on cookie C when the netfs relinquishes C; the work \
                then runs with object->cookie NULL (fscache_invalidate_writes oops). Fires on any object step, \
                cache I/O or access BEGIN on C or its object after C's teardown, except the teardown states \
                themselves (KILL/DROP/DEAD). Near miss handled: when relinquish reports active users (Na>0, the \
                n_active of the fix), teardown waits for fscache_wake_cookie / PUT rlq, and steps before that are \
                legal.
                """,
            lookAlikes: ["INVL completes before relinquish", "relinquish with Na>0 waiting for fscache_wake_cookie (fixed kernels)",
                         "the object's own KILL → DROP → DEAD after relinquish",
                         "v5.17+: relinquish during BEGIN inval, handled by the cookie state machine"],
            upstreamFixes: ["1362729b169b FS-Cache: Simplify cookie retention for fscache_objects, fixing oops (v3.11)"],
            seeds: ["001"],
            requiredEvents: ["fscache_relinquish (or kprobe __fscache_relinquish_cookie)",
                             "fscache_osm / cachefiles_ref (object steps)", "fscache_wake_cookie"],
            recipe: CaptureRecipe(
                tracepoints: ["fscache/fscache_relinquish", "fscache/fscache_osm", "fscache/fscache_cookie",
                              "fscache/fscache_wake_cookie", "fscache/fscache_invalidate", "fscache/fscache_access",
                              "cachefiles/cachefiles_ref"],
                kprobes: ["p:ksleuth/fsinval __fscache_invalidate cookie=%di",
                          "p:ksleuth/fsrlq __fscache_relinquish_cookie cookie=%di retire=%si",
                          "p:ksleuth/fsinvw fscache_invalidate_writes cookie=%di"],
                stackTriggers: [],
                notes: ["Kernels before v4.17 have no fscache tracepoints: the kprobes alone carry the rule."]),
            triggeringFixtures: ["Fixtures/traces/use-after-relinquish/invl-after-relinquish-4.19.trace"],
            benignFixtures: ["Fixtures/traces/use-after-relinquish/relinquish-waits-active-4.19.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { UseAfterRelinquishDetector() }
}

final class UseAfterRelinquishDetector: Detector {
    struct Relinquish {
        var evidence: EvidenceLine
        var waitsForActive: Bool
        var tornDownAt: Int64?
        var teardown: EvidenceLine?
    }
    var objectCookie: [UInt64: UInt64] = [:]
    var relinquished: [UInt64: Relinquish] = [:]
    var invalidations: [UInt64: EvidenceLine] = [:]
    var violations: [(cookie: UInt64, rel: Relinquish, use: EvidenceLine, object: ObjectRef)] = []
    var reported: Set<UInt64> = []

    var observedVerbs: Set<ActionVerb>? { [.relinquish, .wakeCookie, .invalidate, .objectStep, .cacheIO, .cookieStep] }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        var cookie: UInt64?
        var what = ""
        switch a.verb {
        case .relinquish:
            let na = a.value2 != Action.noValue ? a.value2 : 0
            var r = Relinquish(evidence: ctx.evidence(a, "cookie relinquished" + (na > 0 ? " with \(na) active user(s): teardown waits" : "")),
                               waitsForActive: na > 0)
            if !r.waitsForActive { r.tornDownAt = a.timestamp; r.teardown = r.evidence }
            relinquished[a.object.id] = r
            return
        case .wakeCookie:
            if var r = relinquished[a.object.id], r.tornDownAt == nil {
                r.tornDownAt = a.timestamp
                r.teardown = ctx.evidence(a, "last active user gone: teardown proceeds")
                relinquished[a.object.id] = r
            }
            return
        case .invalidate:
            invalidations[a.object.id] = ctx.evidence(a, "invalidation requested")
            return
        case .objectStep:
            let state = a.detail.split(separator: " ").first.map(String.init) ?? ""
            if a.object.kind == .fscacheObject {
                if let c = a.other?.id, c != 0 { objectCookie[a.object.id] = c }
                cookie = (a.other?.id).flatMap { $0 != 0 ? $0 : nil } ?? objectCookie[a.object.id]
                if state == "INVL" && invalidations[cookie ?? 0] == nil, let c = cookie {
                    invalidations[c] = ctx.evidence(a, "object invalidation step")
                }
            } else {
                cookie = a.object.id
            }
            if UseAfterRelinquish.teardownStates.contains(state) || state.hasPrefix("?") { return }
            what = state.isEmpty ? "object step" : "object step \(state)"
        case .cacheIO:
            cookie = a.object.kind == .cookie ? a.object.id : objectCookie[a.object.id]
            what = "cache I/O \(a.detail)"
        case .cookieStep:
            guard a.detail.hasPrefix("BEGIN") || a.detail.hasPrefix("USE") else {
                if a.detail.hasPrefix("PUT rlq") || a.detail.hasPrefix("PUT relnq"),
                   var r = relinquished[a.object.id], r.tornDownAt == nil {
                    r.tornDownAt = a.timestamp
                    r.teardown = ctx.evidence(a, "relinquish drops its reference")
                    relinquished[a.object.id] = r
                }
                return
            }
            cookie = a.object.id
            what = a.detail
        default:
            return
        }
        guard let c = cookie, let r = relinquished[c], let t = r.tornDownAt, a.timestamp >= t,
              !reported.contains(c) else { return }
        reported.insert(c)
        violations.append((c, r, ctx.evidence(a, "\(what) after the cookie's teardown"), a.object))
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        violations.map { v in
            let cookie = ObjectRef(.cookie, v.cookie)
            var f = Finding(signature: "use-after-relinquish", title: "Cookie used after relinquish",
                            verdict: "\(v.use.comm)-\(v.use.pid) worked on \(v.object) (cookie \(cookie)) at "
                                + "\(TimestampFormat.seconds(v.use.timestamp)), after the cookie was relinquished at "
                                + "\(TimestampFormat.seconds(v.rel.evidence.timestamp)): object->cookie may be NULL.",
                            confidence: .high)
            f.confidenceReasons = ["an object step other than KILL/DROP/DEAD follows the relinquish"]
            if let inv = invalidations[v.cookie], inv.timestamp < v.rel.evidence.timestamp {
                f.confidenceReasons.append("invalidation was pending since line \(inv.lineNumber) (the seed-001 pattern)")
            }
            f.wouldRaise = ["an oops with RIP in fscache_invalidate_writes", "fscache_wake_cookie absent (no n_active)"]
            f.wouldLower = ["relinquish reporting Na>0 (the fixed kernel waits)", "lost events between relinquish and the step"]
            let gaps = ctx.gaps(after: v.rel.evidence.timestamp)
            if !gaps.isEmpty { f.confidence = f.confidence.lowered; f.gaps = gaps.map(ctx.describe) }
            f.tasks = [TaskRef(pid: v.rel.evidence.pid, comm: v.rel.evidence.comm, role: "relinquisher", state: nil),
                       TaskRef(pid: v.use.pid, comm: v.use.comm, role: "user after teardown", state: nil)]
            f.objects = [cookie.description] + (v.object != cookie ? [v.object.description] : [])
            f.since = v.rel.tornDownAt
            f.lastTouch = LastTouch(pid: v.rel.evidence.pid, comm: v.rel.evidence.comm, timestamp: v.rel.evidence.timestamp,
                                    lineNumber: v.rel.evidence.lineNumber, what: "relinquish")
            var ev = [v.rel.evidence, v.use]
            if let inv = invalidations[v.cookie] { ev.append(inv) }
            if let td = v.rel.teardown, td.lineNumber != v.rel.evidence.lineNumber { ev.append(td) }
            f.evidence = ev.sorted { $0.lineNumber < $1.lineNumber }
            (f.timeline, f.timelineTrimmed) = ctx.excerpt(v.object, until: v.use.timestamp)
            f.upstreamFixes = UseAfterRelinquish().info.upstreamFixes
            return f
        }
    }
}
