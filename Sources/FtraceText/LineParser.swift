import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Byte constants, named once so the parser below reads as the grammar it implements.
private let NL = UInt8(ascii: "\n"), CR = UInt8(ascii: "\r"), SP = UInt8(ascii: " "), TAB = UInt8(ascii: "\t")
private let HASH = UInt8(ascii: "#"), LBRACK = UInt8(ascii: "["), RBRACK = UInt8(ascii: "]")
private let LPAREN = UInt8(ascii: "("), RPAREN = UInt8(ascii: ")"), COLON = UInt8(ascii: ":")
private let DASH = UInt8(ascii: "-"), DOT = UInt8(ascii: "."), LT = UInt8(ascii: "<"), GT = UInt8(ascii: ">")
private let EQ = UInt8(ascii: "="), BAR = UInt8(ascii: "|"), BACKSLASH = UInt8(ascii: "\\")
private let ZERO = UInt8(ascii: "0"), NINE = UInt8(ascii: "9")

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- ZERO <= 9 }
/// Bytes that end an event name: `:` (tracepoint), blank (function tracer, syscall exit), `(` (syscall entry).
/// All are below 64, so one shift of a constant mask tests them.
@inline(__always) private func isNameStop(_ c: UInt8) -> Bool {
    let mask: UInt64 = 1 << 58 | 1 << 32 | 1 << 40 | 1 << 9
    return c < 64 && (mask >> UInt64(c)) & 1 != 0
}
@inline(__always) private func isBlank(_ c: UInt8) -> Bool { c == SP || c == TAB }

// Eight bytes at a time. Byte loops cost ~8 instructions a byte and a trace line is ~110 bytes, most of them
// padding, the timestamp and the event name; these helpers read a word per step and say where the byte loop
// they replace would have stopped (they never read past the line's end, which is inside the chunk).
private let ONES: UInt64 = 0x0101_0101_0101_0101
private let HIGHS: UInt64 = 0x8080_8080_8080_8080
@inline(__always) private func word(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
}
/// The high bit of each zero byte of `x`; the lowest set bit is exact (a borrow marks only bytes above a true zero).
@inline(__always) private func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ONES) & ~x & HIGHS }

/// The first index at or after `i` whose byte is not a blank, `e` when none.
@inline(__always) private func skipBlanks(_ p: UnsafePointer<UInt8>, _ i: Int, _ e: Int) -> Int {
    var j = i
    while j + 8 <= e && word(p, j) == ONES &* UInt64(SP) { j += 8 }
    while j < e && isBlank(p[j]) { j += 1 }
    return j
}

/// The first index at or after `i` whose byte is a name stop (`isNameStop`), `e` when none.
@inline(__always) private func nameEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ e: Int) -> Int {
    var n = i
    while n + 8 <= e {
        let w = word(p, n)
        let m = zeroBytes(w ^ (ONES &* 0x3a)) | zeroBytes(w ^ (ONES &* 0x20)) | zeroBytes(w ^ (ONES &* 0x28))
            | zeroBytes(w ^ (ONES &* 0x09))
        if m != 0 { return n + m.trailingZeroBitCount >> 3 }
        n += 8
    }
    while n < e && !isNameStop(p[n]) { n += 1 }
    return n
}

private let THREES: UInt64 = 0x3030_3030_3030_3030

/// Per byte of `w`, a flag in its high nibble when the byte is not an ASCII digit: a digit's high nibble is 3 and
/// its low nibble plus 6 stays below 16. Nibble sums cannot carry into the next byte, so every flag is exact.
@inline(__always) private func nonDigits(_ w: UInt64) -> UInt64 {
    ((w & 0xF0F0_F0F0_F0F0_F0F0) ^ THREES) | (((w & 0x0F0F_0F0F_0F0F_0F0F) &+ ONES &* 6) & 0x1010_1010_1010_1010)
}

/// The value of up to seven digits (digit bytes minus `0`) sitting in the top bytes of `v`, zeros below: the usual
/// eight-digit SWAR reduction (pairs, then quads, then the whole).
@inline(__always) private func digitsValue(_ v: UInt64) -> Int64 {
    var v = (v &* 10) &+ (v >> 8)
    v = (((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32)))
        &+ (((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32)))) >> 32
    return Int64(v)
}

/// How many of the eight bytes at `i` are leading ASCII digits (8: all of them), and their value when fewer.
@inline(__always) private func leadingDigits(_ p: UnsafePointer<UInt8>, _ i: Int) -> (count: Int, value: Int64) {
    let w = word(p, i)
    let bad = nonDigits(w)
    guard bad != 0 else { return (8, 0) }
    let c = bad.trailingZeroBitCount >> 3
    if c == 0 { return (0, 0) }
    // The c digits moved to the top bytes (a borrow from the bytes above them is shifted out).
    return (c, digitsValue((w &- THREES) << UInt64(8 * (8 - c))))
}

/// How many of the eight bytes before `end` are trailing ASCII digits (8: all of them), and their value when fewer.
@inline(__always) private func trailingDigits(_ p: UnsafePointer<UInt8>, _ end: Int) -> (count: Int, value: Int64) {
    let w = word(p, end - 8)
    let bad = nonDigits(w)
    guard bad != 0 else { return (8, 0) }
    let c = bad.leadingZeroBitCount >> 3
    if c == 0 { return (0, 0) }
    // Only the top c bytes are kept before subtracting, so that no byte below them borrows from them.
    let top: UInt64 = ~((1 << UInt64(8 * (8 - c))) &- 1)
    return (c, digitsValue((w & top) &- (THREES & top)))
}

/// The first index at or after `i` holding a space or a `:`, `e` when none.
@inline(__always) private func spaceOrColon(_ p: UnsafePointer<UInt8>, _ i: Int, _ e: Int) -> Int {
    var t = i
    while t + 8 <= e {
        let w = word(p, t)
        let m = zeroBytes(w ^ (ONES &* UInt64(SP))) | zeroBytes(w ^ (ONES &* UInt64(COLON)))
        if m != 0 { return t + m.trailingZeroBitCount >> 3 }
        t += 8
    }
    while t < e && p[t] != SP && p[t] != COLON { t += 1 }
    return t
}

/// What `while q > s && isBlank(p[q]) { q -= 1 }` leaves: the trailing spaces of the eight bytes ending at `q`
/// are skipped at once when they all lie after `s`.
@inline(__always) private func skipBlanksBack(_ p: UnsafePointer<UInt8>, _ q: Int, _ s: Int) -> Int {
    var q = q
    if q - 8 >= s {
        let x = word(p, q - 7) ^ (ONES &* UInt64(SP))
        q -= x == 0 ? 8 : x.leadingZeroBitCount >> 3
    }
    while q > s && isBlank(p[q]) { q -= 1 }
    return q
}

/// Symbols every parser interns first, so their ids are constants.
enum Well: UInt32 {
    // trace_marker and trace_printk events; ids 0...4 are exactly the marker names.
    case tracingMarkWrite = 0, print, bprint, bputs, legacyMarker
    case function, funcgraphEntry, funcgraphExit, unknownComm, kernelStackEvent, userStackEvent, stackTrace
    static let names = ["tracing_mark_write", "print", "bprint", "bputs", "0", "function", "funcgraph_entry",
                        "funcgraph_exit", "<unknown>", "kernel_stack", "user_stack", "<stack trace>"]
    var symbol: Symbol { Symbol(rawValue: rawValue) }
}

/// The line grammar of ftrace text. Owned by one reader; keeps the cross-line state (the function_graph task
/// per CPU, the open stack block, the marker whose payload may continue on the next line).
struct LineParser {
    var description = TraceDescription()
    private(set) var interner = ByteInterner()
    private var lineNumber: Int
    var baseOffset: Int64 = 0
    private var lastTimestamp = Event.unknownTimestamp
    /// function_graph without `funcgraph-proc`: who runs on each CPU, from the context-switch banners.
    private var graphTask: [Int32: (pid: Int32, comm: Symbol)] = [:]
    private var pendingUnparsed: [UnparsedLine] = []
    private var pendingUnparsedCount = 0
    private var sawHeader = false
    private var sawPreamble = false
    private var sawGraph = false
    /// Android systrace HTML: only the lines inside the trace-data block are trace text.
    private var html = false
    private var inTraceData = false

    // Per-batch state.
    private var events: [Event] = []
    private var gaps: [TraceGap] = []
    private var unparsed: [UnparsedLine] = []
    private var counts = LineCounts()
    private var chunkOffset: Int64 = 0
    /// The event whose `<stack trace>` block is open, which stack, and the marker line (for an orphan).
    private var openStack: OpenStack?
    private struct OpenStack {
        var event: Int
        var user: Bool
        var marker: Event
    }
    /// Index of the last event if it is a marker whose payload may continue (a `bprint` with `\n`).
    private var openMarker: Int?

    init(firstLine: Int) {
        lineNumber = firstLine
        for n in Well.names { _ = interner.intern(n) }
    }

    // MARK: chunk boundaries

    /// A line belongs to the group of the event before it: a ` => frame` line or a `<stack trace>` marker.
    static func isContinuation(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var j = 0
        while j < n && isBlank(p[j]) { j += 1 }
        if j + 1 < n && p[j] == EQ && p[j + 1] == GT { return true }
        // `<stack trace>` / `<user stack trace>` event lines, and trace-cmd's `kernel_stack: <stack trace >`
        return find(UnsafeRawBufferPointer(start: p, count: n), "stack trace") != nil
    }

    /// Where to cut a chunk so that the last (possibly incomplete) event group goes to the next chunk: the start
    /// of the last complete line that begins a group. Returns `from` when no such cut exists.
    static func groupCut(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        // End of the last complete line.
        var end = to
        while end > from && p[end - 1] != NL { end -= 1 }
        guard end > from else { return from }
        // Walk back over complete lines; stop at the first (from the end) that is not a continuation.
        var lineEnd = end - 1  // index of that line's '\n'
        while lineEnd > from {
            var start = lineEnd
            while start > from && p[start - 1] != NL { start -= 1 }
            if !isContinuation(p + start, lineEnd - start) { return start }
            lineEnd = start - 1
        }
        return from
    }

    static func lastLineEnd(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var end = to
        while end > from && p[end - 1] != NL { end -= 1 }
        return end
    }

    // MARK: batches

    mutating func noteOverlongLine(at offset: Int64, limit: Int, excerpt: UnsafeRawBufferPointer) {
        pendingUnparsedCount += 1
        if pendingUnparsed.count < EventBatch.unparsedSampleLimit {
            pendingUnparsed.append(UnparsedLine(
                lineNumber: lineNumber, byteOffset: offset,
                reason: "line longer than \(limit) bytes without a newline (not ftrace text?)",
                excerpt: String(decoding: excerpt, as: UTF8.self)))
        }
        lineNumber += 1
    }

    mutating func finish(storage: ByteStorage) -> EventBatch? {
        guard pendingUnparsedCount > 0 else { return nil }
        return makeBatch(storage: storage)
    }

    mutating func parse(storage: ByteStorage, from: Int, to: Int, chunkOffset: Int64, isLast: Bool) -> EventBatch {
        self.chunkOffset = chunkOffset
        events.reserveCapacity(max(1024, (to - from) / 90))
        let p = UnsafePointer(storage.base.assumingMemoryBound(to: UInt8.self))
        var i = from
        while i < to {
            let lineEnd: Int
            let hasNewline: Bool
            if let nl = memchr(p + i, Int32(NL), to - i) {
                lineEnd = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p
                hasNewline = true
            } else {
                lineEnd = to
                hasNewline = false
            }
            var e = lineEnd
            if e > i && p[e - 1] == CR { e -= 1 }
            line(p, i, e, truncated: isLast && !hasNewline)
            lineNumber += 1
            i = lineEnd + 1
        }
        return makeBatch(storage: storage)
    }

    private mutating func makeBatch(storage: ByteStorage) -> EventBatch {
        if pendingUnparsedCount > 0 {
            unparsed.insert(contentsOf: pendingUnparsed, at: 0)
            counts.unparsedLines += pendingUnparsedCount
            counts.lines += pendingUnparsedCount
            pendingUnparsed.removeAll()
            pendingUnparsedCount = 0
        }
        if openStack != nil { closeStack(UnsafePointer(storage.base.assumingMemoryBound(to: UInt8.self))) }
        let batch = EventBatch(storage: storage, events: events, gaps: gaps, symbols: interner.table,
                               unparsed: unparsed, counts: counts)
        events = []
        gaps.removeAll()
        unparsed.removeAll()
        counts = LineCounts()
        openMarker = nil
        finalizeDescription()
        return batch
    }

    private mutating func finalizeDescription() {
        if sawGraph && description.tracer == nil { description.tracer = "function_graph" }
        if html { description.format = "systrace HTML" }
        else if sawPreamble { description.format = "trace-cmd report" }
        else if sawHeader { description.format = "tracefs trace" }
        else if description.format == "unknown" && lineNumber > 1 { description.format = "ftrace text (no header)" }
    }

    // MARK: one line

    private mutating func line(_ p: UnsafePointer<UInt8>, _ s: Int, _ lineEnd: Int, truncated: Bool) {
        counts.lines += 1
        var e = lineEnd
        // Legacy systrace JS containers end each trace line with a literal `\n\`.
        if e - s >= 3 && p[e - 1] == BACKSLASH && p[e - 2] == UInt8(ascii: "n") && p[e - 3] == BACKSLASH { e -= 3 }
        let j = skipBlanks(p, s, e)
        if j == e {
            counts.headerLines += 1
            if openStack != nil { closeStack(p) }
            return
        }
        let c = p[j]
        lineBuffer = Event.topBuffer

        if c == EQ && j + 1 < e && p[j + 1] == GT { stackFrame(p, s, j, e); return }
        if openStack != nil { closeStack(p) }

        if c == LT || html, container(p, j, e) { openMarker = nil; return }
        if c == HASH { header(p, j, e); openMarker = nil; return }
        if eventLine(p, s, j, e) { return }
        if c == UInt8(ascii: "C") && lostMarker(p, j, e) { openMarker = nil; return }
        if (c == UInt8(ascii: "c") || c == UInt8(ascii: "v") || c == UInt8(ascii: "C")) && preamble(p, j, e) {
            openMarker = nil
            return
        }
        if graphLine(p, s, j, e) { openMarker = nil; return }
        if let m = openMarker {
            // A trace_printk format with `\n` continues the event's text on the next line.
            events[m].payload.count = UInt32(e - Int(events[m].payload.start))
            counts.continuationLines += 1
            return
        }
        let looksLikeEvent = Self.hasEventContext(p, j, e)
        fail(p, s, e, truncated ? "truncated last line (no newline at end of input)"
             : looksLikeEvent ? "malformed event line" : "not a trace line")
    }

    private mutating func fail(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int, _ reason: String) {
        counts.unparsedLines += 1
        openMarker = nil
        if unparsed.count < EventBatch.unparsedSampleLimit {
            unparsed.append(UnparsedLine(
                lineNumber: lineNumber, byteOffset: chunkOffset + Int64(s), reason: reason,
                excerpt: String(decoding: UnsafeRawBufferPointer(start: p + s, count: min(100, e - s)), as: UTF8.self)))
        }
    }

    /// Systrace HTML containers: `<script class="trace-data">…</script>` or the legacy
    /// `var linuxPerfData = "\` … `";` block. Markup outside the block is counted as header lines.
    private mutating func container(_ p: UnsafePointer<UInt8>, _ j: Int, _ e: Int) -> Bool {
        let text = UnsafeRawBufferPointer(start: p + j, count: e - j)
        if !html {
            guard text.starts(with: "<!DOCTYPE".utf8) || text.starts(with: "<!doctype".utf8)
                || text.starts(with: "<html".utf8) else { return false }
            html = true
            description.format = "systrace HTML"
            counts.headerLines += 1
            return true
        }
        if inTraceData {
            // Trace text, unless the block ends (`</script>`, `";`, `\n";`) or holds JSON trace events instead.
            let ends = text.starts(with: "</".utf8) || text.starts(with: "\";".utf8) || text.starts(with: "\\n\";".utf8)
            guard ends || text.starts(with: "<!--".utf8) || text.starts(with: "{\"".utf8) else { return false }
            if ends { inTraceData = false }
        } else if Self.find(text, "class=\"trace-data\"") != nil || Self.find(text, "linuxPerfData = \"") != nil {
            inTraceData = true
        }
        counts.headerLines += 1
        return true
    }

    /// `comm-pid [cpu]` shape somewhere in the line: the line meant to be an event.
    static func hasEventContext(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var k = s
        while k < e, let br = memchr(p + k, Int32(LBRACK), e - k) {
            let b = UnsafePointer<UInt8>(br.assumingMemoryBound(to: UInt8.self)) - p
            var d = b + 1
            while d < e && isDigit(p[d]) { d += 1 }
            if d > b + 1 && d < e && p[d] == RBRACK && b > s {
                var q = b - 1
                while q > s && isBlank(p[q]) { q -= 1 }
                if isDigit(p[q]) || p[q] == RPAREN { return true }
            }
            k = b + 1
        }
        return false
    }

    // MARK: header, preamble, lost events

    private mutating func header(_ p: UnsafePointer<UInt8>, _ j: Int, _ e: Int) {
        counts.headerLines += 1
        let text = UnsafeRawBufferPointer(start: p + j, count: e - j)
        if text.starts(with: "##### CPU ".utf8) {
            // `##### CPU 3 buffer started ####`
            var k = j + 10
            var cpu: Int32 = 0
            while k < e && isDigit(p[k]) { cpu = cpu &* 10 &+ Int32(p[k] &- ZERO); k += 1 }
            gaps.append(TraceGap(kind: .bufferStarted, cpu: cpu, lostEvents: nil, lineNumber: lineNumber,
                                 byteOffset: chunkOffset + Int64(j), beforeEvent: events.count, after: lastTimestamp))
            return
        }
        sawHeader = true
        if text.starts(with: "# tracer: ".utf8) {
            description.tracer = String(decoding: text.dropFirst(10), as: UTF8.self)
            return
        }
        if let r = Self.find(text, "entries-in-buffer/entries-written:") {
            let rest = Array(text[(r + 35)...])
            let nums = rest.split(whereSeparator: { !isDigit($0) }).compactMap { Int64(String(decoding: $0, as: UTF8.self)) }
            if nums.count >= 2 { description.entriesInBuffer = nums[0]; description.entriesWritten = nums[1] }
            if let pr = Self.find(text, "#P:") {
                description.cpuCount = Int(String(decoding: text[(pr + 3)...].prefix(while: isDigit), as: UTF8.self))
            }
            return
        }
        if let t = Self.find(text, "TASK-PID") {
            description.hasTGIDColumn = Self.find(text, "TGID") != nil
            if let cpuCol = Self.find(text, "CPU#") {
                let after = text[(cpuCol + 4)...].drop(while: { $0 == SP })
                description.flagColumns = after.prefix(while: { $0 == BAR }).count
            }
            _ = t
            return
        }
        if Self.find(text, "DURATION") != nil && Self.find(text, "FUNCTION CALLS") != nil {
            sawGraph = true
        }
    }

    /// `CPU:N [LOST M EVENTS]`, `CPU:N [M EVENTS DROPPED]`, `CPU:N [EVENTS DROPPED]`.
    private mutating func lostMarker(_ p: UnsafePointer<UInt8>, _ j: Int, _ e: Int) -> Bool {
        let text = UnsafeRawBufferPointer(start: p + j, count: e - j)
        guard text.starts(with: "CPU:".utf8) else { return false }
        var k = 4
        var cpu: Int32 = 0
        while k < text.count && isDigit(text[k]) { cpu = cpu &* 10 &+ Int32(text[k] &- ZERO); k += 1 }
        guard k > 4, k + 2 < text.count, text[k] == SP, text[k + 1] == LBRACK else { return false }
        let inner = text[(k + 2)...]
        var kind = TraceGap.Kind.dropped
        var digits = inner
        if inner.starts(with: "LOST ".utf8) { kind = .lost; digits = inner.dropFirst(5) }
        let num = digits.prefix(while: isDigit)
        let rest = digits.dropFirst(num.count)
        let ok = kind == .lost ? rest.starts(with: " EVENTS]".utf8)
            : (rest.starts(with: " EVENTS DROPPED]".utf8) || rest.starts(with: "EVENTS DROPPED]".utf8))
        guard ok else { return false }
        let n = num.isEmpty ? nil : Int64(String(decoding: num, as: UTF8.self))
        gaps.append(TraceGap(kind: kind, cpu: cpu, lostEvents: n, lineNumber: lineNumber,
                             byteOffset: chunkOffset + Int64(j), beforeEvent: events.count, after: lastTimestamp))
        counts.lostMarkerLines += 1
        return true
    }

    /// trace-cmd report's preamble: `version = 6`, `CPU 3 is empty`, `cpus=6`.
    private mutating func preamble(_ p: UnsafePointer<UInt8>, _ j: Int, _ e: Int) -> Bool {
        let text = UnsafeRawBufferPointer(start: p + j, count: e - j)
        if text.starts(with: "cpus=".utf8) {
            let n = text.dropFirst(5).prefix(while: isDigit)
            guard !n.isEmpty, n.count == text.count - 5 else { return false }
            description.cpuCount = Int(String(decoding: n, as: UTF8.self))
        } else if text.starts(with: "version = ".utf8) {
            description.traceCmdVersion = Int(String(decoding: text.dropFirst(10).prefix(while: isDigit), as: UTF8.self))
        } else if text.starts(with: "CPU ".utf8), Self.find(text, " is empty") != nil {
        } else {
            return false
        }
        sawPreamble = true
        counts.headerLines += 1
        return true
    }

    // MARK: event lines

    /// `comm-pid (tgid) [cpu] flags timestamp: body`. Returns false when the line does not have that shape.
    private mutating func eventLine(_ p: UnsafePointer<UInt8>, _ lineStart: Int, _ s: Int, _ e: Int) -> Bool {
        var k = s
        while k < e {
            guard let br = memchr(p + k, Int32(LBRACK), e - k) else { return false }
            let b = UnsafePointer<UInt8>(br.assumingMemoryBound(to: UInt8.self)) - p
            k = b + 1
            // [cpu]
            var d = b + 1
            var cpu: Int32 = 0
            if d + 8 <= e, case let (c, v) = leadingDigits(p, d), c < 8 {
                cpu = Int32(truncatingIfNeeded: v)
                d += c
            } else {
                while d < e && isDigit(p[d]) { cpu = cpu &* 10 &+ Int32(p[d] &- ZERO); d += 1 }
            }
            guard d > b + 1, d - b <= 6, d < e, p[d] == RBRACK, b > s else { continue }
            // Backwards: blanks, optional (tgid), blanks, pid digits, '-'.
            var q = skipBlanksBack(p, b - 1, s)
            var tgid = Event.unknownTGID
            if p[q] == RPAREN {
                var o = q - 1
                while o > s && p[o] != LPAREN && q - o < 12 { o -= 1 }
                guard p[o] == LPAREN else { continue }
                var v: Int32 = 0
                var digits = 0
                for x in (o + 1)..<q where isDigit(p[x]) { v = v &* 10 &+ Int32(p[x] &- ZERO); digits += 1 }
                if digits > 0 { tgid = v }
                q = o - 1
                while q > s && isBlank(p[q]) { q -= 1 }
            }
            let pidEnd = q + 1
            var pid: Int32 = 0
            // The bytes before `s` (back to the line's start) are blanks: the digit count stops at `s` either way.
            if pidEnd - 8 >= lineStart, case let (c, v) = trailingDigits(p, pidEnd), c < 8 {
                q = pidEnd - 1 - c
                guard c > 0, q >= s, p[q] == DASH else { continue }
                pid = Int32(truncatingIfNeeded: v)
            } else {
                while q >= s && isDigit(p[q]) { q -= 1 }
                guard pidEnd - (q + 1) > 0, pidEnd - (q + 1) <= 10, q >= s, p[q] == DASH else { continue }
                for x in (q + 1)..<pidEnd { pid = pid &* 10 &+ Int32(p[x] &- ZERO) }
            }
            var commStart = s
            // Comms are at most 15 bytes: a longer task column may carry trace-cmd report's instance tag.
            if q - s > 16, let (name, c) = bufferTag(p, s, q) { lineBuffer = name; commStart = c }
            return eventBody(p, lineStart: lineStart, commStart: commStart, commEnd: q, pid: pid, tgid: tgid,
                             cpu: cpu, after: d + 1, e)
        }
        return false
    }

    /// The buffer of the event line being parsed (`Event.buffer`).
    private var lineBuffer = Event.topBuffer

    /// `trace-cmd report` of a file with buffer instances prints `NAME: ` before the task column of the
    /// instances' records (`%*s: ` then the comm right-aligned in 16 columns, so at least two blanks follow the
    /// colon) and blanks before the top-level buffer's. Returns the interned name and where the comm starts.
    private mutating func bufferTag(_ p: UnsafePointer<UInt8>, _ s: Int, _ q: Int) -> (Symbol, Int)? {
        var c = s
        while c < q && p[c] != COLON && !isBlank(p[c]) { c += 1 }
        guard c > s, c + 3 < q, p[c] == COLON, p[c + 1] == SP, p[c + 2] == SP else { return nil }
        var k = c + 3
        while k < q && isBlank(p[k]) { k += 1 }
        guard k < q else { return nil }
        return (interner.intern(p + s, c - s), k)
    }

    private mutating func eventBody(_ p: UnsafePointer<UInt8>, lineStart: Int, commStart: Int, commEnd: Int,
                                    pid: Int32, tgid: Int32, cpu: Int32, after: Int, _ e: Int) -> Bool {
        var j = after
        while j < e && isBlank(p[j]) { j += 1 }
        // Either `flags timestamp:` or `timestamp:`. A timestamp starts with a digit and so does no flag column
        // except an all-digits one, which the `:` after a timestamp tells apart.
        var flags = LatencyFlags.none
        var ts: Int64
        var t: Int
        if let (value, end) = timestamp(p, j, e), end < e, p[end] == COLON {
            ts = value
            t = end
        } else {
            t = spaceOrColon(p, j, e)
            guard t < e, p[t] == SP, let f = decodeFlags(p + j, t - j, available: e - j) else { return false }
            flags = f
            j = skipBlanks(p, t, e)
            guard let (value, end) = timestamp(p, j, e), end < e, p[end] == COLON else { return false }
            ts = value
            t = end
        }
        if description.flagColumns == nil { description.flagColumns = flags.columns }
        var b = t + 1
        while b < e && p[b] == SP { b += 1 }
        let comm = internComm(p + commStart, commEnd - commStart, pid: pid, available: e - commStart)
        return body(p, lineStart: lineStart, b, e, ts: ts, cpu: cpu, pid: pid, tgid: tgid, comm: comm, flags: flags)
    }

    /// Everything after `timestamp: `. Shared by plain event lines and function_graph comments.
    private mutating func body(_ p: UnsafePointer<UInt8>, lineStart: Int, _ b: Int, _ e: Int, ts: Int64, cpu: Int32,
                               pid: Int32, tgid: Int32, comm: Symbol, flags: LatencyFlags) -> Bool {
        guard b < e else { return false }
        if p[b] == LT && stackMarker(p, b, e, cpu: cpu, pid: pid, ts: ts, lineStart: lineStart, comm: comm,
                                      flags: flags) {
            return true
        }
        let n = nameEnd(p, b, e)
        guard n > b else { return false }
        var kind = EventKind.tracepoint
        var name: Symbol
        var payloadStart: Int
        if n == e {
            // A bare function name: function tracer with func-parent off.
            kind = .function
            name = Well.function.symbol
            payloadStart = b
        } else if p[n] == COLON {
            name = internName(p + b, n - b, available: e - b)
            payloadStart = n + 1
            while payloadStart < e && p[payloadStart] == SP { payloadStart += 1 }
            if name.rawValue <= Well.legacyMarker.rawValue {
                kind = .marker
            } else if payloadStart < e && p[payloadStart] == LPAREN {
                kind = Self.probeKind(p, payloadStart, e)
            } else if name == Well.funcgraphEntry.symbol {
                kind = p[e - 1] == UInt8(ascii: "{") ? .functionGraphEntry : .functionGraphLeaf
            } else if name == Well.funcgraphExit.symbol {
                kind = .functionGraphExit
            } else if name == Well.kernelStackEvent.symbol || name == Well.userStackEvent.symbol {
                if stackMarker(p, payloadStart, e, cpu: cpu, pid: pid, ts: ts, lineStart: lineStart, comm: comm,
                               flags: flags, user: name == Well.userStackEvent.symbol) { return true }
            }
        } else if p[n] == LPAREN {
            // `sys_clone(clone_flags: 1200011, ...)`
            kind = .syscallEntry
            name = interner.intern(p + b, n - b)
            payloadStart = n
        } else {
            var a = n
            while a < e && p[a] == SP { a += 1 }
            if a + 1 < e && p[a] == LT && p[a + 1] == DASH {
                kind = .function
                name = Well.function.symbol
                payloadStart = b
            } else if a + 1 < e && p[a] == DASH && p[a + 1] == GT {
                kind = .syscallExit
                name = interner.intern(p + b, n - b)
                payloadStart = a
            } else {
                return false
            }
        }
        var pe = e
        while pe > payloadStart && p[pe - 1] == SP { pe -= 1 }
        events.append(Event(timestamp: ts, lineNumber: lineNumber, byteOffset: chunkOffset + Int64(lineStart),
                            cpu: cpu, pid: pid, tgid: tgid, comm: comm, name: name, kind: kind, flags: flags,
                            payload: ByteSpan(start: payloadStart, count: pe - payloadStart), buffer: lineBuffer))
        counts.eventLines += 1
        if ts != Event.unknownTimestamp { lastTimestamp = ts }
        openMarker = kind == .marker ? events.count - 1 : nil
        return true
    }

    /// kprobe `(sym+0x0/0x2a0)`, kretprobe `(caller+0x83/0x130 <- sym)` or trace-cmd's `(addr <- addr)`,
    /// uprobe `(0x48db60)`. Anything else starting with `(` stays a tracepoint.
    static func probeKind(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> EventKind {
        guard let close = memchr(p + s + 1, Int32(RPAREN), e - s - 1) else { return .tracepoint }
        let k = UnsafePointer<UInt8>(close.assumingMemoryBound(to: UInt8.self)) - p
        guard k > s + 1 else { return .tracepoint }
        let inner = UnsafeRawBufferPointer(start: p + s + 1, count: k - s - 1)
        if let lt = memchr(inner.baseAddress!, Int32(LT), inner.count),
           UnsafeRawPointer(lt) - inner.baseAddress! + 1 < inner.count,
           inner[UnsafeRawPointer(lt) - inner.baseAddress! + 1] == DASH {
            return .kretprobe
        }
        if memchr(inner.baseAddress!, Int32(UInt8(ascii: "+")), inner.count) != nil { return .kprobe }
        guard inner.allSatisfy({ LatencyFlags.hexValue($0) != nil || $0 == UInt8(ascii: "x") }) else { return .tracepoint }
        // A user-space address is a uprobe; a kernel one is a kprobe that trace-cmd printed without its symbol.
        if let v = PayloadFields.parseHex(inner), v >= 0xffff_0000_0000_0000 { return .kprobe }
        return .uprobe
    }

    // MARK: stacks

    private mutating func stackMarker(_ p: UnsafePointer<UInt8>, _ b: Int, _ e: Int, cpu: Int32, pid: Int32,
                                      ts: Int64, lineStart: Int, comm: Symbol, flags: LatencyFlags,
                                      user: Bool? = nil) -> Bool {
        let text = UnsafeRawBufferPointer(start: p + b, count: e - b)
        let isUser: Bool
        if text.starts(with: "<stack trace".utf8) { isUser = user ?? false }
        else if text.starts(with: "<user stack trace".utf8) { isUser = true }
        else { return false }
        counts.stackLines += 1
        // The owner is the event just before on the same CPU: the kernel writes the stack right after the event
        // into the same per-CPU buffer, in the same context. When that event belongs to another task or context,
        // the stack's own event was dropped by a filter (the stack is recorded anyway): the block is an orphan.
        let marker = Event(timestamp: ts, lineNumber: lineNumber, byteOffset: chunkOffset + Int64(lineStart),
                           cpu: cpu, pid: pid, comm: comm, name: Well.stackTrace.symbol, kind: .orphanStack,
                           flags: flags, payload: .empty, buffer: lineBuffer)
        var owner = -1
        var k = events.count - 1
        while k >= 0 && events.count - k <= 64 {
            let o = events[k]
            if o.cpu == cpu && o.buffer == lineBuffer {
                if o.pid == pid && o.kind != .orphanStack && Self.sameContext(o.flags, flags) { owner = k }
                break
            }
            k -= 1
        }
        openStack = OpenStack(event: owner, user: isUser, marker: marker)
        openMarker = nil
        return true
    }

    static func sameContext(_ a: LatencyFlags, _ b: LatencyFlags) -> Bool {
        guard a.columns > 0 && b.columns > 0 else { return true }
        let ctx = LatencyFlags.hardirq.rawValue | LatencyFlags.softirq.rawValue | LatencyFlags.nmi.rawValue
        return a.rawValue & ctx == b.rawValue & ctx
    }

    /// Ends a stack block: checks that its first frames fit the owner (`trace_event_raw_event_<name>` for a
    /// tracepoint, `kprobe_trace_func` / `kretprobe_trace_func` for probes), else keeps it as an orphan.
    private mutating func closeStack(_ p: UnsafePointer<UInt8>) {
        guard let open = openStack else { return }
        openStack = nil
        var span = open.marker.kernelStack
        if open.event >= 0 {
            span = open.user ? events[open.event].userStack : events[open.event].kernelStack
            if open.user || fits(p, span, events[open.event]) { return }
            if open.user { events[open.event].userStack = .empty } else { events[open.event].kernelStack = .empty }
        }
        var orphan = open.marker
        if open.user { orphan.userStack = span } else { orphan.kernelStack = span }
        // The orphan takes its place in line order: after the events already parsed before its marker line.
        var at = events.count
        while at > 0 && events[at - 1].lineNumber > orphan.lineNumber { at -= 1 }
        events.insert(orphan, at: at)
    }

    private func fits(_ p: UnsafePointer<UInt8>, _ span: ByteSpan, _ owner: Event) -> Bool {
        guard !span.isEmpty else { return true }
        // First frame: after "=> " up to the end of the line.
        var a = Int(span.start) + 2
        while a < span.end && p[a] == SP { a += 1 }
        var z = a
        while z < span.end && p[z] != NL && p[z] != CR && p[z] != SP { z += 1 }
        let frame = UnsafeRawBufferPointer(start: p + a, count: z - a)
        if frame.starts(with: "trace_event_raw_event_".utf8) {
            guard owner.kind == .tracepoint || owner.kind == .marker else { return false }
            let name = interner.table[owner.name]
            return frame.dropFirst(22).elementsEqual(name.utf8)
        }
        if frame.elementsEqual("kprobe_trace_func".utf8) { return owner.kind == .kprobe }
        if frame.elementsEqual("kretprobe_trace_func".utf8) { return owner.kind == .kretprobe }
        return true
    }

    private mutating func stackFrame(_ p: UnsafePointer<UInt8>, _ s: Int, _ j: Int, _ e: Int) {
        guard var open = openStack else {
            fail(p, s, e, "stack frame line without a preceding <stack trace> line")
            return
        }
        counts.stackLines += 1
        func extend(_ span: inout ByteSpan) {
            if span.isEmpty { span = ByteSpan(start: j, count: e - j) } else { span.count = UInt32(e - Int(span.start)) }
        }
        if open.event < 0 {
            extend(&open.marker.kernelStack)
            openStack = open
        } else if open.user {
            extend(&events[open.event].userStack)
        } else {
            extend(&events[open.event].kernelStack)
        }
    }

    // MARK: function_graph

    /// ` 0)   0.198 us    |  func();`, with optional `abstime |` before and `comm-pid |` / flags after the CPU,
    /// the context-switch banners and separators, and events printed as `/* name: payload */` comments.
    private mutating func graphLine(_ p: UnsafePointer<UInt8>, _ lineStart: Int, _ s: Int, _ e: Int) -> Bool {
        var j = s
        if p[j] == DASH {
            var k = j
            while k < e && p[k] == DASH { k += 1 }
            if k - j >= 10 && k == e { counts.bannerLines += 1; sawGraph = true; return true }
            return false
        }
        var ts = Event.unknownTimestamp
        // optional absolute time column
        var k = j
        while k < e && (isDigit(p[k]) || p[k] == DOT) { k += 1 }
        if k > j, k < e, p[k] == SP {
            var a = k
            while a < e && p[a] == SP { a += 1 }
            if a < e && p[a] == BAR {
                guard let (t, end) = timestamp(p, j, k), end == k else { return false }
                ts = t
                j = a + 1
                while j < e && p[j] == SP { j += 1 }
            }
        }
        // CPU `N)`
        var cpu: Int32 = 0
        k = j
        while k < e && isDigit(p[k]) { cpu = cpu &* 10 &+ Int32(p[k] &- ZERO); k += 1 }
        guard k > j, k < e, p[k] == RPAREN else { return false }
        j = k + 1
        var pid = Event.unknownPID
        var comm = Well.unknownComm.symbol
        if let task = graphTask[cpu] { pid = task.pid; comm = task.comm }
        var flags = LatencyFlags.none
        // Columns up to the duration column's `|`.
        var bodyStart = -1
        var segments = 0
        while segments < 4 {
            guard let bar = memchr(p + j, Int32(BAR), e - j) else { break }
            let barAt = UnsafePointer<UInt8>(bar.assumingMemoryBound(to: UInt8.self)) - p
            var a = j, z = barAt
            while a < z && isBlank(p[a]) { a += 1 }
            while z > a && isBlank(p[z - 1]) { z -= 1 }
            segments += 1
            j = barAt + 1
            if a == z || Self.isDuration(p, a, z) { bodyStart = barAt + 1; break }
            if let f = decodeFlags(p + a, z - a, available: e - a) { flags = f; continue }
            if let (c, pd) = taskColumn(p, a, z) { comm = c; pid = pd; continue }
            return false
        }
        guard bodyStart >= 0 else {
            // ` 1)   rcu_pre-15   =>    <idle>-0   `: a context switch on that CPU.
            return graphBanner(p, j, e, cpu: cpu)
        }
        sawGraph = true
        var b = bodyStart
        while b < e && p[b] == SP { b += 1 }
        guard b < e else { return false }
        var end = e
        while end > b && p[end - 1] == SP { end -= 1 }
        let text = UnsafeRawBufferPointer(start: p + b, count: end - b)
        if text.starts(with: "/*".utf8) {
            var ib = b + 2, ie = end
            if text.count >= 4 && p[end - 1] == UInt8(ascii: "/") && p[end - 2] == UInt8(ascii: "*") { ie = end - 2 }
            while ib < ie && p[ib] == SP { ib += 1 }
            while ie > ib && p[ie - 1] == SP { ie -= 1 }
            // An event printed inside the graph: `/* sched_waking: comm=... */`.
            var n = ib
            while n < ie && (p[n] == UInt8(ascii: "_") || isDigit(p[n]) || (p[n] >= UInt8(ascii: "a") && p[n] <= UInt8(ascii: "z"))) {
                n += 1
            }
            if n > ib && n < ie && p[n] == COLON,
               body(p, lineStart: lineStart, ib, ie, ts: ts, cpu: cpu, pid: pid, tgid: Event.unknownTGID, comm: comm,
                    flags: flags) {
                return true
            }
            // Free text: a trace_marker or trace_printk message.
            appendGraphEvent(ts: ts, cpu: cpu, pid: pid, comm: comm, name: Well.print.symbol, kind: .marker,
                             flags: flags, payload: ByteSpan(start: ib, count: ie - ib), lineStart: lineStart)
            return true
        }
        if text.starts(with: "==========>".utf8) || text.starts(with: "<==========".utf8) {
            counts.bannerLines += 1
            return true
        }
        let kind: EventKind
        if p[b] == UInt8(ascii: "}") { kind = .functionGraphExit }
        else if p[end - 1] == UInt8(ascii: "{") { kind = .functionGraphEntry }
        else if p[end - 1] == UInt8(ascii: ";") { kind = .functionGraphLeaf }
        else { return false }
        appendGraphEvent(ts: ts, cpu: cpu, pid: pid, comm: comm,
                         name: kind == .functionGraphExit ? Well.funcgraphExit.symbol : Well.funcgraphEntry.symbol,
                         kind: kind, flags: flags, payload: ByteSpan(start: b, count: end - b), lineStart: lineStart)
        return true
    }

    private mutating func appendGraphEvent(ts: Int64, cpu: Int32, pid: Int32, comm: Symbol, name: Symbol,
                                           kind: EventKind, flags: LatencyFlags, payload: ByteSpan, lineStart: Int) {
        events.append(Event(timestamp: ts, lineNumber: lineNumber, byteOffset: chunkOffset + Int64(lineStart),
                            cpu: cpu, pid: pid, comm: comm, name: name, kind: kind, flags: flags, payload: payload))
        counts.eventLines += 1
        if ts != Event.unknownTimestamp { lastTimestamp = ts }
        openMarker = nil
    }

    private mutating func graphBanner(_ p: UnsafePointer<UInt8>, _ j: Int, _ e: Int, cpu: Int32) -> Bool {
        let text = UnsafeRawBufferPointer(start: p + j, count: e - j)
        guard let arrow = Self.find(text, "=>") else { return false }
        var a = j + arrow + 2
        while a < e && p[a] == SP { a += 1 }
        var z = e
        while z > a && p[z - 1] == SP { z -= 1 }
        guard let (comm, pid) = taskColumn(p, a, z) else { return false }
        graphTask[cpu] = (pid, comm)
        counts.bannerLines += 1
        sawGraph = true
        return true
    }

    /// `comm-pid` (the comm may itself contain dashes: split at the last one).
    private mutating func taskColumn(_ p: UnsafePointer<UInt8>, _ a: Int, _ z: Int) -> (Symbol, Int32)? {
        var q = z - 1
        while q > a && isDigit(p[q]) { q -= 1 }
        guard q >= a, q < z - 1, p[q] == DASH, z - q <= 11 else { return nil }
        var pid: Int32 = 0
        for x in (q + 1)..<z { pid = pid &* 10 &+ Int32(p[x] &- ZERO) }
        return (interner.intern(p + a, q - a), pid)
    }

    /// `0.198 us`, `! 8147.120 us`, `+ 12.3 us`, `$ 1.2 s`-style duration cells.
    static func isDuration(_ p: UnsafePointer<UInt8>, _ a: Int, _ z: Int) -> Bool {
        var k = a
        if k < z, "+!#*@$".utf8.contains(p[k]) { k += 1 }
        while k < z && p[k] == SP { k += 1 }
        let numStart = k
        while k < z && (isDigit(p[k]) || p[k] == DOT) { k += 1 }
        guard k > numStart else { return k == z }
        while k < z && p[k] == SP { k += 1 }
        let unit = UnsafeRawBufferPointer(start: p + k, count: z - k)
        return unit.elementsEqual("us".utf8) || unit.elementsEqual("ms".utf8) || unit.elementsEqual("s".utf8)
            || unit.elementsEqual("ns".utf8)
    }

    // MARK: small pieces

    /// A task prints the same comm on every line: remember it per pid, so the interner (hash and compare) runs
    /// only when a pid's comm changes. Comms are at most 15 bytes (TASK_COMM_LEN), two words.
    private var commCache = [CommCacheEntry](repeating: CommCacheEntry(), count: 1024)
    private struct CommCacheEntry {
        var pid: Int32 = -2
        var count: Int32 = 0
        var w0: UInt64 = 0
        var w1: UInt64 = 0
        var symbol = Symbol(rawValue: 0)
    }

    @inline(__always)
    private mutating func internComm(_ p: UnsafePointer<UInt8>, _ n: Int, pid: Int32, available: Int) -> Symbol {
        guard let (w0, w1) = Self.words(p, n, available: available) else { return interner.intern(p, n) }
        let slot = Int(pid & 1023)
        let c = commCache[slot]
        if c.pid == pid && c.count == Int32(n) && c.w0 == w0 && c.w1 == w1 { return c.symbol }
        let sym = interner.intern(p, n)
        commCache[slot] = CommCacheEntry(pid: pid, count: Int32(n), w0: w0, w1: w1, symbol: sym)
        return sym
    }

    /// The first `n` ≤ 16 bytes at `p` as two words, the rest zero. Loads whole words (no memcpy calls) when the
    /// line has 16 bytes from `p`, which it has for comms and event names but the shortest lines.
    @inline(__always)
    private static func words(_ p: UnsafePointer<UInt8>, _ n: Int, available: Int) -> (UInt64, UInt64)? {
        guard n <= 16 else { return nil }
        if available >= 16 {
            let raw = UnsafeRawPointer(p)
            var w0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            var w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if n < 8 { w0 &= (1 << UInt64(8 * n)) &- 1; w1 = 0 }
            else if n < 16 { w1 &= (1 << UInt64(8 * (n - 8))) &- 1 }
            return (w0, w1)
        }
        var w0: UInt64 = 0, w1: UInt64 = 0
        for x in 0..<n {
            if x < 8 { w0 |= UInt64(p[x]) << UInt64(8 * x) } else { w1 |= UInt64(p[x]) << UInt64(8 * (x - 8)) }
        }
        return (w0, w1)
    }

    /// Event names: a handful of distinct names on millions of lines, so a direct-mapped cache on the name's bytes
    /// spares the interner's hashing per event.
    private var nameCache = [NameCacheEntry](repeating: NameCacheEntry(), count: 64)
    private struct NameCacheEntry {
        var count: Int32 = -1
        var w0: UInt64 = 0
        var w1: UInt64 = 0
        var symbol = Symbol(rawValue: 0)
    }

    @inline(__always)
    private mutating func internName(_ p: UnsafePointer<UInt8>, _ n: Int, available: Int) -> Symbol {
        guard let (w0, w1) = Self.words(p, n, available: available) else { return interner.intern(p, n) }
        let slot = Int(truncatingIfNeeded: ((w0 ^ (w1 &* 0x9E37_79B9_7F4A_7C15)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        let c = nameCache[slot]
        if c.count == Int32(n) && c.w0 == w0 && c.w1 == w1 { return c.symbol }
        let sym = interner.intern(p, n)
        nameCache[slot] = NameCacheEntry(count: Int32(n), w0: w0, w1: w1, symbol: sym)
        return sym
    }

    /// Flag columns repeat (`d..2.`, `.....`): a small direct-mapped cache keyed on the packed bytes avoids
    /// re-decoding them on every line.
    private var flagCacheKeys = [UInt64](repeating: .max, count: 64)
    private var flagCacheValues = [LatencyFlags](repeating: .none, count: 64)

    private mutating func decodeFlags(_ p: UnsafePointer<UInt8>, _ n: Int, available: Int) -> LatencyFlags? {
        guard n >= 4 && n <= 7 else { return nil }
        // The length in the top byte, the n ≤ 7 bytes below: one key per column text (never `.max`, the empty slot).
        var key: UInt64
        if available >= 8 {
            key = UInt64(n) << 56 | (word(p, 0) & ((1 << UInt64(8 * n)) &- 1))
        } else {
            key = UInt64(n) << 56
            for x in 0..<n { key |= UInt64(p[x]) << UInt64(8 * x) }
        }
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 58)
        if flagCacheKeys[slot] == key { return flagCacheValues[slot] }
        guard let f = LatencyFlags.decode(UnsafeRawBufferPointer(start: p, count: n)) else { return nil }
        flagCacheKeys[slot] = key
        flagCacheValues[slot] = f
        return f
    }

    /// `1212.465074` (µs), `683201.375000000` (ns, `trace-cmd report -t`) or a counter clock's integer, read
    /// from `s`; returns the value in ns and where the number ended.
    @inline(__always)
    private mutating func timestamp(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> (Int64, Int)? {
        var k = s
        var sec: Int64 = 0
        // Seconds of a trace clock have fewer than eight digits but on machines up for years: a word's worth
        // first, the byte loop for the rest (and near the line's end).
        var fast = false
        if s + 8 <= e {
            let (c, v) = leadingDigits(p, s)
            if c < 8 { sec = v; k = s + c; fast = true }
        }
        if !fast {
            while k < e && isDigit(p[k]) {
                sec = sec &* 10 &+ Int64(p[k] &- ZERO)
                k += 1
            }
        }
        guard k > s, k - s <= 18, k < e else { return nil }
        if p[k] != DOT {
            description.clock = .counter
            return (sec, k)
        }
        k += 1
        let fracStart = k
        var frac: Int64 = 0
        var fastFrac = false
        if k + 8 <= e {
            let (c, v) = leadingDigits(p, k)
            if c < 8 { frac = v; k += c; fastFrac = true }
        }
        if !fastFrac {
            while k < e && isDigit(p[k]) && k - fracStart < 9 {
                frac = frac &* 10 &+ Int64(p[k] &- ZERO)
                k += 1
            }
        }
        let digits = k - fracStart
        guard digits > 0 else { return nil }
        if digits != lastDigits {
            lastDigits = digits
            if description.timestampDigits == nil { description.timestampDigits = digits }
        }
        frac = frac &* Self.pow10[9 - digits]
        return (sec &* 1_000_000_000 &+ frac, k)
    }

    private var lastDigits = 0
    private static let pow10: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

    /// First occurrence of `needle` (ASCII) in `text`. memchr for the first byte, then compare: the needles
    /// are short and only header and rare lines are searched.
    static func find(_ text: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard n > 0, text.count >= n, let base = text.baseAddress else { return nil }
        let first = needle.utf8Start.pointee
        var k = 0
        while k <= text.count - n {
            guard let hit = memchr(base + k, Int32(first), text.count - n + 1 - k) else { return nil }
            let at = UnsafeRawPointer(hit) - base
            if memcmp(base + at, needle.utf8Start, n) == 0 { return at }
            k = at + 1
        }
        return nil
    }
}
