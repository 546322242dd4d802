/// A half-open range of bytes inside an `EventBatch`'s storage. 32-bit fields keep `Event` small: a batch never
/// holds more than 4 GiB.
public struct ByteSpan: Sendable, Equatable, Hashable {
    public var start: UInt32
    public var count: UInt32

    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }

    public init(start: Int, count: Int) {
        self.start = UInt32(truncatingIfNeeded: start)
        self.count = UInt32(truncatingIfNeeded: count)
    }

    public static let empty = ByteSpan(start: 0, count: 0)
    public var isEmpty: Bool { count == 0 }
    public var end: Int { Int(start) + Int(count) }
}

/// An interned string (comm, event name). Resolve it with the batch's `SymbolTable`.
public struct Symbol: Hashable, Sendable, Comparable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static func < (a: Symbol, b: Symbol) -> Bool { a.rawValue < b.rawValue }
}

/// What shape of trace line an event came from. Analyses mostly care about `tracepoint` and the probe kinds;
/// the others exist so that nothing a kernel prints has to be dropped.
public enum EventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// `name: payload` — a static tracepoint (sched_switch, fscache_cookie, ...).
    case tracepoint
    /// function tracer: `func <-parent`. The event name is `function`; the payload holds `func <-parent`.
    case function
    /// function_graph: `func() {` (entry), `}` (exit) and `func();` (a leaf: entry and exit in one line).
    case functionGraphEntry, functionGraphExit, functionGraphLeaf
    /// kprobe `(sym+0x0/0x1c0) args`, kretprobe `(caller+0x1b/0x1d <- sym) args`, uprobe `(0x48db60)`.
    case kprobe, kretprobe, uprobe
    /// syscall tracepoints printed without a `name:` token: `sys_clone(...)` and `sys_clone -> 0x16841`.
    case syscallEntry, syscallExit
    /// trace_marker writes: `tracing_mark_write:`, `print:`, `bprint:`, `bputs:`, legacy Android `0:`.
    case marker
    /// A `<stack trace>` / `<user stack trace>` block that had no preceding event on its CPU to attach to.
    case orphanStack

    public var description: String {
        switch self {
        case .tracepoint: "tracepoint"
        case .function: "function"
        case .functionGraphEntry: "funcgraph_entry"
        case .functionGraphExit: "funcgraph_exit"
        case .functionGraphLeaf: "funcgraph_leaf"
        case .kprobe: "kprobe"
        case .kretprobe: "kretprobe"
        case .uprobe: "uprobe"
        case .syscallEntry: "syscall_entry"
        case .syscallExit: "syscall_exit"
        case .marker: "marker"
        case .orphanStack: "stack"
        }
    }
}

/// One trace event. Plain data, no references: the bytes it points at (payload, stacks) live in the
/// `EventBatch` that holds it, and its strings are interned `Symbol`s resolved through that batch.
public struct Event: Sendable {
    /// Nanoseconds. From `sec.usec` (tracefs), `sec.nsec` (`trace-cmd report -t`) or a raw counter clock, in
    /// which case the unit is the counter's and `EventBatch.clock` says so.
    public var timestamp: Int64
    /// 1-based line number and byte offset of the event's first line in the input.
    public var lineNumber: Int
    public var byteOffset: Int64
    public var cpu: Int32
    public var pid: Int32
    /// Thread-group id when the trace prints it (`(  598)`); `Event.unknownTGID` otherwise.
    public var tgid: Int32
    public var comm: Symbol
    public var name: Symbol
    public var kind: EventKind
    /// The ring buffer the event was recorded in: `Event.topBuffer` for the top-level buffer, else the interned
    /// name of a tracefs instance (`trace-cmd record -B NAME`; `NAME:` before the task in `trace-cmd report`).
    /// Fits in `Event`'s padding: the struct stays 80 bytes.
    public var buffer: Symbol
    public var flags: LatencyFlags
    public var payload: ByteSpan
    /// The ` => frame` lines of an attached `<stack trace>` / `<user stack trace>` block, undecoded.
    public var kernelStack: ByteSpan
    public var userStack: ByteSpan

    public static let unknownTGID: Int32 = -1
    /// function_graph lines without the `funcgraph-abstime` option carry no timestamp.
    public static let unknownTimestamp: Int64 = .min
    /// function_graph lines without the `funcgraph-proc` option carry no pid until a context-switch banner.
    public static let unknownPID: Int32 = -1
    /// `buffer` of events from the top-level ring buffer (every format but multi-buffer trace-cmd files).
    /// (Computed, not a stored global: no lazy-initialisation check on every event.)
    @inlinable public static var topBuffer: Symbol { Symbol(rawValue: .max) }

    public init(
        timestamp: Int64, lineNumber: Int, byteOffset: Int64, cpu: Int32, pid: Int32, tgid: Int32 = Event.unknownTGID,
        comm: Symbol, name: Symbol, kind: EventKind, flags: LatencyFlags = .none, payload: ByteSpan,
        kernelStack: ByteSpan = .empty, userStack: ByteSpan = .empty, buffer: Symbol = Event.topBuffer
    ) {
        self.timestamp = timestamp
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
        self.cpu = cpu
        self.pid = pid
        self.tgid = tgid
        self.comm = comm
        self.name = name
        self.kind = kind
        self.buffer = buffer
        self.flags = flags
        self.payload = payload
        self.kernelStack = kernelStack
        self.userStack = userStack
    }
}
