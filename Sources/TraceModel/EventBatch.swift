/// A place in the input where events are known to be missing: the kernel overwrote or could not store them.
/// Every "nobody woke it" conclusion about a task on that CPU after the gap is unsafe; analyses lower their
/// confidence accordingly.
public struct TraceGap: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// `CPU:N [LOST M EVENTS]` (tracefs `trace` / `trace_pipe`).
        case lost
        /// `CPU:N [M EVENTS DROPPED]` (`trace-cmd report`), or discarded events/packets of a CTF stream.
        case dropped
        /// `##### CPU N buffer started ####`: this CPU's buffer begins later than the others'.
        case bufferStarted
    }

    public var kind: Kind
    public var cpu: Int32
    /// Number of events lost, when the marker says.
    public var lostEvents: Int64?
    public var lineNumber: Int
    public var byteOffset: Int64
    /// Index in `EventBatch.events` of the first event after the gap.
    public var beforeEvent: Int
    /// Timestamp of the last event before the gap (any CPU), `Event.unknownTimestamp` when none.
    public var after: Int64

    public init(kind: Kind, cpu: Int32, lostEvents: Int64?, lineNumber: Int, byteOffset: Int64, beforeEvent: Int,
                after: Int64) {
        self.kind = kind
        self.cpu = cpu
        self.lostEvents = lostEvents
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
        self.beforeEvent = beforeEvent
        self.after = after
    }
}

/// A line the reader could not understand. Never silently dropped: counted, and the first few kept with why.
public struct UnparsedLine: Sendable, Equatable {
    public var lineNumber: Int
    public var byteOffset: Int64
    public var reason: String
    /// The line's first bytes, for the report (invalid UTF-8 replaced).
    public var excerpt: String

    public init(lineNumber: Int, byteOffset: Int64, reason: String, excerpt: String) {
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
        self.reason = reason
        self.excerpt = excerpt
    }
}

/// What a batch of the input held besides events: counts every line so none is lost silently.
public struct LineCounts: Sendable, Equatable {
    public var lines = 0
    public var eventLines = 0
    /// `#` header and comment lines, `trace-cmd report` preamble, blank lines, container wrapping.
    public var headerLines = 0
    /// ` => frame` lines and `<stack trace>` markers folded into an event.
    public var stackLines = 0
    /// Lines that continue the previous event's payload (a `bprint` whose format held `\n`).
    public var continuationLines = 0
    /// function_graph banners and separators (`------`, ` 0)  a-1  =>  b-2 `).
    public var bannerLines = 0
    /// Text that is not trace output at all, in files that mix prose with a trace (tool documentation).
    public var proseLines = 0
    public var unparsedLines = 0
    public var lostMarkerLines = 0

    public init() {}

    public mutating func add(_ o: LineCounts) {
        lines += o.lines
        eventLines += o.eventLines
        headerLines += o.headerLines
        stackLines += o.stackLines
        continuationLines += o.continuationLines
        bannerLines += o.bannerLines
        proseLines += o.proseLines
        unparsedLines += o.unparsedLines
        lostMarkerLines += o.lostMarkerLines
    }
}

/// A run of consecutive events, in input order, with the bytes they point into. Batches are the unit readers
/// hand to analyses; their size is bounded, which bounds memory whatever the input size.
public struct EventBatch: Sendable {
    public let storage: ByteStorage
    public var events: [Event]
    public var gaps: [TraceGap]
    public var symbols: SymbolTable
    /// The first unparsed lines of this batch (at most `EventBatch.unparsedSampleLimit`); `counts.unparsedLines`
    /// has them all.
    public var unparsed: [UnparsedLine]
    public var counts: LineCounts

    public static let unparsedSampleLimit = 32

    public init(storage: ByteStorage, events: [Event] = [], gaps: [TraceGap] = [], symbols: SymbolTable,
                unparsed: [UnparsedLine] = [], counts: LineCounts = LineCounts()) {
        self.storage = storage
        self.events = events
        self.gaps = gaps
        self.symbols = symbols
        self.unparsed = unparsed
        self.counts = counts
    }

    public var count: Int { events.count }
    public subscript(i: Int) -> Event { events[i] }

    public func name(_ e: Event) -> String { symbols[e.name] }
    public func comm(_ e: Event) -> String { symbols[e.comm] }
    /// The buffer instance the event was recorded in; nil for the top-level buffer.
    public func buffer(_ e: Event) -> String? { e.buffer == Event.topBuffer ? nil : symbols[e.buffer] }
    public func payloadText(_ e: Event) -> String { storage.string(e.payload) }
    public func fields(_ e: Event) -> PayloadFields { PayloadFields(storage: storage, span: e.payload) }

    /// The frames of the event's kernel stack (`<stack trace>` block), innermost first.
    public func kernelStack(_ e: Event) -> [String] { StackFrames.decode(storage.bytes(e.kernelStack)) }
    public func userStack(_ e: Event) -> [String] { StackFrames.decode(storage.bytes(e.userStack)) }

    /// The probed symbol and offsets of a kprobe / kretprobe / uprobe event.
    public func probe(_ e: Event) -> ProbeSite? {
        switch e.kind {
        case .kprobe, .kretprobe, .uprobe: ProbeSite.parse(storage.bytes(e.payload))
        default: nil
        }
    }
}

/// Decodes ` => frame` lines.
public enum StackFrames {
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [String] {
        guard bytes.count > 0 else { return [] }
        var frames: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var s = line[...]
            while let f = s.first, f == UInt8(ascii: " ") || f == UInt8(ascii: "\t") { s = s.dropFirst() }
            if s.starts(with: [UInt8(ascii: "="), UInt8(ascii: ">")]) { s = s.dropFirst(2) }
            while let f = s.first, f == UInt8(ascii: " ") { s = s.dropFirst() }
            while let l = s.last, l == UInt8(ascii: " ") || l == UInt8(ascii: "\r") { s = s.dropLast() }
            if !s.isEmpty { frames.append(String(decoding: s, as: UTF8.self)) }
        }
        return frames
    }
}
