import TraceModel
import Timelines

/// `double-d-splice` (seed 003): two tasks d_splice_alias() the same dentry with no d_drop between — the second
/// call meets a hashed dentry and hits `BUG_ON(!d_unhashed(dentry))` in fs/dcache.c.
public struct DoubleDSplice: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "double-d-splice",
            title: "Double d_splice_alias of one dentry",
            explanation: """
                Parallel lookups (shared i_rwsem, v4.7+) let two tasks splice the same negative dentry: T1's \
                d_splice_alias(inode, D) hashes D, and T2's d_splice_alias(inode', D) with no d_drop(D) in between \
                finds it hashed: kernel BUG at fs/dcache.c (NFS atomic_open, 2016). Fires on the second splice by \
                another task when the trace can exclude address reuse: it records d_drop/__d_drop/__dentry_kill \
                (so a reuse would show), or the second call visibly crashed (a kernel BUG/Oops printk from that \
                task, or the call never returned although its kretprobe is recorded).
                """,
            lookAlikes: ["T2's d_drop(D) lands after T1's splice (unhashed again: wasteful, not fatal)",
                         "fixed kernels: T2 drops D and d_alloc_parallel()s a new dentry, so the splices carry different pointers",
                         "the same address spliced again after the dentry was freed and reallocated (common: /proc lookups)"],
            upstreamFixes: ["Al Viro's 4.7-cycle NFS atomic_open/d_splice_alias fixes (commit unverified)",
                            "275bb3078 (3.10+: d_drop on no_open errors)"],
            seeds: ["003"],
            requiredEvents: ["kprobe d_splice_alias (dentry = 2nd argument)",
                             "kprobe d_drop/__d_drop (or a kretprobe on d_splice_alias to see the crash)"],
            recipe: CaptureRecipe(
                tracepoints: ["sched/sched_switch", "printk/console"],
                kprobes: ["p:ksleuth/dsplice d_splice_alias inode=%di dentry=%si",
                          "r:ksleuth/dsplice_ret d_splice_alias ret=$retval",
                          "p:ksleuth/ddrop __d_drop dentry=%di",
                          "p:ksleuth/nfs_aopen nfs_atomic_open dir=%di dentry=%si flags=%cx",
                          "p:ksleuth/nfs_lookup nfs_lookup dir=%di dentry=%si flags=%dx"],
                stackTriggers: ["kprobes/dsplice:stacktrace"],
                notes: ["d_splice_alias(inode, dentry): the dentry is the SECOND argument (%si); inode=%di.",
                        "d_drop() is a wrapper around __d_drop(): probe __d_drop to see every unhash.",
                        "The kernel stops tracing at the oops: the trace ends at the second splice."]),
            triggeringFixtures: ["Fixtures/traces/double-d-splice/dsplice-same-6.1.trace",
                                 "Fixtures/traces/double-d-splice/dsplice-same-nokret-6.1.trace",
                                 "Fixtures/traces/double-d-splice/nfs-atomic-open-4.7.trace"],
            benignFixtures: ["Fixtures/traces/double-d-splice/dsplice-distinct-6.1.trace",
                             "Fixtures/traces/double-d-splice/nfs-atomic-open-dropped-4.7.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { DoubleDSpliceDetector() }
}

final class DoubleDSpliceDetector: Detector {
    struct Splice {
        var pid: Int32
        var commText: KeptText
        var comm: String { commText.string }
        var time: Int64
        var evidence: PendingEvidence
        var returned = false
    }
    struct Candidate {
        var dentry: ObjectRef
        var first: Splice
        var second: Splice
        var firstEvidence: EvidenceLine
        var secondEvidence: EvidenceLine
        var opens: [EvidenceLine]
        var crash: EvidenceLine?
    }
    var last: [ObjectRef: Splice] = [:]
    var opens: [ObjectRef: [EvidenceLine]] = [:]
    var inCall: PidMap<(ObjectRef, Int)> = [:]   // pid → (dentry, candidate index or -1)
    /// Entries of `inCall` with a candidate (index ≥ 0; pruning keeps their candidates): while there are none, no
    /// action needs the `inCall` lookup at the end of `observe`.
    var callsWithCandidate = 0
    var candidates: [Candidate] = []
    var lastActionOf: PidMap<Int64> = [:]

    var pruneAt = 1024

    /// Bounded memory on traces that splice reused addresses all the time (no d_drop probes): a crash follows
    /// the second splice within milliseconds, so candidates older than a second that did not crash are dropped,
    /// unless the trace records d_drop (then they are findings and the first ones are kept).
    func pruneCandidates(now: Int64, _ ctx: AnalysisContext) -> Bool {
        if candidates.count < pruneAt { return true }
        if ctx.saw(.drop) || ctx.saw(.free) { return false }
        let live = Set(inCall.values.map(\.1))
        var keep: [Candidate] = []
        var remap: [Int: Int] = [:]
        for (i, c) in candidates.enumerated() where c.crash != nil || c.second.time >= now - 1_000_000_000 || live.contains(i) {
            remap[i] = keep.count
            keep.append(c)
        }
        candidates = keep
        for (pid, v) in inCall { inCall[pid] = (v.0, v.1 >= 0 ? remap[v.1] ?? -1 : -1) }
        callsWithCandidate = inCall.values.reduce(0) { $0 + ($1.1 >= 0 ? 1 : 0) }
        pruneAt = max(1024, candidates.count * 2)
        return true
    }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        switch a.verb {
        case .splice:
            let d = a.object
            let s = Splice(pid: a.pid, commText: KeptText(a.commText), time: a.timestamp, evidence: ctx.pending(a))
            var idx = -1
            if let prev = last[d], prev.pid != a.pid, pruneCandidates(now: a.timestamp, ctx) {
                let first = ctx.resolve(prev.evidence, "\(prev.comm)-\(prev.pid) splices \(d): the dentry is hashed now")
                let second = ctx.evidence(a, "\(a.comm)-\(a.pid) splices \(d) again: no d_drop since the first splice")
                candidates.append(Candidate(dentry: d, first: prev, second: s, firstEvidence: first,
                                            secondEvidence: second, opens: opens[d] ?? []))
                idx = candidates.count - 1
            }
            last[d] = s
            if let old = inCall.updateValue((d, idx), forKey: a.pid), old.1 >= 0 { callsWithCandidate -= 1 }
            if idx >= 0 { callsWithCandidate += 1 }
            // Bounded memory: forget the oldest splices (a double splice races within one lookup, not minutes).
            if last.count > 16_384 {
                // Median of a sample, not a sort of every entry: keep the newer half.
                var sample: [Int64] = []
                var k = 0
                for v in last.values { if k & 31 == 0 { sample.append(v.time) }; k += 1 }
                sample.sort()
                let cutoff = sample[sample.count / 2]
                last = last.filter { $0.value.time >= cutoff }
                if !opens.isEmpty { opens = opens.filter { last[$0.key] != nil } }
            }
        case .spliceReturn:
            if let (d, idx) = inCall.removeValue(forKey: a.pid) {
                if idx >= 0 { callsWithCandidate -= 1 }
                if last[d]?.pid == a.pid { last[d]?.returned = true }
                if idx >= 0 { candidates[idx].second.returned = true }
            }
        case .drop, .free:
            last[a.object] = nil
            opens[a.object] = nil
        case .atomicOpen, .lookup:
            if a.object.sub == 0 {
                var o = opens[a.object] ?? []
                if o.count < 4 { o.append(ctx.evidence(a, "task \(a.pid) opens/looks up \(a.object)")) }
                opens[a.object] = o
            }
        case .printk:
            if let (_, idx) = inCall[a.pid], idx >= 0, candidates[idx].crash == nil,
               a.detail.contains("kernel BUG at") || a.detail.contains("Oops") || a.detail.contains("BUG:") {
                candidates[idx].crash = ctx.evidence(a, "the second splice crashed the kernel")
            }
        default:
            break
        }
        if callsWithCandidate > 0, !candidates.isEmpty, a.verb != .printk && a.verb != .splice, let (_, idx) = inCall[a.pid], idx >= 0 {
            lastActionOf[a.pid] = a.timestamp
        }
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        let lifetimeProbes = ctx.verbsSeen.contains(.drop) || ctx.verbsSeen.contains(.free)
        let retProbes = ctx.verbsSeen.contains(.spliceReturn)
        var out: [Finding] = []
        var seen: Set<ObjectRef> = []
        for c in candidates where !seen.contains(c.dentry) {
            let neverReturned = retProbes && !c.second.returned
                && (lastActionOf[c.second.pid] ?? c.second.time) <= c.second.time
            let crashed = c.crash != nil || neverReturned
            guard lifetimeProbes || crashed else { continue }
            seen.insert(c.dentry)
            var f = Finding(signature: "double-d-splice", title: "Double d_splice_alias",
                            verdict: "\(c.second.comm)-\(c.second.pid) called d_splice_alias on \(c.dentry) after "
                                + "\(c.first.comm)-\(c.first.pid) had spliced it, with no d_drop in between"
                                + (crashed ? "; the second call never completed (kernel BUG)." : "."),
                            confidence: crashed ? .high : .medium)
            if lifetimeProbes { f.confidenceReasons.append("d_drop/__d_drop or dentry frees are traced and none hit this dentry in between") }
            if let cr = c.crash { f.confidenceReasons.append("kernel crash printed by the second splicer (line \(cr.lineNumber))") }
            if neverReturned { f.confidenceReasons.append("the second d_splice_alias never returned although its kretprobe is recorded") }
            f.wouldRaise = ["__d_drop and __dentry_kill probes (rule out address reuse)", "the oops text (RIP d_splice_alias)"]
            f.wouldLower = ["a d_drop of the dentry missed in lost events"]
            let gaps = ctx.gaps(after: c.first.time)
            if !gaps.isEmpty { f.confidence = f.confidence.lowered; f.gaps = gaps.map(ctx.describe) }
            f.tasks = [TaskRef(pid: c.first.pid, comm: c.first.comm, role: "first splice", state: nil),
                       TaskRef(pid: c.second.pid, comm: c.second.comm, role: "second splice", state: nil)]
            f.objects = [c.dentry.description]
            f.since = c.first.time
            f.lastTouch = LastTouch(pid: c.first.pid, comm: c.first.comm, timestamp: c.first.time,
                                    lineNumber: c.firstEvidence.lineNumber, what: "d_splice_alias (hashes the dentry)")
            f.evidence = (c.opens + [c.firstEvidence, c.secondEvidence] + (c.crash.map { [$0] } ?? []))
                .sorted { $0.lineNumber < $1.lineNumber }
            (f.timeline, f.timelineTrimmed) = ctx.excerpt(c.dentry, until: c.second.time)
            f.upstreamFixes = DoubleDSplice().info.upstreamFixes
            out.append(f)
        }
        return out
    }
}
