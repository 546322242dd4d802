import CTraceCmd
import CTraceCmdShim
import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads trace-cmd `.dat` files (v6, and v7 with compressed sections) through libtracecmd / libtraceevent into the
/// same `Event`s the ftrace text reader makes.
///
/// Each record's payload is rendered with the print fmt stored in the file (plugins are not loaded, exactly like
/// `trace-cmd report -N`), so `prev_state` is decoded by the kernel's own `__print_flags` table and every consumer
/// of payload text (`PayloadFields`, `SchedSwitch`, `ProbeSite`) works unchanged. The fields the text reader takes
/// from the line prefix (timestamp, CPU, pid, comm) come from the record itself. Latency flags are left unknown,
/// as in `trace-cmd report` without `-l`. Three kinds of
/// event are rendered the way the kernel prints them rather than the way their print fmt does, because trace-cmd
/// prints raw addresses where tracefs prints symbols:
///
/// - kprobes: `(sym+0xoff/0xsize) args`, kretprobes: `(caller+0xoff/0xsize <- sym) args`, resolved through the
///   kallsyms the file carries (raw addresses stay when it carries none);
/// - the function tracer: `func <-parent`; function_graph entries `func() {` and exits `} /* func */`.
///
/// Records of every CPU and of every buffer instance are merged in timestamp order (as `trace-cmd report` does;
/// on a tie the top-level buffer comes first); `Event.buffer` names the instance a record comes from. A record that follows dropped
/// events (`missed_events`) adds a `TraceGap` of kind `.dropped`, as `CPU:N [M EVENTS DROPPED]` does in the text.
/// `Event.lineNumber` is the 1-based ordinal of the record in that merged order; `byteOffset` its file offset.
public struct TraceDatReader: TraceSource {
    public static let defaultBatchBytes = 4 << 20
    public static let maxBatchEvents = 1 << 16

    private let file: DatFile
    private let batchBytes: Int
    private var interner = ByteInterner()
    public private(set) var description = TraceDescription()
    private var ordinal = 0
    private var lastTimestamp = Event.unknownTimestamp
    private var finished = false

    public init(path: String, batchBytes: Int = TraceDatReader.defaultBatchBytes) throws {
        file = try DatFile(path: path)
        self.batchBytes = max(batchBytes, 64 << 10)
        description.format = "trace-cmd .dat v\(file.version)"
        description.cpuCount = file.cpus
        description.traceCmdVersion = file.version
        description.timestampDigits = 9
        if let clock = file.clock, ["counter", "x86-tsc", "mono_raw_tsc"].contains(clock) {
            description.clock = .counter
        }
        bufferSymbols = [Event.topBuffer] + file.instanceNames.map { interner.intern($0) }
    }

    /// `Event.buffer` of each handle's records: the top-level buffer, then the instances by name.
    private var bufferSymbols: [Symbol] = []

    /// Names of the buffer instances besides the top-level buffer (merged into the one event stream).
    public var instances: [String] { file.instanceNames }

    public mutating func nextBatch() throws -> EventBatch? {
        if finished { return nil }
        let storage = ByteStorage(capacity: batchBytes)
        var events: [Event] = []
        var gaps: [TraceGap] = []
        events.reserveCapacity(4096)
        var used = 0
        var counts = LineCounts()
        // A batch is cut before an event, never between an event and the stack record that follows it.
        let softLimit = storage.capacity - (256 << 10)
        while true {
            guard let next = file.peek() else { finished = true; break }
            let rec = next.record
            let h = file.handles[next.handle]
            let info = h.eventInfo(rec, interner: &interner)
            let isStack = info.kind == .orphanStack
            if !isStack && (events.count >= Self.maxBatchEvents || used >= softLimit) { break }
            let text = h.render(rec, info)
            var n = text.count
            if used + n > storage.capacity {
                guard events.isEmpty else { break }
                n = storage.capacity - used  // one payload larger than a whole batch: keep what fits
            }
            if n > 0 { storage.base.advanced(by: used).copyMemory(from: text.baseAddress!, byteCount: n) }
            let span = ByteSpan(start: used, count: n)
            used += n
            ordinal += 1
            let cpu = Int32(rec.pointee.cpu)
            let offset = Int64(bitPattern: rec.pointee.offset)
            if rec.pointee.missed_events != 0 {
                let m = rec.pointee.missed_events
                gaps.append(TraceGap(kind: .dropped, cpu: cpu, lostEvents: m > 0 ? m : nil, lineNumber: ordinal,
                                     byteOffset: offset, beforeEvent: events.count, after: lastTimestamp))
                counts.lostMarkerLines += 1
            }
            let pid = tep_data_pid(h.tep, rec)
            let ts = Int64(bitPattern: rec.pointee.ts)
            file.consume()
            if isStack {
                counts.stackLines += 1
                let user = info.render == .userStack
                if let owner = stackOwner(events, cpu: cpu, pid: pid, buffer: bufferSymbols[next.handle]), fits(storage, span, events[owner], user: user) {
                    if user { events[owner].userStack = span } else { events[owner].kernelStack = span }
                    continue
                }
                events.append(Event(
                    timestamp: ts, lineNumber: ordinal, byteOffset: offset, cpu: cpu, pid: pid,
                    comm: h.comm(pid, interner: &interner), name: info.name, kind: .orphanStack, payload: .empty,
                    kernelStack: user ? .empty : span, userStack: user ? span : .empty, buffer: bufferSymbols[next.handle]))
                continue
            }
            counts.eventLines += 1
            events.append(Event(
                timestamp: ts, lineNumber: ordinal, byteOffset: offset, cpu: cpu, pid: pid,
                comm: h.comm(pid, interner: &interner), name: info.name, kind: info.kind, payload: span,
                buffer: bufferSymbols[next.handle]))
            lastTimestamp = ts
        }
        storage.setCount(used)
        if events.isEmpty && gaps.isEmpty { return nil }
        counts.lines = counts.eventLines + counts.stackLines + counts.lostMarkerLines
        return EventBatch(storage: storage, events: events, gaps: gaps, symbols: interner.table, counts: counts)
    }
}

/// The event a stack record belongs to: the one just before it on the same CPU, of the same task (the kernel
/// writes the stack right after the event, into the same per-CPU buffer of the same instance). The same rule as
/// the text reader's.
func stackOwner(_ events: [Event], cpu: Int32, pid: Int32, buffer: Symbol = Event.topBuffer) -> Int? {
    var k = events.count - 1
    while k >= 0 && events.count - k <= 64 {
        let o = events[k]
        if o.cpu == cpu && o.buffer == buffer {
            return o.pid == pid && o.kind != .orphanStack ? k : nil
        }
        k -= 1
    }
    return nil
}

/// The first frame of a kernel stack names what recorded it: `trace_event_raw_event_<name>` for a tracepoint,
/// `kprobe_trace_func` / `kretprobe_trace_func` for probes. A stack whose first frame contradicts the owner is the
/// stack of an event a filter dropped: it stays an orphan.
func fits(_ storage: ByteStorage, _ span: ByteSpan, _ owner: Event, user: Bool) -> Bool {
    if user { return owner.userStack.isEmpty }
    guard owner.kernelStack.isEmpty else { return false }
    guard let frame = StackFrames.decode(storage.bytes(span)).first else { return true }
    if frame.hasPrefix("trace_event_raw_event_") {
        return owner.kind == .tracepoint || owner.kind == .marker
    }
    if frame == "kprobe_trace_func" { return owner.kind == .kprobe }
    if frame == "kretprobe_trace_func" { return owner.kind == .kretprobe }
    return true
}

/// What the reader needs to know about one event type, looked up once per id.
struct EventInfo {
    enum Render { case printFmt, kprobe, kretprobe, function, graphEntry, graphExit, kernelStack, userStack }
    var name: Symbol
    var kind: EventKind
    var render: Render
    var fieldA: UnsafeMutablePointer<tep_format_field>?
    var fieldB: UnsafeMutablePointer<tep_format_field>?
    var event: UnsafeMutablePointer<tep_event>?
}

/// One libtracecmd handle (the top-level buffer or an instance) and its per-event-type and per-pid caches.
final class DatHandle {
    let input: OpaquePointer
    let tep: OpaquePointer
    let owned: Bool
    private var infos: [Int: EventInfo] = [:]
    private var comms: [Int32: Symbol] = [:]
    private var seq = trace_seq()
    private var scratch: [UInt8] = []
    let fast: OpaquePointer
    private let fastBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: DatHandle.fastCapacity)
    static let fastCapacity = 64 << 10

    init(input: OpaquePointer, owned: Bool) {
        self.input = input
        tep = tracecmd_get_tep(input)
        self.owned = owned
        trace_seq_init(&seq)
        fast = ks_fast_create(tep)
    }

    deinit {
        trace_seq_destroy(&seq)
        ks_fast_destroy(fast)
        fastBuffer.deallocate()
        if owned { tracecmd_close(input) }
    }

    func eventInfo(_ rec: UnsafeMutablePointer<tep_record>, interner: inout ByteInterner) -> EventInfo {
        let id = Int(tep_data_type(tep, rec))
        if let i = infos[id] { return i }
        let info = makeInfo(id, interner: &interner)
        infos[id] = info
        return info
    }

    private func makeInfo(_ id: Int, interner: inout ByteInterner) -> EventInfo {
        var info = makeInfo0(id, interner: &interner)
        info.event = tep_find_event(tep, Int32(id))
        return info
    }

    private func makeInfo0(_ id: Int, interner: inout ByteInterner) -> EventInfo {
        guard let ev = tep_find_event(tep, Int32(id)) else {
            return EventInfo(name: interner.intern("unknown_event_\(id)"), kind: .tracepoint, render: .printFmt)
        }
        let name = String(cString: ev.pointee.name)
        let system = ev.pointee.system.map { String(cString: $0) } ?? ""
        let sym = interner.intern(name)
        func field(_ n: String) -> UnsafeMutablePointer<tep_format_field>? { tep_find_field(ev, n) }
        switch (system, name) {
        case ("ftrace", "print"), ("ftrace", "bprint"), ("ftrace", "bputs"), (_, "tracing_mark_write"):
            return EventInfo(name: sym, kind: .marker, render: .printFmt)
        case ("ftrace", "function"):
            return EventInfo(name: sym, kind: .function, render: .function, fieldA: field("ip"), fieldB: field("parent_ip"))
        case ("ftrace", "funcgraph_entry"):
            return EventInfo(name: sym, kind: .functionGraphEntry, render: .graphEntry, fieldA: field("func"))
        case ("ftrace", "kernel_stack"), ("ftrace", "user_stack"):
            let user = name == "user_stack"
            return EventInfo(name: interner.intern("<stack trace>"), kind: .orphanStack,
                             render: user ? .userStack : .kernelStack, fieldA: field("caller"), fieldB: field("size"))
        case ("ftrace", "funcgraph_exit"):
            return EventInfo(name: sym, kind: .functionGraphExit, render: .graphExit, fieldA: field("func"))
        default: break
        }
        if let ret = field("__probe_ret_ip"), let fn = field("__probe_func") {
            return EventInfo(name: sym, kind: .kretprobe, render: .kretprobe, fieldA: ret, fieldB: fn)
        }
        if let ip = field("__probe_ip") {
            return EventInfo(name: sym, kind: .kprobe, render: .kprobe, fieldA: ip)
        }
        if system == "uprobes" { return EventInfo(name: sym, kind: .uprobe, render: .printFmt) }
        return EventInfo(name: sym, kind: .tracepoint, render: .printFmt)
    }

    func comm(_ pid: Int32, interner: inout ByteInterner) -> Symbol {
        if let s = comms[pid] { return s }
        let c = tep_data_comm_from_pid(tep, pid).map { String(cString: $0) } ?? "<...>"
        let s = interner.intern(c)
        comms[pid] = s
        return s
    }

    /// The payload text of `rec`, valid until the next call.
    func render(_ rec: UnsafeMutablePointer<tep_record>, _ info: EventInfo) -> UnsafeRawBufferPointer {
        scratch.removeAll(keepingCapacity: true)
        switch info.render {
        case .printFmt:
            return printInfo(rec, info.event)
        case .function:
            appendSymbol(number(info.fieldA, rec), offset: false)
            append(" <-")
            appendSymbol(number(info.fieldB, rec), offset: false)
        case .graphEntry:
            appendSymbol(number(info.fieldA, rec), offset: false)
            append("() {")
        case .graphExit:
            append("} /* ")
            appendSymbol(number(info.fieldA, rec), offset: false)
            append(" */")
        case .kernelStack, .userStack:
            appendStack(rec, info)
        case .kprobe, .kretprobe:
            let text = printInfo(rec, info.event)
            // The print fmt starts with `(%lx)` / `(%lx <- %lx)`; everything after the `)` is the arguments.
            var rest = 0
            if text.first == UInt8(ascii: "("), let close = text.firstIndex(of: UInt8(ascii: ")")) { rest = close + 1 }
            let args = Array(text[rest...])
            append("(")
            if info.render == .kprobe {
                appendSymbol(number(info.fieldA, rec), offset: true)
            } else {
                appendSymbol(number(info.fieldA, rec), offset: true)
                append(" <- ")
                appendSymbol(number(info.fieldB, rec), offset: false)
            }
            append(")")
            scratch += args
        }
        trimTrailingBlanks()
        return scratch.withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
    }

    private func printInfo(_ rec: UnsafeMutablePointer<tep_record>, _ event: UnsafeMutablePointer<tep_event>?)
        -> UnsafeRawBufferPointer {
        if let event {
            var n = Int(ks_fast_render(fast, event, rec, fastBuffer, Int32(DatHandle.fastCapacity), &seq))
            if n >= 0 {
                while n > 0 && (fastBuffer[n - 1] == 0x20 || fastBuffer[n - 1] == 0x0A) { n -= 1 }
                for i in 0..<n where fastBuffer[i] == 0x0A { fastBuffer[i] = 0x20 }
                return UnsafeRawBufferPointer(start: fastBuffer, count: n)
            }
        }
        trace_seq_reset(&seq)
        ks_tep_print_info(tep, &seq, rec)
        var n = Int(seq.len)
        guard n > 0, let b = seq.buffer else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        // One line per event: the kernel never prints a newline inside a payload except in trace_printk text.
        while n > 0 && (b[n - 1] == 0x20 || b[n - 1] == 0x0A) { n -= 1 }
        for i in 0..<n where b[i] == 0x0A { b[i] = 0x20 }
        return UnsafeRawBufferPointer(start: b, count: n)
    }

    private func number(_ field: UnsafeMutablePointer<tep_format_field>?, _ rec: UnsafeMutablePointer<tep_record>) -> UInt64 {
        guard let field else { return 0 }
        var v: UInt64 = 0
        return tep_read_number_field(field, rec.pointee.data, &v) == 0 ? v : 0
    }

    private func append(_ s: StaticString) {
        scratch.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// `sym+0xoff/0xsize` (kernel `%pS`) when `offset`, else `sym` (`%ps`); the address in hex when the file's
    /// kallsyms does not know it.
    private func appendSymbol(_ addr: UInt64, offset: Bool) {
        var name: UnsafePointer<CChar>?
        var start: UInt64 = 0
        var size: UInt = 0
        if addr != 0, tep_find_function_info(tep, addr, &name, &start, &size) != 0, let name {
            let len = strlen(name)
            name.withMemoryRebound(to: UInt8.self, capacity: len) { scratch.append(contentsOf: UnsafeBufferPointer(start: $0, count: len)) }
            if offset {
                scratch += Array("+0x\(String(addr - start, radix: 16))".utf8)
                if size > 0 { scratch += Array("/0x\(String(size, radix: 16))".utf8) }
            }
        } else {
            scratch += Array(String(addr, radix: 16).utf8)
        }
    }

    /// ` => frame` lines, one per return address, as tracefs prints a `<stack trace>` block.
    private func appendStack(_ rec: UnsafeMutablePointer<tep_record>, _ info: EventInfo) {
        guard let caller = info.fieldA, let data = rec.pointee.data else { return }
        let declared = Int(caller.pointee.elementsize)
        let elem = declared > 0 ? declared : Int(tep_get_long_size(tep))
        guard elem == 4 || elem == 8 else { return }
        let start = Int(caller.pointee.offset)
        var end = Int(rec.pointee.size)
        if info.fieldB != nil {
            let n = Int(number(info.fieldB, rec))
            if n > 0 { end = min(end, start + n * elem) }
        }
        var off = start
        let allOnes: UInt64 = elem == 8 ? .max : 0xFFFF_FFFF
        while off + elem <= end {
            let a = tep_read_number(tep, data + off, Int32(elem))
            off += elem
            if a == allOnes { break }
            if a == 0 { continue }
            if !scratch.isEmpty { append("\n") }
            append(" => ")
            if info.render == .kernelStack { appendSymbol(a, offset: false) } else { scratch += Array("0x\(String(a, radix: 16))".utf8) }
        }
    }

    private func trimTrailingBlanks() {
        while let l = scratch.last, l == 0x20 || l == 0x0A { scratch.removeLast() }
    }
}

/// An open `.dat`: its handles (top-level buffer first, then instances) and the merge of their record streams.
final class DatFile {
    let path: String
    var handles: [DatHandle] = []
    var instanceNames: [String] = []
    let version: Int
    let cpus: Int
    let clock: String?
    /// The next unread record of each handle (records are owned until consumed).
    private var pending: [(record: UnsafeMutablePointer<tep_record>, cpu: Int32)?] = []
    private var exhausted: [Bool] = []
    private var current: Int?
    private var records = 0

    init(path: String) throws {
        self.path = path
        tracecmd_set_loglevel(TEP_LOG_NONE)
        tep_set_loglevel(TEP_LOG_NONE)
        // Fail on unreadable files before libtracecmd does, to name the reason.
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        close(fd)
        // libtracecmd 1.3 crashes opening a v6 file whose CPU data is cut short: check the layout first.
        try DatLayout.checkV6(path: path)
        // Plugins are not loaded: the file's own print fmts are the reference (`trace-cmd report -N`).
        var crash: Int32 = 0
        guard let input = ks_tracecmd_open_guarded(path, Int32(TRACECMD_FL_LOAD_NO_PLUGINS.rawValue), &crash) else {
            if crash != 0 {
                throw TraceInputError(path: path, message: "corrupt trace-cmd .dat file: libtraceevent crashes parsing"
                                      + " its event formats (signal \(crash), caught)")
            }
            throw TraceInputError(path: path, message:
                "truncated or corrupt trace-cmd .dat file: libtracecmd could not read its headers")
        }
        let top = DatHandle(input: input, owned: true)
        _ = ks_fast_load_printk(top.fast, path)
        handles.append(top)
        version = Int(tracecmd_get_in_file_version(input))
        cpus = Int(tracecmd_cpus(input))
        clock = tracecmd_get_trace_clock(input).map { String(cString: $0) }
        let n = tracecmd_buffer_instances(input)
        for i in 0..<max(n, 0) {
            guard let h = tracecmd_buffer_instance_handle(input, i) else { continue }
            handles.append(DatHandle(input: h, owned: true))
            instanceNames.append(tracecmd_buffer_instance_name(input, i).map { String(cString: $0) } ?? "instance \(i)")
        }
        pending = Array(repeating: nil, count: handles.count)
        exhausted = Array(repeating: false, count: handles.count)
        if tep_get_events_count(top.tep) == 0 && cpus == 0 {
            throw TraceInputError(path: path, message: "trace-cmd .dat file without events or CPU data")
        }
    }

    deinit {
        for p in pending { if let p { tracecmd_free_record(p.record) } }
    }

    /// The earliest unread record of all handles, without consuming it.
    func peek() -> (record: UnsafeMutablePointer<tep_record>, handle: Int)? {
        if handles.count == 1 {
            // One buffer (the usual case): libtracecmd already merges its CPUs in time order.
            if pending[0] == nil && !exhausted[0] {
                var cpu: Int32 = 0
                if let r = tracecmd_read_next_data(handles[0].input, &cpu) { pending[0] = (r, cpu) } else { exhausted[0] = true }
            }
            current = 0
            return pending[0].map { ($0.record, 0) }
        }
        var best: Int?
        for i in 0..<handles.count {
            if pending[i] == nil && !exhausted[i] {
                var cpu: Int32 = 0
                if let r = tracecmd_read_next_data(handles[i].input, &cpu) { pending[i] = (r, cpu) } else { exhausted[i] = true }
            }
            guard let p = pending[i] else { continue }
            if let b = best, let q = pending[b], q.record.pointee.ts <= p.record.pointee.ts { continue }
            best = i
        }
        current = best
        guard let b = best, let p = pending[b] else { return nil }
        return (p.record, b)
    }

    func consume() {
        guard let c = current, let p = pending[c] else { return }
        tracecmd_free_record(p.record)
        pending[c] = nil
        records += 1
    }

}

/// The parts of the `.dat` layout checked before libtracecmd sees the file.
enum DatLayout {
    /// A v6 file ends with `flyrecord\0` and one (offset, size) pair of 64-bit integers per CPU, then the CPU data;
    /// every CPU's data must lie inside the file. (v7 keeps them in sections libtracecmd checks itself.)
    static func checkV6(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return }
        let size = Int(st.st_size)
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else { return }
        defer { munmap(m, size) }
        let bytes = UnsafeRawBufferPointer(start: m, count: size)
        // `\x17\x08Dtracing` `6\0`, then the endianness byte (1: big-endian). Other versions: libtracecmd checks.
        guard size > 13, bytes[10] == UInt8(ascii: "6"), bytes[11] == 0 else { return }
        let bigEndian = bytes[12] != 0
        let marker: StaticString = "flyrecord"  // and its NUL: StaticString is NUL-terminated
        guard let hit = find(bytes, UnsafeRawBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount + 1)) else {
            throw TraceInputError(path: path, message:
                "truncated trace-cmd .dat file: no CPU data section (file ends at byte \(size))")
        }
        let table = hit + marker.utf8CodeUnitCount + 1
        func u64(_ at: Int) -> UInt64? {
            guard at + 8 <= size else { return nil }
            let v = UnsafeRawPointer(m).loadUnaligned(fromByteOffset: at, as: UInt64.self)
            return bigEndian ? v.byteSwapped : v
        }
        // One (offset, size) pair per CPU; the CPUs' data follow the table back to back, so the table is the run
        // of contiguous entries (what follows it up to the first page is padding).
        guard let first = u64(table), u64(table + 8) != nil else {
            throw TraceInputError(path: path, message:
                "truncated trace-cmd .dat file: the CPU table is cut short (file ends at byte \(size))")
        }
        var expected = first
        var at = table
        var cpu = 0
        while cpu < 4096, let offset = u64(at), let length = u64(at + 8), offset == expected,
              UInt64(at + 16) <= first {
            if offset &+ length > UInt64(size) {
                throw TraceInputError(path: path, message:
                    "truncated trace-cmd .dat file: CPU \(cpu) data needs \(offset &+ length) bytes, the file has \(size)")
            }
            expected = offset &+ length
            at += 16
            cpu += 1
        }
    }

    static func find(_ hay: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Int? {
        guard let h = hay.baseAddress, let n = needle.baseAddress, needle.count > 0 else { return nil }
        var from = 0
        while from + needle.count <= hay.count,
              let p = memchr(h + from, Int32(needle[0]), hay.count - from - needle.count + 1) {
            let i = UnsafeRawPointer(p) - h
            if memcmp(h + i, n, needle.count) == 0 { return i }
            from = i + 1
        }
        return nil
    }
}
