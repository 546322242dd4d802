import TraceModel
import Timelines

/// `lock-inversion` (seed 002, fix 598ad0bd0932): a cycle in the lock-order graph built from lock events, and the
/// netfs synchronous cache write issued from the reader's own (page-fault / readpage) context.
public struct LockInversion: Signature {
    public init() {}
    public var info: SignatureInfo {
        SignatureInfo(
            id: "lock-inversion",
            title: "Lock-order inversion",
            explanation: """
                Every lock_acquire made while the task holds other locks adds the edges held → acquired (by lock \
                class name) to a lock-order graph; an edge that closes a cycle means two code paths take the same \
                locks in opposite orders and can deadlock (what lockdep calls a possible circular locking \
                dependency). Trylocks add no edges. The netfs form of seed 002: netfs_read R READPAGE/READAHEAD \
                by task T, then netfs_rreq R WRITE by the same T — the copy to the cache runs synchronously in the \
                reader's context, taking sb_writers under mmap_lock / invalidate_lock.
                """,
            lookAlikes: ["the WRITE is issued from a kworker (the fix punts it to system_unbound_wq)",
                         "one consistent order on every path (no cycle)", "trylocks taken in the reverse order"],
            upstreamFixes: ["598ad0bd0932 netfs: Fix lockdep warning from taking sb_writers whilst holding mmap_lock (v5.16)",
                            "726218fdc22c netfs: Define an interface to talk to a cache (introduced it)"],
            seeds: ["002"],
            requiredEvents: ["lock_acquire / lock_release (CONFIG_LOCKDEP)", "netfs_read / netfs_rreq for the netfs form"],
            recipe: CaptureRecipe(
                tracepoints: ["lock/lock_acquire", "lock/lock_release", "lock/contention_begin",
                              "lock/contention_end", "netfs/netfs_read", "netfs/netfs_rreq", "netfs/netfs_sreq",
                              "cachefiles/cachefiles_write"],
                stackTriggers: ["netfs/netfs_rreq:stacktrace"],
                kernelConfig: ["CONFIG_LOCKDEP (lock_acquire/lock_release)", "CONFIG_LOCK_STAT (lock_contended)"],
                notes: ["lock events are very frequent: filter them, e.g. "
                        + "`echo 'name ~ \"*mmap_lock*\" || name ~ \"sb_writers*\" || name ~ \"mapping.invalidate_lock*\"' > events/lock/lock_acquire/filter`."]),
            triggeringFixtures: ["Fixtures/traces/lock-inversion/netfs-readpage-write-5.15.trace"],
            benignFixtures: ["Fixtures/traces/lock-inversion/netfs-write-punted-5.16.trace"])
    }
    public func makeDetector(_ options: AnalysisOptions) -> Detector { LockInversionDetector() }
}

final class LockInversionDetector: Detector {
    struct Held {
        var address: UInt64
        var name: String
        var evidence: EvidenceLine
    }
    struct Edge {
        var held: EvidenceLine
        var acquired: EvidenceLine
    }
    /// Held locks per (task, context): an interrupt handler's locks do not nest inside the interrupted task's.
    var held: [Int64: [Held]] = [:]

    @inline(__always) static func key(_ a: Action) -> Int64 { Int64(a.pid) << 2 | Int64(a.context & 3) }
    var edges: [String: [String: Edge]] = [:]
    var cycles: [[(String, String, Edge)]] = []
    var cycleKeys: Set<[String]> = []
    var readOwner: [UInt64: (pid: Int32, evidence: EvidenceLine)] = [:]
    var syncWrites: [(read: EvidenceLine, write: EvidenceLine, locks: [String])] = []

    static func parse(_ detail: String) -> (name: String, isTry: Bool, isRead: Bool) {
        var words = detail.split(separator: " ")
        var isTry = false, isRead = false
        while let w = words.first, w == "try" || w == "read" {
            if w == "try" { isTry = true } else { isRead = true }
            words.removeFirst()
        }
        return (words.joined(separator: " "), isTry, isRead)
    }

    func path(from: String, to: String) -> [String]? {
        var stack: [(String, [String])] = [(from, [from])]
        var seen: Set<String> = [from]
        while let (n, p) = stack.popLast() {
            if n == to { return p }
            for next in (edges[n] ?? [:]).keys where !seen.contains(next) {
                seen.insert(next)
                stack.append((next, p + [next]))
            }
        }
        return nil
    }

    var observedVerbs: Set<ActionVerb>? { [.lockAcquire, .lockRelease, .netfsRead, .netfsRequest, .exit] }

    func observe(_ a: Action, _ ctx: AnalysisContext) {
        switch a.verb {
        case .lockAcquire:
            let (name, isTry, _) = Self.parse(a.detail)
            guard !name.isEmpty else { return }
            let ev = ctx.evidence(a, "\(a.comm)-\(a.pid) takes \(name)")
            if !isTry {
                for h in held[Self.key(a)] ?? [] where h.name != name && edges[h.name]?[name] == nil {
                    let edge = Edge(held: h.evidence, acquired: ev)
                    if let back = path(from: name, to: h.name) {
                        var cycle: [(String, String, Edge)] = [(h.name, name, edge)]
                        for i in 0..<(back.count - 1) { cycle.append((back[i], back[i + 1], edges[back[i]]![back[i + 1]]!)) }
                        let key = cycle.map(\.0).sorted()
                        if !cycleKeys.contains(key) { cycleKeys.insert(key); cycles.append(cycle) }
                    }
                    edges[h.name, default: [:]][name] = edge
                }
            }
            held[Self.key(a), default: []].append(Held(address: a.object.id, name: name, evidence: ev))
            if held[Self.key(a)]!.count > 64 { held[Self.key(a)]!.removeFirst() }
        case .lockRelease:
            if let i = held[Self.key(a)]?.lastIndex(where: { $0.address == a.object.id }) {
                held[Self.key(a)]!.remove(at: i)
            }
        case .netfsRead:
            let what = a.detail.split(separator: " ").first ?? ""
            if what == "READPAGE" || what == "READAHEAD" || what == "WRITEBEGN" {
                readOwner[a.object.id] = (a.pid, ctx.evidence(a, "\(a.comm)-\(a.pid) reads through netfs (\(what))"))
            }
        case .netfsRequest:
            guard a.detail.split(separator: " ").contains("WRITE"), let r = readOwner[a.object.id],
                  r.pid == a.pid, syncWrites.count < 16 else { return }
            let locks = (held[Self.key(a)] ?? []).map(\.name)
            syncWrites.append((r.evidence, ctx.evidence(a, "the copy to the cache is issued in the reader's own context"), locks))
            readOwner[a.object.id] = nil
        case .exit:
            for c in 0..<4 { held[Int64(a.object.pid) << 2 | Int64(c)] = nil }
        default:
            break
        }
    }

    static func isFaultLock(_ n: String) -> Bool {
        n.contains("mmap_lock") || n.contains("mmap_sem") || n.contains("invalidate_lock")
    }

    func finish(_ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for c in cycles {
            let chain = c.map(\.0) + [c[0].0]
            var f = Finding(signature: "lock-inversion", title: "Lock-order inversion",
                            verdict: "Locks are taken in a cycle: " + chain.joined(separator: " → ")
                                + ". Two paths take them in opposite orders and can deadlock.",
                            confidence: .high)
            f.confidenceReasons = ["every edge of the cycle was observed as a real nested acquisition"]
            f.wouldRaise = ["the lockdep report (possible circular locking dependency) naming the same chain"]
            f.wouldLower = ["read-side acquisitions of a recursive-read lock", "lost lock_release events (gaps)"]
            if !ctx.gaps.isEmpty { f.confidence = .medium; f.gaps = ctx.gaps.map(ctx.describe) }
            var ev: [EvidenceLine] = []
            var tasks: [Int32: String] = [:]
            for (from, to, e) in c {
                var h = e.held, q = e.acquired
                h.note = "\(h.comm)-\(h.pid) holds \(from)"
                q.note = "… and takes \(to) (edge \(from) → \(to))"
                ev += [h, q]
                tasks[q.pid] = q.comm
            }
            for s in syncWrites where s.locks.contains(where: Self.isFaultLock) {
                ev += [s.read, s.write]
                f.confidenceReasons.append("netfs copies to the cache synchronously while holding " + s.locks.joined(separator: ", "))
            }
            f.evidence = ev.sorted { $0.lineNumber < $1.lineNumber }
            f.tasks = tasks.sorted { $0.key < $1.key }.map { TaskRef(pid: $0.key, comm: $0.value, role: "takes part", state: nil) }
            f.objects = chain.dropLast().map { "lock:" + $0 }
            f.since = f.evidence.first?.timestamp
            if let l = f.evidence.last {
                f.lastTouch = LastTouch(pid: l.pid, comm: l.comm, timestamp: l.timestamp, lineNumber: l.lineNumber,
                                        what: "closing edge of the cycle")
            }
            f.upstreamFixes = LockInversion().info.upstreamFixes
            out.append(f)
        }
        if cycles.isEmpty {
            for s in syncWrites {
                let risky = s.locks.filter(Self.isFaultLock)
                var f = Finding(signature: "lock-inversion", title: "netfs synchronous cache write in reader context",
                                verdict: "\(s.write.comm)-\(s.write.pid) writes request \(s.read.text.split(separator: " ").dropFirst().first ?? "?") "
                                    + "to the cache from its own read path"
                                    + (risky.isEmpty ? " (no fault-path lock held: risky, not a deadlock alone)."
                                                     : " while holding \(risky.joined(separator: ", ")): sb_writers under mmap_lock inverts the order."),
                                confidence: risky.isEmpty ? .low : .medium)
                f.confidenceReasons = ["READPAGE/READAHEAD and WRITE of one request by the same task"]
                f.wouldRaise = ["lock_acquire/lock_release events showing the held locks and sb_writers inside the write"]
                f.wouldLower = ["the WRITE issued by a kworker"]
                f.tasks = [TaskRef(pid: s.write.pid, comm: s.write.comm, role: "reader", state: nil)]
                f.evidence = [s.read, s.write]
                f.since = s.read.timestamp
                f.upstreamFixes = LockInversion().info.upstreamFixes
                out.append(f)
            }
        }
        return out
    }
}
