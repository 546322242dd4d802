import TraceModel
import Timelines

extension EventBatch {
    /// `name: payload`, the event's line as evidence quotes it, built in one allocation: concatenating the name,
    /// `": "` and the payload's String made three (≈ 2 000 instructions per D sleep on the observing thread). Invalid
    /// UTF-8 is repaired as `String(decoding:)` repairs it.
    func lineText(_ e: Event) -> String {
        var name = self.name(e)
        let payload = storage.bytes(e.payload)
        return name.withUTF8 { n in
            String(unsafeUninitializedCapacity: n.count + 2 + payload.count) { out in
                var k = 0
                for c in n { out[k] = c; k += 1 }
                out[k] = UInt8(ascii: ":"); out[k + 1] = UInt8(ascii: " "); k += 2
                if let p = payload.baseAddress, payload.count > 0 {
                    UnsafeMutableRawPointer(out.baseAddress! + k).copyMemory(from: p, byteCount: payload.count)
                }
                return k + payload.count
            }
        }
    }
}

/// Knobs of an analysis run.
public struct AnalysisOptions: Sendable {
    /// A D sleep at least this long is a hung task (the kernel's `hung_task_timeout_secs`, default 120 s).
    public var hungThreshold: Int64 = 120_000_000_000
    /// A sleep shorter than this at the end of the trace is "asleep", never a hang (lost-wakeup needs it).
    public var minHangSleep: Int64 = 1_000_000_000
    /// A wake this close before the waiter's enqueue, within one run of the waiter, counts as landing in its window.
    public var raceWindow: Int64 = 10_000_000
    /// Only these signatures run (nil: all).
    public var enabled: Set<String>?
    /// Actions kept per object for timeline excerpts.
    public var timelineWindow = 16
    /// Objects whose timelines are kept at once (the least recently touched are forgotten beyond it).
    public var timelineObjects = 25_000
    /// Lines of timeline excerpt per finding.
    public var excerptLength = 12
    public var probeAliases: [ProbeAlias] = []
    /// The traced boot's kallsyms, naming probes shown by address only (`trace-cmd report`).
    public var kernelSymbols: KernelSymbolTable?

    public init() {}
}

/// An action kept cheaply for possible later use as evidence: where its line is, not its text.
public struct PendingEvidence: Sendable {
    public var lineNumber: Int
    public var timestamp: Int64
    public var pid: Int32
    public var comm: String {
        get { commText.string }
        set { commText = KeptText(newValue) }
    }
    var commText: KeptText
    public var eventIndex: Int32
    public var batchSerial: Int32
}

/// A comm a detector keeps past the action: the action's `ShortText` when it is inline (every kernel comm: at most
/// 15 bytes), a String only for a longer one (a pooled text may be evicted before a report reads it). Making a
/// String of every kept comm (sched wakes, splices) cost ≈ 10 M instructions per 20 MB on the observing thread.
struct KeptText: Sendable {
    private var short: ShortText
    private var long: String?

    init(_ t: ShortText) {
        if t.isInline { short = t; long = nil } else { short = ShortText(); long = t.string }
    }

    init(_ s: String) { self.init(ShortText()); long = s }

    var string: String { long ?? short.string }
}

/// What the analysis knows about one task, updated after every detector has seen the action. A class so the
/// engine updates it in place (one dictionary lookup per task action); detectors only read it.
public final class TaskInfo {
    public enum RunState: String, Sendable { case unknown, running, runnable, sleeping, exited }
    public var pid: Int32
    public var comm: String { didSet { commSeen = .none } }
    /// The action comm last compared with `comm` (after which `comm` was that text, or the text was `<…>`): an
    /// action with the same comm needs no String comparison.
    var commSeen = ShortText.none
    public var runState: RunState = .unknown
    /// The state of the last switch-out.
    public var sleepState: TaskState = .running
    public var sleptAt: Int64 = Event.unknownTimestamp
    public var sleepLine = 0
    /// The switch-out line of the current sleep (captured cheaply; see `sleepEvidence`).
    var sleepText = ""
    public var sleepEvidence: EvidenceLine? {
        sleepLine == 0 ? nil : EvidenceLine(lineNumber: sleepLine, timestamp: sleptAt, pid: pid, comm: comm,
                                            text: sleepText.isEmpty ? "sched_switch: prev_pid=\(pid) prev_state=\(sleepState)"
                                                                    : sleepText,
                                            note: "switched out \(sleepState)")
    }
    /// Kernel stack of the last switch-out into a sleep, when the trace attached one.
    public var sleepStack: [String] = []
    /// When the current run (or runnable period) began: the last wake or switch-in.
    public var runningSince: Int64 = Event.unknownTimestamp
    public var hangEvidence: EvidenceLine?
    /// Longest D sleep that ended (woken), with its start and end lines.
    public var longestDSleep: (duration: Int64, start: EvidenceLine?, end: EvidenceLine?) = (0, nil, nil)

    public init(pid: Int32, comm: String) {
        self.pid = pid
        self.comm = comm
    }

    public var isAsleep: Bool { runState == .sleeping }
}

/// The shared state detectors read: tasks, timelines, gaps, trace bounds; and helpers that turn the action being
/// observed into evidence.
public final class AnalysisContext {
    public let options: AnalysisOptions
    /// Tasks by pid: a flat array for ordinary pids (no hashing on the per-event path), a dictionary beyond.
    private var taskArray: [TaskInfo?] = []
    private var taskOverflow: [Int32: TaskInfo] = [:]
    public var tasks: [Int32: TaskInfo] {
        var out = taskOverflow
        for case let t? in taskArray { out[t.pid] = t }
        return out
    }
    public let timelines: TimelineStore
    public private(set) var gaps: [TraceGap] = []
    public private(set) var firstTimestamp: Int64 = Event.unknownTimestamp
    public private(set) var lastTimestamp: Int64 = Event.unknownTimestamp
    public private(set) var eventCount = 0
    /// Probe events the analysis could not identify (address-only lines): a wake may hide among them.
    public internal(set) var unresolvedProbes: Set<String> = []
    public var source = ""
    var batch: EventBatch?
    /// Increments with every batch: a `PendingEvidence` from the current batch can still quote its line.
    public private(set) var batchSerial = 0

    init(options: AnalysisOptions) {
        self.options = options
        timelines = TimelineStore(window: options.timelineWindow, objectLimit: options.timelineObjects)
    }

    @inline(__always) public func task(_ pid: Int32) -> TaskInfo? {
        if pid >= 0 && Int(pid) < taskArray.count { return taskArray[Int(pid)] }
        return pid >= 0 && pid < 1 << 22 ? nil : taskOverflow[pid]
    }

    public func comm(_ pid: Int32) -> String { task(pid)?.comm ?? "?" }

    /// The event line of the action being observed, as evidence. Valid only inside `observe`.
    public func evidence(_ a: Action, _ note: String) -> EvidenceLine {
        var text = ""
        if let b = batch, a.eventIndex >= 0, a.eventIndex < b.events.count {
            let e = b.events[a.eventIndex]
            text = b.lineText(e)
        } else {
            text = a.summary
        }
        return EvidenceLine(lineNumber: a.lineNumber, timestamp: a.timestamp, pid: a.pid, comm: a.comm, text: text,
                            note: note)
    }

    /// Keeps an action cheaply (no text) so that it can become evidence later, if it turns out to matter.
    public func pending(_ a: Action) -> PendingEvidence {
        PendingEvidence(lineNumber: a.lineNumber, timestamp: a.timestamp, pid: a.pid, commText: KeptText(a.commText),
                        eventIndex: Int32(truncatingIfNeeded: a.eventIndex), batchSerial: Int32(truncatingIfNeeded: batchSerial))
    }

    /// The evidence line of a kept action: the input line's text while its batch is current (the usual case: races
    /// play out within one batch), else a pointer to the line (its number is exact either way).
    public func resolve(_ p: PendingEvidence, _ note: String) -> EvidenceLine {
        var text = "(see line \(p.lineNumber))"
        if Int(p.batchSerial) == batchSerial, let b = batch, p.eventIndex >= 0, Int(p.eventIndex) < b.events.count {
            let e = b.events[Int(p.eventIndex)]
            text = b.lineText(e)
        }
        return EvidenceLine(lineNumber: p.lineNumber, timestamp: p.timestamp, pid: p.pid, comm: p.comm, text: text,
                            note: note)
    }

    /// The kernel stack attached to the action's event (innermost first, tracing frames removed).
    public func stack(_ a: Action) -> [String] {
        guard let b = batch, a.eventIndex >= 0, a.eventIndex < b.events.count else { return [] }
        let e = b.events[a.eventIndex]
        guard !e.kernelStack.isEmpty else { return [] }
        return Self.cleanStack(b.kernelStack(e))
    }

    static func cleanStack(_ frames: [String]) -> [String] {
        let noise = ["trace_event_raw_event_", "__traceiter_", "kprobe_", "aggr_pre_handler", "trace_call_bpf",
                     "perf_trace_", "__schedule"]
        var out = frames
        while let f = out.first, noise.contains(where: { f.hasPrefix($0) }) || f.hasPrefix("0x") { out.removeFirst() }
        return out
    }

    /// Lost-event gaps at or after `t` (events a "nobody woke it" conclusion may have missed).
    public func gaps(after t: Int64) -> [TraceGap] {
        gaps.filter { $0.after == Event.unknownTimestamp || $0.after >= t }
    }

    public func describe(_ g: TraceGap) -> String {
        let n = g.lostEvents.map { "\($0) events" } ?? "events"
        return "CPU \(g.cpu): \(n) \(g.kind.rawValue) at line \(g.lineNumber)"
    }

    /// The last `n` actions on `object` at or before `until`, and how many older ones were trimmed.
    public func excerpt(_ object: ObjectRef, until: Int64 = .max, n: Int? = nil) -> ([TimelineLine], Int) {
        guard let t = timelines[object] else { return ([], 0) }
        let kept = t.actions.filter { $0.timestamp <= until }
        let limit = n ?? options.excerptLength
        let lines = kept.suffix(limit).map {
            TimelineLine(timestamp: $0.timestamp, lineNumber: $0.lineNumber, pid: $0.pid, comm: $0.comm,
                         action: $0.summary)
        }
        return (Array(lines), t.trimmed + kept.count - lines.count)
    }

    /// How long `pid` has been asleep at the end of the trace, if it is.
    public func sleepAtEnd(_ pid: Int32) -> Int64? {
        guard let t = task(pid), t.runState == .sleeping, t.sleptAt != Event.unknownTimestamp else { return nil }
        return lastTimestamp - t.sleptAt
    }

    /// Whether the end-of-trace sleep of `pid` is a hang, and why: the hung-task watchdog reported it, or a D sleep
    /// passed the threshold, or (when `allowLong`) any sleep passed `minHangSleep`.
    /// `allowLong` accepts a D sleep of at least `minHangSleep` to the end of the trace (never an S sleep: idle
    /// loops sleep in S for seconds, and a wake they did not need looks the same).
    public func hangReason(_ pid: Int32, allowLong: Bool) -> (reason: String, strong: Bool)? {
        guard let t = task(pid), t.runState == .sleeping, let d = sleepAtEnd(pid) else { return nil }
        if let h = t.hangEvidence, h.timestamp >= t.sleptAt {
            return ("the hung-task watchdog reported it (line \(h.lineNumber))", true)
        }
        if t.sleepState.isUninterruptibleSleep && d >= options.hungThreshold {
            return ("D sleep for \(TimestampFormat.duration(d)) ≥ hung threshold", true)
        }
        if allowLong && t.sleepState.isUninterruptibleSleep && d >= options.minHangSleep {
            return ("asleep (\(t.sleepState)) for \(TimestampFormat.duration(d)) until the end of the trace", false)
        }
        return nil
    }

    // MARK: engine side

    func beginBatch(_ b: EventBatch) {
        batch = b
        batchSerial += 1
        gaps.append(contentsOf: b.gaps)
        eventCount += b.events.count
        if let f = b.events.first(where: { $0.timestamp != Event.unknownTimestamp }),
           firstTimestamp == Event.unknownTimestamp { firstTimestamp = f.timestamp }
        if let l = b.events.last(where: { $0.timestamp != Event.unknownTimestamp }) {
            lastTimestamp = max(lastTimestamp, l.timestamp)
        }
    }

    private var verbMask: UInt64 = 0
    /// The verbs the trace produced (what the analysis could see).
    public var verbsSeen: Set<ActionVerb> {
        Set(ActionVerb.allCases.filter { verbMask & Self.bit($0) != 0 })
    }
    @inline(__always) static func bit(_ v: ActionVerb) -> UInt64 { 1 << UInt64(withUnsafeBytes(of: v) { $0[0] }) }
    public func saw(_ v: ActionVerb) -> Bool { verbMask & Self.bit(v) != 0 }

    @inline(__always) private func info(_ pid: Int32, _ comm: @autoclosure () -> String) -> TaskInfo {
        if let t = task(pid) { return t }
        let t = TaskInfo(pid: pid, comm: comm())
        if pid >= 0 && pid < 1 << 22 {
            if Int(pid) >= taskArray.count {
                taskArray.append(contentsOf: repeatElement(nil, count: max(Int(pid) + 1, taskArray.count * 2) - taskArray.count))
            }
            taskArray[Int(pid)] = t
        } else {
            taskOverflow[pid] = t
        }
        return t
    }

    /// `INFO: task lw_waiter:139 blocked for more than 5 seconds.` → 139.
    static func hungTaskPid(_ line: String) -> Int32? {
        guard let r = line.firstRange(of: " blocked for more than ") else { return nil }
        let head = line[line.index(line.startIndex, offsetBy: 11)..<r.lowerBound]
        guard let colon = head.lastIndex(of: ":") else { return nil }
        return Int32(head[head.index(after: colon)...])
    }

    /// The raw `name: payload` text of the action's event (one allocation).
    func rawText(_ a: Action) -> String {
        guard let b = batch, a.eventIndex >= 0, a.eventIndex < b.events.count else { return a.summary }
        let e = b.events[a.eventIndex]
        return b.lineText(e)
    }

    /// Keeps the actor's comm current: `t.comm = a.comm` when they differ, unless the action's is `<…>`.
    @inline(__always) private func noteComm(_ t: TaskInfo, _ a: Action) {
        guard t.commSeen != a.commText else { return }
        let c = a.comm
        if t.comm != c && !c.hasPrefix("<") { t.comm = c }
        t.commSeen = a.commText
    }

    func apply(_ a: Action) {
        verbMask |= Self.bit(a.verb)
        timelines.record(a)
        // A wake aimed at a task belongs to the target's timeline too (the action's object is the waker).
        if a.verb == .wakeTask, a.value2 != Action.noValue {
            var t = a
            t.object = .task(Int32(truncatingIfNeeded: a.value2))
            timelines.record(t)
        }
        // Keep the actor's comm current (the payload comm of a new kthread may be its parent's).
        if a.verb == .printk, a.detail.hasPrefix("INFO: task "), let pid = Self.hungTaskPid(a.detail) {
            // The watchdog's console line, when sched_process_hang is not traced.
            let t = info(pid, "?")
            if t.hangEvidence == nil { t.hangEvidence = evidence(a, "hung-task watchdog: blocked too long") }
        }
        let isTask = a.object.kind == .task
        if a.pid > 0 && !(isTask && a.object.pid == a.pid) {
            noteComm(info(a.pid, a.comm), a)
        }
        guard isTask else { return }
        let pid = a.object.pid
        if pid == 0 { return }
        let t = info(pid, a.pid == pid ? a.comm : "?")
        if a.pid == pid { noteComm(t, a) }
        switch a.verb {
        case .switchOut:
            if a.state.isExit {
                t.runState = .exited
            } else if a.state.isSleep {
                t.runState = .sleeping
                t.sleepState = a.state
                t.sleptAt = a.timestamp
                t.sleepLine = a.lineNumber
                // The line's text is kept for D sleeps (hang candidates); an S sleep keeps its summary only.
                t.sleepText = a.state.contains(.uninterruptible) ? rawText(a) : ""
                t.sleepStack = stack(a)
            } else {
                t.runState = .runnable
            }
        case .switchIn, .waking, .wakeup, .wakeupNew:
            if t.runState == .sleeping {
                if t.sleepState.isUninterruptibleSleep, t.sleptAt != Event.unknownTimestamp {
                    let d = a.timestamp - t.sleptAt
                    if d > t.longestDSleep.duration {
                        t.longestDSleep = (d, t.sleepEvidence,
                                           evidence(a, "\(a.verb.rawValue) after \(TimestampFormat.duration(d)) in D"))
                    }
                }
                t.runningSince = a.timestamp
            } else if t.runState == .unknown || t.runState == .exited {
                t.runningSince = a.timestamp
            }
            if t.runState != .exited || a.verb == .wakeupNew {
                t.runState = a.verb == .switchIn ? .running : (t.runState == .running ? .running : .runnable)
            }
        case .fork:
            t.runState = .runnable
            t.runningSince = a.timestamp
        case .exit:
            t.runState = .exited
        case .hang:
            t.hangEvidence = evidence(a, "hung-task watchdog: blocked too long")
        default:
            break
        }
    }
}

/// The outcome of analyzing one input.
public struct AnalysisResult: Sendable {
    public var source: String
    public var findings: [Finding]
    public var events: Int
    public var actions: Int
    public var objects: [ObjectKind: Int]
    public var firstTimestamp: Int64
    public var lastTimestamp: Int64
    public var gaps: Int
    /// Signatures that could not run for lack of events, with what is missing.
    public var blindSpots: [String]
    public var format: String

    public var hasRaceFinding: Bool { findings.contains { SignatureCatalog.raceSignatures.contains($0.signature) } }
}

/// A detector as the per-action dispatch calls it (see `Detector.observe(unretained:_:_:)`).
private struct DetectorCall {
    var object: Unmanaged<AnyObject>
    var type: any Detector.Type
}

/// Runs every enabled signature over one trace, streaming.
public struct Analyzer {
    public var options: AnalysisOptions

    public init(options: AnalysisOptions = AnalysisOptions()) {
        self.options = options
    }

    public func analyze<S: TraceSource>(_ source: inout S, name: String) throws -> AnalysisResult {
        let ctx = AnalysisContext(options: options)
        ctx.source = name
        let signatures = SignatureCatalog.all.filter { options.enabled?.contains($0.info.id) ?? true }
        let detectors = signatures.map { $0.makeDetector(options) }
        var mapper = SemanticMapper(aliases: options.probeAliases)
        mapper.fallbackAliases = SignatureCatalog.recipeProbes
        mapper.kernelSymbols = options.kernelSymbols
        var stream = ActionStream(mapper: mapper)
        // Per verb, the detectors that observe it, in catalog order: most actions concern one or two detectors.
        // One flat table (verb v's calls at `first[v]..<first[v + 1]`), each call an unretained object and its
        // metatype: `detectors` keeps them alive, and calling through an array of existentials retained and
        // released the list and every detector per action (≈ 4 pairs, 23 M instructions per 20 MB).
        var calls: [DetectorCall] = []
        var first = [Int32](repeating: 0, count: 257)
        for verb in 0..<256 {
            first[verb] = Int32(calls.count)
            guard let v = ActionVerb.allCases.first(where: { withUnsafeBytes(of: $0) { $0[0] } == verb }) else { continue }
            for d in detectors where d.observedVerbs?.contains(v) ?? true {
                calls.append(DetectorCall(object: Unmanaged.passUnretained(d as AnyObject), type: type(of: d)))
            }
        }
        first[256] = Int32(calls.count)
        try withExtendedLifetime(detectors) {
            try calls.withUnsafeBufferPointer { table in
                try first.withUnsafeBufferPointer { first in
                    try stream.run(&source, batchStart: { ctx.beginBatch($0) }) { action, _ in
                        let v = Int(withUnsafeBytes(of: action.verb) { $0[0] })
                        for k in Int(first[v])..<Int(first[v + 1]) {
                            table[k].type.observe(unretained: table[k].object, action, ctx)
                        }
                        ctx.apply(action)
                    }
                }
            }
        }
        ctx.batch = nil
        ctx.unresolvedProbes = stream.mapper.unresolvedProbes
        var findings: [Finding] = []
        for d in detectors { findings.append(contentsOf: d.finish(ctx)) }
        for i in findings.indices { findings[i].source = name }
        findings = Self.consolidate(findings)
        var objects: [ObjectKind: Int] = [:]
        for o in ctx.timelines.objects { objects[o.kind, default: 0] += 1 }
        var blind: [String] = []
        if !stream.mapper.unresolvedProbes.isEmpty {
            blind.append("probes shown by address only, function unknown: "
                         + stream.mapper.unresolvedProbes.sorted().joined(separator: ", ")
                         + " (trace-cmd report prints kprobes by address: give ksleuth the .dat itself, or the"
                         + " boot's kallsyms with --kallsyms, or name them with --probe-map: `probe NAME SYMBOL`)")
        }
        for (name, n) in stream.mapper.unreadable.sorted(by: { $0.key < $1.key }) {
            blind.append("\(n) \(name) line(s) lack the fields ksleuth keys on"
                         + (name.hasPrefix("sched_") ? " (trace-cmd's default plugin format? use `trace-cmd report -N`)"
                                                     : " (probe defined with other argument names? see --probe-map)"))
        }
        if !ctx.verbsSeen.contains(.switchOut) { blind.append("no readable sched_switch: no task states, no hang analysis") }
        if !ctx.verbsSeen.contains(.waking) && !ctx.verbsSeen.contains(.wakeup) && ctx.verbsSeen.contains(.switchOut) {
            blind.append("no sched_waking/sched_wakeup: wake-ups are invisible")
        }
        if !ctx.verbsSeen.contains(.wake) && !ctx.verbsSeen.contains(.wakeTask) {
            blind.append("no __wake_up / try_to_wake_up probes: lost-wakeup cannot be told from stall (see `ksleuth recipe lost-wakeup`)")
        }
        return AnalysisResult(source: name, findings: findings, events: ctx.eventCount,
                              actions: ctx.timelines.actionCount, objects: objects,
                              firstTimestamp: ctx.firstTimestamp, lastTimestamp: ctx.lastTimestamp,
                              gaps: ctx.gaps.count, blindSpots: blind, format: source.description.format)
    }

    /// A task explained by a specific finding (lost wake-up, stall, fscache waiter) is not reported again as a bare
    /// hung task; a lost wake-up also explains its stall.
    static func consolidate(_ findings: [Finding]) -> [Finding] {
        var explained: Set<Int32> = []
        var lostWake: Set<Int32> = []
        for f in findings where f.signature != "hung-task" && f.signature != "stall" {
            explained.formUnion(f.blockedPids)
            if f.signature == "lost-wakeup" { lostWake.formUnion(f.blockedPids) }
        }
        var out: [Finding] = []
        for f in findings {
            if f.signature == "stall", !Set(f.blockedPids).isDisjoint(with: explained) { continue }
            if f.signature == "hung-task" {
                let stalls = findings.filter { $0.signature == "stall" }.flatMap(\.blockedPids)
                if !Set(f.blockedPids).isDisjoint(with: explained.union(stalls)) { continue }
            }
            out.append(f)
        }
        return out
    }
}
