/// Anything that yields events: the ftrace text reader today; CTF and .dat readers later. Analyses take a
/// `TraceSource` and never learn which format fed them.
public protocol TraceSource {
    /// The next batch in input order, or nil at the end. Throws `TraceInputError` on unusable input.
    mutating func nextBatch() throws -> EventBatch?
    /// What the reader learned about the input so far (format, header facts). Complete after the last batch.
    var description: TraceDescription { get }
}

/// What the input turned out to be.
public struct TraceDescription: Sendable, Equatable {
    public var format: String = "unknown"
    /// `# tracer: nop` / `function` / `function_graph` when the header names it.
    public var tracer: String?
    /// `#P:N` or `cpus=N`.
    public var cpuCount: Int?
    /// Flag columns: 0, 4, 5 (or 6/7 on RT kernels). Nil until the first event line or header tells.
    public var flagColumns: Int?
    public var hasTGIDColumn = false
    /// `entries-in-buffer/entries-written: a/b` with b > a: the ring buffer overwrote older events.
    public var entriesInBuffer: Int64?
    public var entriesWritten: Int64?
    /// The clock: `ns` for `sec.usec`/`sec.nsec` timestamps, `counter` for raw integer timestamps.
    public var clock: Clock = .nanoseconds
    /// `version = 6` of old trace-cmd report output.
    public var traceCmdVersion: Int?
    public var timestampDigits: Int?
    /// What the reader had to work around (one line each): overlapping CTF packets, discarded packets, ...
    public var warnings: [String] = []

    public enum Clock: String, Sendable { case nanoseconds = "ns", counter }

    public init() {}

    public var bufferOverwritten: Bool {
        if let a = entriesInBuffer, let b = entriesWritten { return b > a }
        return false
    }
}

/// Why an input cannot be read at all. Each case renders as one line naming the file and place.
public struct TraceInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var lineNumber: Int?
    public var byteOffset: Int64?

    public init(path: String, message: String, lineNumber: Int? = nil, byteOffset: Int64? = nil) {
        self.path = path
        self.message = message
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
    }

    public var description: String {
        var where_ = path
        if let l = lineNumber { where_ += ":\(l)" }
        if let o = byteOffset { where_ += " (byte \(o))" }
        return "\(where_): \(message)"
    }
}
