import CBabeltrace2Shim
import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads CTF traces (LTTng kernel and user-space, perf → CTF) through libbabeltrace2 into the same `Event`s the
/// ftrace text reader makes: `source.ctf.fs` per trace → `utils.muxer` → a sink that hands us messages in time
/// order.
///
/// - Payloads are rendered as ftrace-style `key=value` text, with LTTng's names mapped to ftrace's (`prev_tid` →
///   `prev_pid`, `tid` → `pid`, the tgid they displace → `tgid`; priorities +100), and `sched_switch`'s integer
///   `prev_state` turned into the letters ftrace prints for that kernel (version from the trace's `kernel_release`
///   environment entry), so `SchedSwitch`, `PayloadFields` and the analyses work unchanged.
/// - LTTng records no task per event unless `tid`/`procname` contexts were added: the task is then the one
///   `sched_switch` last put on the event's CPU (pid -1 and comm `<...>` until the first switch on that CPU).
/// - Discarded events and discarded packets become `.dropped` gaps.
/// - Traces whose packets overlap in time (which babeltrace2's muxer refuses) are still read: each stream is read
///   on its own and what the muxer had not yet delivered is merged by timestamp; `description.warnings` says so.
///
/// `Event.lineNumber` is the 1-based ordinal of the event in the output order; `byteOffset` is 0 (CTF gives none).
public struct LTTngReader: TraceSource {
    public static let defaultBatchBytes = 4 << 20
    public static let maxBatchEvents = 1 << 16

    public let path: String
    public let traces: [String]
    public private(set) var description = TraceDescription()
    private var state: ReaderState

    public init(path: String, batchBytes: Int = LTTngReader.defaultBatchBytes) throws {
        self.path = path
        traces = LTTngReader.discover(path)
        guard !traces.isEmpty else {
            throw TraceInputError(path: path, message: "no CTF trace here (no directory below it holds a `metadata` file)")
        }
        for t in traces { try LTTngReader.checkMetadata(trace: t, path: path) }
        state = ReaderState(batchBytes: max(batchBytes, 256 << 10))
        try state.open(traces, muxer: true, path: path)
        description.format = "CTF"
    }

    /// Trace directories at or below `path` (a directory holding a `metadata` file is a trace), as the babeltrace2
    /// CLI discovers them; a `metadata` file stands for its directory.
    public static func discover(_ path: String, depth: Int = 8) -> [String] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            // A file of a trace (its `metadata` or a stream file) stands for the trace directory holding it.
            var dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            if dir.isEmpty { dir = "/" }
            return access(dir + "/metadata", F_OK) == 0 ? [dir] : []
        }
        if access(path + "/metadata", F_OK) == 0 { return [path] }
        guard depth > 0, let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        var found: [String] = []
        for n in names.sorted() {
            let sub = path.hasSuffix("/") ? path + n : path + "/" + n
            var s = stat()
            // Symbolic links are followed (a session directory of links to traces); `depth` bounds loops.
            guard stat(sub, &s) == 0, (s.st_mode & S_IFMT) == S_IFDIR else { continue }
            found += discover(sub, depth: depth - 1)
        }
        return found
    }

    /// libbabeltrace2 2.0 loops forever on packetized metadata whose last packet is cut short, so the packets are
    /// walked first: each must fit in the file.
    static func checkMetadata(trace: String, path: String) throws {
        let file = trace + "/metadata"
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        let size = Int(st.st_size)
        var header = [UInt8](repeating: 0, count: 37)
        var offset = 0
        while offset < size {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 37, off_t(offset)) }
            let le = n >= 4 && header[0] == 0x57 && header[1] == 0x1D && header[2] == 0xD1 && header[3] == 0x75
            let be = n >= 4 && header[0] == 0x75 && header[1] == 0xD1 && header[2] == 0x1D && header[3] == 0x57
            if offset == 0 && !le && !be { return }   // text metadata: babeltrace2 reports its errors itself
            func u32(_ at: Int) -> Int {
                let b = header[at..<(at + 4)].map { UInt32($0) }
                return Int(le ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24)
            }
            guard n == 37, le || be else {
                throw TraceInputError(path: path, message:
                    "truncated CTF metadata: \(file) has a partial packet header at byte \(offset)")
            }
            let content = u32(24) / 8, packet = u32(28) / 8
            guard packet >= 37, content <= packet, offset + packet <= size else {
                throw TraceInputError(path: path, message:
                    "truncated CTF metadata: the packet at byte \(offset) of \(file) needs \(packet) bytes, "
                    + "\(size - offset) are left")
            }
            offset += packet
        }
    }

    public mutating func nextBatch() throws -> EventBatch? {
        let batch = try state.nextBatch(path: path, traces: traces)
        description.format = state.formatName
        description.cpuCount = state.maxCPU >= 0 ? Int(state.maxCPU) + 1 : nil
        description.timestampDigits = 9
        description.warnings = state.warnings
        return batch
    }
}

/// The mutable side of the reader: the babeltrace2 graph, caches and per-CPU task tracking.
final class ReaderState {
    let batchBytes: Int
    static let maxPayload = 64 << 10
    var bt: OpaquePointer?
    var muxed = true
    var interner = ByteInterner()
    var warnings: [String] = []
    var maxCPU: Int32 = -1
    var formatName = "CTF"
    /// Per event class and per trace, indexed by the shim's dense `class_index` / `trace_index` (no hashing per
    /// event).
    private var classes: [ClassInfo?] = []
    private var traceInfo: [TraceInfo?] = []
    /// The UUID (else the name) of each trace, by `trace_index`: the same in every graph.
    private var traceKeys: [String] = []
    /// The task sched_switch last put on each CPU (index: CPU), pid -1 when none yet.
    private var current: [(pid: Int32, comm: Symbol)] = []
    private var stateCache: [UInt64: [UInt8]] = [:]
    private var stateSmall = [[UInt8]?](repeating: nil, count: 8192)
    /// The CPU of the last event of each stream (by `stream_index`), for the gaps of that stream.
    private var streamCPU: [Int32] = []
    private var unknownComm: Symbol
    private var ordinal = 0
    private var lastTimestamp = Event.unknownTimestamp
    private var skipLeft: [String: Int] = [:]
    private var pendingFailure: BTFailure?
    /// (offset, length) of the sched_switch values, as KS_SW_* pairs, filled by the renderer, and the values that
    /// are integers (`Int64.min` when not).
    private var spans: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (-1, 0, -1, 0, -1, 0, -1, 0, -1, 0)
    private var ints: (Int64, Int64, Int64, Int64, Int64) = (.min, .min, .min, .min, .min)
    /// Streams seen, by `stream_index`: "trace key/stream id" (the same in every graph) and events delivered.
    private var streamNames: [String?] = []
    private var deliveredByStream: [Int] = []
    /// Pending messages of the current `ks_bt_next` call.
    private var pendingIndex: UInt64 = 0
    private var pendingCount: UInt64 = 0
    private var finished = false
    /// After a muxer failure: the remaining events, already sorted, handed out from here.
    private var fallback: [EventBatch] = []

    struct ClassInfo {
        var name: Symbol
        var kind: EventKind
        var isSwitch: Bool
        /// Whether the first event of the class was checked for the LTTng probe shape (`LTTngProbe`).
        var probeChecked = false
        var probe: EventKind?
    }

    /// Plain values only (no String): it is fetched per event.
    struct TraceInfo {
        var lttng: Bool
        var encoding: StateDecoder?
    }

    init(batchBytes: Int) {
        self.batchBytes = batchBytes
        unknownComm = interner.intern("<...>")
    }

    deinit { if let bt { ks_bt_close(bt) } }

    func open(_ traces: [String], muxer: Bool, path: String) throws {
        if let bt { ks_bt_close(bt) }
        bt = nil
        var err = [CChar](repeating: 0, count: 1024)
        let cpaths = traces.map { strdup($0) }
        defer { cpaths.forEach { free($0) } }
        var ptrs = cpaths.map { UnsafePointer<CChar>($0) }
        let h = ptrs.withUnsafeMutableBufferPointer { b in
            ks_bt_open(b.baseAddress, b.count, muxer ? 1 : 0, &err, err.count)
        }
        guard let h else { throw TraceInputError(path: path, message: "unreadable CTF trace: \(cString(err))") }
        bt = h
        muxed = muxer
        pendingIndex = 0
        pendingCount = 0
        classes = []
        traceInfo = []
        traceKeys = []
        streamNames = []
        deliveredByStream = []
        stateCache = [:]
        stateSmall = [[UInt8]?](repeating: nil, count: 8192)
        streamCPU = []
    }

    /// The next message, pulling more from babeltrace2 as needed; nil at the end.
    private func nextMessage(path: String) throws -> UInt64? {
        if pendingIndex < pendingCount { pendingIndex += 1; return pendingIndex - 1 }
        guard !finished, let bt else { return nil }
        var count: UInt64 = 0
        var err = [CChar](repeating: 0, count: 1024)
        let r = ks_bt_next(bt, &count, &err, err.count)
        if r < 0 { throw BTFailure(message: cString(err), muxer: r == -2) }
        if r == 0 { finished = true; return nil }
        pendingIndex = 1
        pendingCount = count
        return 0
    }

    struct BTFailure: Error { var message: String; var muxer: Bool }

    func nextBatch(path: String, traces: [String]) throws -> EventBatch? {
        if !fallback.isEmpty { return fallback.removeFirst() }
        do {
            if let f = pendingFailure { pendingFailure = nil; throw f }
            return try readBatch(path: path, limitEvents: LTTngReader.maxBatchEvents, skipping: false)
        } catch let f as BTFailure {
            guard muxed, f.muxer else { return try stop(f, path: path) }
            // The muxer met a stream going back in time (overlapping packets). Read every stream on its own,
            // skip what was already delivered, and merge the rest by timestamp.
            warnings.append("packets overlap in time (babeltrace2's muxer refuses this trace): streams read one by one "
                            + "and merged by timestamp")
            skipLeft = deliveredSoFar()
            try open(traces, muxer: false, path: path)
            finished = false
            var rest: [EventBatch] = []
            let first = ordinal
            do {
                while let b = try readBatch(path: path, limitEvents: Int.max, skipping: true) {
                    rest.append(b)
                    if let f = pendingFailure { pendingFailure = nil; throw f }
                }
            } catch let f as BTFailure {
                if rest.isEmpty && first == 0 { throw TraceInputError(path: path, message: "unreadable CTF trace: \(f.message)") }
                _ = try stop(f, path: path)
            }
            fallback = Self.sortedByTime(rest, firstOrdinal: first)
            return fallback.isEmpty ? nil : fallback.removeFirst()
        }
    }

    /// A babeltrace2 error: before any event, the trace is unreadable; after some, reading stops there with a
    /// warning (a corrupt packet in the middle of a capture should not hide everything before it).
    private func stop(_ f: BTFailure, path: String) throws -> EventBatch? {
        guard ordinal > 0 else { throw TraceInputError(path: path, message: "unreadable CTF trace: \(f.message)") }
        warnings.append("reading stopped after event \(ordinal) at a part of the trace babeltrace2 cannot decode "
                        + "(\(f.message)); later events are missing")
        finished = true
        pendingIndex = pendingCount
        return nil
    }

    /// Merges batches read stream by stream into one batch in timestamp order (stable: a stream's own order is kept
    /// for equal timestamps).
    static func sortedByTime(_ batches: [EventBatch], firstOrdinal: Int) -> [EventBatch] {
        guard let last = batches.last else { return [] }
        let total = batches.reduce(0) { $0 + $1.storage.count }
        let storage = ByteStorage(capacity: total)
        var events: [Event] = []
        var gaps: [TraceGap] = []
        var counts = LineCounts()
        var used = 0
        for b in batches {
            storage.base.advanced(by: used).copyMemory(from: b.storage.base, byteCount: b.storage.count)
            for var e in b.events {
                e.payload.start += UInt32(used)
                events.append(e)
            }
            for var g in b.gaps { g.beforeEvent += events.count - b.events.count; gaps.append(g) }
            counts.add(b.counts)
            used += b.storage.count
        }
        storage.setCount(used)
        var order = Array(events.indices)
        order.sort { events[$0].timestamp != events[$1].timestamp ? events[$0].timestamp < events[$1].timestamp : $0 < $1 }
        var newIndex = [Int](repeating: 0, count: events.count)
        for (n, o) in order.enumerated() { newIndex[o] = n }
        var sorted = order.map { events[$0] }
        for i in sorted.indices { sorted[i].lineNumber = firstOrdinal + i + 1 }
        for i in gaps.indices { gaps[i].beforeEvent = gaps[i].beforeEvent < events.count ? newIndex[gaps[i].beforeEvent] : events.count }
        gaps.sort { $0.beforeEvent < $1.beforeEvent }
        return [EventBatch(storage: storage, events: sorted, gaps: gaps, symbols: last.symbols, counts: counts)]
    }

    /// With `skipping`, the events `skipLeft` counts per stream are dropped (the muxer delivered them already).
    private func readBatch(path: String, limitEvents: Int, skipping: Bool) throws -> EventBatch? {
        guard let bt else { return nil }
        let storage = ByteStorage(capacity: batchBytes)
        var events: [Event] = []
        events.reserveCapacity(min(limitEvents, LTTngReader.maxBatchEvents))
        var gaps: [TraceGap] = []
        var used = 0
        var counts = LineCounts()
        messages: while events.count < limitEvents {
            let next: UInt64?
            do { next = try nextMessage(path: path) } catch let f as BTFailure where !(events.isEmpty && gaps.isEmpty) {
                // Hand out what was read before the failure; the failure comes with the next call.
                pendingFailure = f
                break messages
            }
            guard let i = next else { break }
            var info = ks_event_info()
            ks_bt_info(bt, i, &info)
            switch Int32(info.kind) {
            case Int32(KS_MSG_EVENT.rawValue):
                let streamIdx = stream(info)
                if skipping, let si = streamIdx, let name = streamNames[si], let n = skipLeft[name], n > 0 {
                    skipLeft[name] = n - 1
                    continue
                }
                let ci = classInfo(info)
                let ti = trace(info)
                // Room for the payload (at most `maxPayload`: corrupt streams can hold absurd sequences) and for a
                // longer prev_state spelling.
                let room = storage.capacity - used - 64
                let out = storage.base.advanced(by: used).assumingMemoryBound(to: CChar.self)
                let cap = max(min(room, Self.maxPayload), 0)
                var n: Int
                if ci.isSwitch {
                    spans = (-1, 0, -1, 0, -1, 0, -1, 0, -1, 0)
                    ints = (.min, .min, .min, .min, .min)
                    n = withUnsafeMutableBytes(of: &spans) { sp in
                        withUnsafeMutableBytes(of: &ints) { iv in
                            ks_bt_render(bt, i, out, cap, ti.lttng ? 1 : 0, sp.baseAddress!.assumingMemoryBound(to: Int.self),
                                         iv.baseAddress!.assumingMemoryBound(to: Int64.self))
                        }
                    }
                } else {
                    n = ks_bt_render(bt, i, out, cap, ti.lttng ? 1 : 0, nil, nil)
                }
                if n < 0 {
                    // Cut short: by the end of this batch (the message opens the next one), or by `maxPayload`.
                    if room < Self.maxPayload && !events.isEmpty { pendingIndex -= 1; break messages }
                    n = -n - 1
                }
                let cpu = Int32(truncatingIfNeeded: info.cpu)
                if cpu > maxCPU { maxCPU = cpu }
                if let si = streamIdx { streamCPU[si] = cpu }
                var span = ByteSpan(start: used, count: n)
                var pid = info.tid >= 0 ? Int32(truncatingIfNeeded: info.tid) : Event.unknownPID
                var comm = unknownComm
                if let p = info.procname { comm = interner.intern(String(cString: p)) }
                if pid == Event.unknownPID || info.procname == nil, cpu >= 0, Int(cpu) < current.count,
                   case let c = current[Int(cpu)], c.pid >= 0 {
                    if pid == Event.unknownPID { pid = c.pid; if info.procname == nil { comm = c.comm } }
                    else if c.pid == pid && info.procname == nil { comm = c.comm }
                }
                var kind = ci.kind
                if ci.isSwitch {
                    span = rewriteSwitch(storage, span, ti, &pid, &comm, cpu: cpu)
                } else if ti.lttng && (!ci.probeChecked || ci.probe != nil) {
                    var c = ci
                    if !c.probeChecked, info.class_index >= 0 {
                        c.probeChecked = true
                        c.probe = LTTngProbe.kind(storage.bytes(span), name: interner.table[c.name])
                        classes[Int(info.class_index)] = c
                    }
                    if let pk = c.probe, let n = LTTngProbe.rewrite(storage.base + Int(span.start), span.count) {
                        kind = pk
                        span.count = UInt32(n)
                    }
                }
                used = span.end
                ordinal += 1
                let tgid = info.pid >= 0 ? Int32(truncatingIfNeeded: info.pid) : Event.unknownTGID
                events.append(Event(timestamp: info.ns == Int64.min ? Event.unknownTimestamp : info.ns,
                                    lineNumber: ordinal, byteOffset: 0, cpu: cpu, pid: pid, tgid: tgid, comm: comm,
                                    name: ci.name, kind: kind, payload: span))
                if info.ns != Int64.min { lastTimestamp = info.ns }
                counts.eventLines += 1
                if !skipping, let si = streamIdx { deliveredByStream[si] += 1 }
            case Int32(KS_MSG_DISCARDED_EVENTS.rawValue), Int32(KS_MSG_DISCARDED_PACKETS.rawValue):
                if skipping, let k = streamKey(info), let n = skipLeft[k], n > 0 { continue }
                let events_ = info.kind == Int32(KS_MSG_DISCARDED_EVENTS.rawValue)
                let cpu = stream(info).map { streamCPU[$0] } ?? -1
                let place = cpu >= 0 ? "CPU \(cpu)" : "stream \(info.stream_id)"
                gaps.append(TraceGap(kind: .dropped, cpu: cpu,
                                     lostEvents: events_ && info.discarded >= 0 ? info.discarded : nil,
                                     lineNumber: ordinal + 1, byteOffset: 0, beforeEvent: events.count,
                                     after: lastTimestamp))
                counts.lostMarkerLines += 1
                if !events_ {
                    let n = info.discarded >= 0 ? "\(info.discarded) packet(s)" : "packets"
                    if warnings.count < 20 { warnings.append("the tracer discarded \(n) (\(place))") }
                }
            default:
                continue
            }
        }
        storage.setCount(used)
        if events.isEmpty && gaps.isEmpty { return nil }
        counts.lines = counts.eventLines + counts.lostMarkerLines
        return EventBatch(storage: storage, events: events, gaps: gaps, symbols: interner.table, counts: counts)
    }

    /// The index of the event's stream (the shim's `stream_index`), its name ("trace uuid/stream id", the same in
    /// every graph) recorded at its first message.
    private func stream(_ info: ks_event_info) -> Int? {
        guard info.stream_index >= 0 else { return nil }
        let i = Int(info.stream_index)
        if i < streamNames.count, streamNames[i] != nil { return i }
        if i >= streamNames.count {
            let more = i + 1 - streamNames.count
            streamNames += Array(repeating: nil, count: more)
            deliveredByStream += Array(repeating: 0, count: more)
            streamCPU += Array(repeating: -1, count: more)
        }
        _ = trace(info)
        streamNames[i] = (info.trace_index >= 0 ? traceKeys[Int(info.trace_index)] : "") + "/\(info.stream_id)"
        return i
    }

    private func streamKey(_ info: ks_event_info) -> String? { stream(info).flatMap { streamNames[$0] } }

    /// What the muxer delivered per stream name, to skip it after re-reading the streams one by one.
    private func deliveredSoFar() -> [String: Int] {
        var d: [String: Int] = [:]
        for (i, n) in streamNames.enumerated() { if let n { d[n, default: 0] += deliveredByStream[i] } }
        return d
    }

    private func trace(_ info: ks_event_info) -> TraceInfo {
        guard let t = info.trace, info.trace_index >= 0 else { return TraceInfo(lttng: false, encoding: nil) }
        let ti = Int(info.trace_index)
        if ti < traceInfo.count, let i = traceInfo[ti] { return i }
        var buf = [CChar](repeating: 0, count: 256)
        func env(_ n: String) -> String? { ks_bt_env(t, n, &buf, buf.count).map { String(cString: $0) } }
        let tracer = env("tracer_name")
        let domain = env("domain")
        let release = env("kernel_release")
        let lttng = tracer?.hasPrefix("lttng") ?? false
        var encoding: StateDecoder?
        if let r = release, domain == nil || domain == "kernel" { encoding = StateDecoder(kernelRelease: r) }
        let key = ks_bt_trace_key(t, &buf, buf.count).map { String(cString: $0) } ?? ""
        let made = TraceInfo(lttng: lttng, encoding: encoding)
        if ti >= traceInfo.count {
            traceInfo += Array(repeating: nil, count: ti + 1 - traceInfo.count)
            traceKeys += Array(repeating: "", count: ti + 1 - traceKeys.count)
        }
        traceInfo[ti] = made
        traceKeys[ti] = key
        var name = "CTF"
        if let tracer {
            let major = env("tracer_major"), minor = env("tracer_minor")
            name += " (\(tracer)" + (major.map { " \($0)" + (minor.map { ".\($0)" } ?? "") } ?? "")
                + (domain.map { ", \($0)" } ?? "") + (release.map { ", kernel \($0)" } ?? "") + ")"
        }
        if formatName == "CTF" { formatName = name }
        return made
    }

    private func classInfo(_ info: ks_event_info) -> ClassInfo {
        guard info.event_class != nil, info.class_index >= 0 else {
            return ClassInfo(name: unknownComm, kind: .tracepoint, isSwitch: false)
        }
        let ci = Int(info.class_index)
        if ci < classes.count, let c = classes[ci] { return c }
        let name = info.name.map { String(cString: $0) } ?? "unknown"
        var kind = EventKind.tracepoint
        if name.hasPrefix("syscall_entry_") || name.hasPrefix("compat_syscall_entry_") || (name.hasPrefix("sys_") && name != "sys_unknown") {
            kind = .syscallEntry
        } else if name.hasPrefix("syscall_exit_") || name.hasPrefix("compat_syscall_exit_") || name == "exit_syscall" {
            kind = .syscallExit
        } else if name.hasPrefix("lttng_ust_tracef") || name.hasPrefix("lttng_ust_tracelog") {
            kind = .marker
        }
        let c = ClassInfo(name: interner.intern(name), kind: kind,
                          isSwitch: name == "sched_switch" || name == "sched:sched_switch")
        if ci >= classes.count { classes += Array(repeating: nil, count: ci + 1 - classes.count) }
        classes[ci] = c
        return c
    }

    /// Fills in the task from `prev_pid`/`prev_comm` (the switch runs in the outgoing task), remembers the incoming
    /// task as the CPU's current one, and replaces an integer `prev_state` by ftrace's letters.
    private func rewriteSwitch(_ storage: ByteStorage, _ span: ByteSpan, _ t: TraceInfo, _ pid: inout Int32,
                               _ comm: inout Symbol, cpu: Int32) -> ByteSpan {
        let base = storage.base + Int(span.start)
        func value(_ at: Int, _ len: Int) -> UnsafeRawBufferPointer? {
            at >= 0 && at + len <= Int(span.count) ? UnsafeRawBufferPointer(start: base + at, count: len) : nil
        }
        // The integer the shim read (else, e.g. for a variant, the rendered text parsed back).
        func number(_ at: Int, _ len: Int, _ known: Int64) -> Int64? {
            guard let v = value(at, len) else { return nil }
            return known != .min ? known : PayloadFields.parseInteger(v)
        }
        let sp = spans, iv = ints
        if let p = number(sp.2, sp.3, iv.1), let c = value(sp.0, sp.1) {
            pid = Int32(truncatingIfNeeded: p)
            comm = interner.intern(c.baseAddress!, c.count)
        }
        if let n = number(sp.8, sp.9, iv.4), let c = value(sp.6, sp.7) {
            if cpu >= 0 && cpu < 65536 {
                if Int(cpu) >= current.count {
                    current += Array(repeating: (Event.unknownPID, unknownComm), count: Int(cpu) + 1 - current.count)
                }
                current[Int(cpu)] = (Int32(truncatingIfNeeded: n), interner.intern(c.baseAddress!, c.count))
            }
        }
        guard let dec = t.encoding, let v = number(sp.4, sp.5, iv.2), v >= 0 else {
            return span
        }
        let letters: [UInt8]
        if v < stateSmall.count, let l = stateSmall[Int(v)] { letters = l }
        else if let l = stateCache[UInt64(v)] { letters = l }
        else {
            letters = dec.letters(UInt64(v))
            if v < stateSmall.count { stateSmall[Int(v)] = letters } else { stateCache[UInt64(v)] = letters }
        }
        let at = Int(span.start) + sp.4
        let tailStart = at + sp.5, tailCount = span.end - tailStart
        let newEnd = at + letters.count + tailCount
        guard newEnd <= storage.capacity else { return span }
        // Move the rest of the payload, then write the letters over the number.
        memmove(storage.base + at + letters.count, storage.base + tailStart, tailCount)
        letters.withUnsafeBytes { storage.base.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return ByteSpan(start: Int(span.start), count: newEnd - Int(span.start))
    }
}

/// `prev_state` numbers as LTTng writes them, per kernel era, to ftrace's letters.
struct StateDecoder {
    var major: Int, minor: Int

    init?(kernelRelease: String) {
        let parts = kernelRelease.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        major = parts[0]
        minor = parts[1]
    }

    var atLeast414: Bool { major > 4 || (major == 4 && minor >= 14) }

    var legacy: PrevStateEncoding {
        if major < 3 || (major == 3 && minor < 10) { return .v3_4 }
        if major == 3 || (major == 4 && minor < 2) { return .v3_10 }
        if major == 4 && minor < 8 { return .v4_2 }
        return .v4_8
    }

    func letters(_ v: UInt64) -> [UInt8] { Array(text(v).utf8) }

    func text(_ v: UInt64) -> String {
        guard atLeast414 else { return legacy.decode(v).description }
        // 4.14+: lttng-modules writes either the report encoding (1 << (task_state_index - 1), preempted =
        // TASK_REPORT_MAX 0x100) or, in older lttng-modules, raw p->state (TASK_IDLE = D|NOLOAD = 0x402).
        if v == 0x100 { return "R+" }
        var s = TaskState.running
        let table: [(UInt64, TaskState)] = [(0x01, .interruptible), (0x02, .uninterruptible), (0x04, .stopped),
                                            (0x08, .traced), (0x10, .dead), (0x20, .zombie), (0x40, .parked),
                                            (0x80, .idle)]
        for (bit, st) in table where v & bit != 0 { s.insert(st) }
        if v & 0x400 != 0 && s.contains(.uninterruptible) { s.remove(.uninterruptible); s.insert(.idle) }
        return s.description
    }
}

func cString(_ a: [CChar]) -> String {
    String(decoding: a.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// LTTng kernel probes (`lttng enable-event -k --probe SYM name`, `--function SYM name`) record only addresses:
/// a kprobe event holds `ip`, a kretprobe's `name_entry` / `name_return` hold `ip` (the function) and
/// `parent_ip` (the caller). They become the shapes trace-cmd prints without symbols, `(0xADDR)` and
/// `(0xFUNC <- 0xCALLER)`, which `ProbeSite` reads as addresses (CTF carries no kallsyms to name them).
enum LTTngProbe {
    static func kind(_ payload: UnsafeRawBufferPointer, name: String) -> EventKind? {
        let text = String(decoding: payload, as: UTF8.self)
        let parts = text.split(separator: " ")
        func hex(_ p: Substring, _ key: String) -> Bool {
            p.hasPrefix(key + "=0x") && p.dropFirst(key.count + 3).allSatisfy(\.isHexDigit) && p.count > key.count + 3
        }
        if parts.count == 1, hex(parts[0], "ip") { return .kprobe }
        if parts.count == 2, hex(parts[0], "ip"), hex(parts[1], "parent_ip") {
            return name.hasSuffix("_return") ? .kretprobe : .kprobe
        }
        return nil
    }

    /// Rewrites `ip=0xA` to `(0xA)` and `ip=0xA parent_ip=0xB` to `(0xA <- 0xB)` in place (never longer);
    /// returns the new length, nil when the payload does not have that shape.
    static func rewrite(_ p: UnsafeMutableRawPointer, _ count: UInt32) -> Int? {
        let b = UnsafeRawBufferPointer(start: p, count: Int(count))
        let text = String(decoding: b, as: UTF8.self)
        let parts = text.split(separator: " ")
        var out: String
        if parts.count == 1, parts[0].hasPrefix("ip=") {
            out = "(" + parts[0].dropFirst(3) + ")"
        } else if parts.count == 2, parts[0].hasPrefix("ip="), parts[1].hasPrefix("parent_ip=") {
            out = "(" + parts[0].dropFirst(3) + " <- " + parts[1].dropFirst(10) + ")"
        } else {
            return nil
        }
        let bytes = Array(out.utf8)
        guard bytes.count <= Int(count) else { return nil }
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return bytes.count
    }
}
