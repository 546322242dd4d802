/// One input line after prefix normalisation, as text and as bytes (the byte form feeds the substring scans).
struct InputLine: Sendable {
    var text: String
    var bytes: [UInt8]
    /// The printk context (see `ConsoleParser.extractContext`), and the line without its prefix, with
    /// questionable (`? `) marking, computed once.
    var context: String
    var stripped: String
    var questionable: Bool
    /// The first report family whose header this line carries (set by `ConsoleParser.annotate`).
    var family: Int?
    /// Which of `ConsoleParser.markerStrings` the line contains (bit k for string k; set by `ConsoleParser.annotate`).
    var markers: UInt64 = 0
    init(_ bytes: [UInt8]) { self.init(bytes, context: nil) }

    /// `context`: `ConsoleParser.extractContext(bytes)` when the caller already has it.
    init(_ bytes: [UInt8], context: (String, Int)?) {
        self.bytes = bytes
        self.text = String(decoding: bytes, as: UTF8.self)
        let (c, pe) = context ?? ConsoleParser.extractContext(bytes)
        self.context = c
        if c.isEmpty {
            self.stripped = text
            self.questionable = false
        } else {
            (self.stripped, self.questionable) = ConsoleParser.stripPrefix(bytes, prefixEnd: pe)
        }
    }
}

/// Limits that keep memory and time bounded on hostile input.
public struct ExtractionLimits: Sendable {
    /// Longer lines are cut (a kernel line is < 1 KiB; the rest is garbage or a paste accident).
    public var maxLineBytes = 4096
    /// Inputs with more lines are cut and the extraction is marked `truncated`.
    public var maxLines = 4_000_000
    public init() {}
}

/// Turns whatever the user pasted into console-shaped lines: removes mail quoting (`> `, `>> > `), syslog and
/// journal prefixes (`Jan  3 14:25:27 host kernel: `, `2024-01-07T00:23:50.178210+01:00 pve kernel: `),
/// `/dev/kmsg` records (`3,2903,86997972896,-;` becomes a `[   86.997972] ` timestamp) and trailing CRs.
/// The printk timestamp and caller id stay: the report parser uses them to tell contexts apart.
enum InputNormalizer {
    static func split(_ data: [UInt8], limits: ExtractionLimits) -> (lines: [InputLine], truncated: Bool) {
        var spans: [Range<Int>] = []
        var truncated = false
        var start = 0
        let n = data.count
        spans.reserveCapacity(min(n / 40 + 1, limits.maxLines))
        while start <= n {
            var end = start
            while end < n && data[end] != 0x0A { end += 1 }
            if start == n && end == n { break }
            if spans.count >= limits.maxLines { truncated = true; break }
            var e = end
            if e > start && data[e - 1] == 0x0D { e -= 1 }
            if e - start > limits.maxLineBytes { e = start + limits.maxLineBytes; truncated = true }
            spans.append(start..<e)
            start = end + 1
        }
        // Prefix removal and the printk context depend on the line alone: computed in parallel, order kept.
        let normalized = Parallel.map(spans, minimum: 4096, maxChunk: 512) { r -> ([UInt8], String, Int) in
            let line = normalize(data[r])
            let (ctx, prefixEnd) = ConsoleParser.extractContext(line)
            return (line, ctx, prefixEnd)
        }
        var raw: [([UInt8], (String, Int)?)] = []
        raw.reserveCapacity(normalized.count)
        // The last line with a printk prefix, and where its prefix ends (the prefix is copied only when a
        // continuation line needs it: this loop runs on one core).
        var prefixLine: [UInt8]?
        var prefixLineEnd = 0
        for (line, ctx, prefixEnd) in normalized {
            // A continuation line (printk text block, journal multi-line message): no timestamp of its own, indented.
            // It belongs to the previous line's context, so it gets that line's prefix.
            if !ctx.isEmpty {
                prefixLine = line
                prefixLineEnd = prefixEnd
            } else if let p = prefixLine, line.count > 8, line.prefix(8).allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                var prefix = Array(p[..<prefixLineEnd])
                if prefix.last != 0x20 { prefix.append(0x20) }
                let body = line.drop(while: { $0 == 0x20 || $0 == 0x09 })
                raw.append((prefix + Array(body), nil))  // a new prefix: its context is computed again
                continue
            } else if !line.isEmpty {
                prefixLine = nil
            }
            raw.append((line, (ctx, prefixEnd)))
        }
        // Decoding, context and prefix stripping depend on the line alone: done in parallel, order kept.
        var lines = Parallel.map(raw, minimum: 4096, maxChunk: 512) { InputLine($0.0, context: $0.1) }
        rejoinWrapped(&lines)
        return (lines, truncated)
    }

    /// Undoes what mail clients do to pasted crash output, keeping line numbers (the joined-in line becomes empty):
    /// quoted-printable soft breaks inside hex values (`RCX: 000000000000000=` + `0`), a crash frame wrapped after
    /// ` at` (`#7 [ffff..] f at` + `ffffffffb95359a6`) or before its module (`... at ffffffffc08bab8f` + `[bnxt_re]`).
    static func rejoinWrapped(_ lines: inout [InputLine]) {
        guard lines.count > 1 else { return }
        func trimmed(_ b: [UInt8]) -> ArraySlice<UInt8> {
            var s = b[...]
            while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
            while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
            return s
        }
        func isCrashFrameStart(_ t: ArraySlice<UInt8>) -> Bool {
            var t = t
            if t.first == 0x23 { t = t.dropFirst() }
            guard let f = t.first, f.isDigit else { return false }
            return bytesContain(Array(t.prefix(24)), [0x20, 0x5B])  // " ["
        }
        var i = 0
        while i < lines.count - 1 {
            let b = lines[i].bytes
            // Gate without allocating: every join below needs the line to end (spaces aside) in '=', 't' (" at") or
            // a hex digit followed by a line starting with '['.
            guard let last = b.last(where: { $0 != 0x20 && $0 != 0x09 }),
                  last == 0x3D || last == 0x74
                    || (last.isHexDigit && lines[i + 1].bytes.first(where: { $0 != 0x20 && $0 != 0x09 }) == 0x5B) else {
                i += 1
                continue
            }
            let next = trimmed(lines[i + 1].bytes)
            guard !b.isEmpty, !next.isEmpty else { i += 1; continue }
            let t = trimmed(b)
            var joined: [UInt8]?
            if t.count >= 2, t.last == 0x3D, t[t.index(before: t.endIndex) - 1].isHexDigit,
               next.count <= 16, next.allSatisfy(\.isHexDigit) {
                joined = Array(b[..<(b.lastIndex(of: 0x3D)!)]) + Array(next)
            } else if t.count > 3, t.suffix(3).elementsEqual([0x20, 0x61, 0x74]), isCrashFrameStart(t),
                      next.prefix(while: \.isHexDigit).count >= 8 {
                joined = Array(t) + [0x20] + Array(next)
            } else if next.first == 0x5B, next.last == 0x5D, next.count < 40, !next.contains(0x20), isCrashFrameStart(t),
                      bytesContain(Array(t), [0x20, 0x61, 0x74, 0x20]), t.last?.isHexDigit == true {
                joined = Array(t) + [0x20] + Array(next)
            }
            if let j = joined {
                lines[i] = InputLine(j)
                lines[i + 1] = InputLine([])
                i += 2
            } else {
                i += 1
            }
        }
    }

    private static let months: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                            "Nov", "Dec"].map { Array($0.utf8) }

    /// The line starts with a month abbreviation (syslog's short date), compared on bytes.
    @inline(__always)
    private static func startsWithMonth(_ b: ArraySlice<UInt8>) -> Bool {
        let i = b.startIndex
        let (c0, c1, c2) = (b[i], b[i + 1], b[i + 2])
        guard c0 >= 0x41 && c0 <= 0x53 else { return false }  // A...S: the first letters of the months
        return months.contains { $0[0] == c0 && $0[1] == c1 && $0[2] == c2 }
    }
    private static let kernelTag = Array(" kernel: ".utf8)
    private static let programTag = Array("]: ".utf8)

    static func normalize(_ line: [UInt8]) -> [UInt8] { normalize(line[...]) }

    static func normalize(_ line: ArraySlice<UInt8>) -> [UInt8] {
        var b = line
        // Mail quoting: any run of '>' (with spaces between) at line start.
        var i = b.startIndex
        var sawQuote = false
        while i < b.endIndex && (b[i] == 0x3E || (sawQuote && b[i] == 0x20)) {
            if b[i] == 0x3E { sawQuote = true }
            i += 1
        }
        if sawQuote {
            b = b[i...]
        }
        // Syslog / journal short form: "<Mon> <d> hh:mm:ss host kernel: " or "YYYY-MM-DDThh:mm:ss... host kernel: ".
        if b.count > 16 {
            let isoLike = b.count > 20 && b[b.startIndex + 4] == 0x2D && b[b.startIndex + 7] == 0x2D
                && b[b.startIndex].isDigit
            if isoLike || startsWithMonth(b) {
                let window = Array(b.prefix(120))
                if let k = bytesIndex(window, kernelTag) {
                    b = b[(b.startIndex + k + kernelTag.count)...]
                } else if bytesIndex(Array(window.prefix(80)), programTag) != nil {
                    // Another program's syslog line ("openvpn[1118]: WARNING: ..."): not kernel output.
                    return []
                }
            }
        }
        // /dev/kmsg: "prio,seq,usec,flags;text".
        if let first = b.first, first.isDigit, let semi = b.prefix(64).firstIndex(of: 0x3B) {
            let fields = b[b.startIndex..<semi].split(separator: 0x2C, omittingEmptySubsequences: false)
            if fields.count >= 4, fields[0].allSatisfy(\.isDigit), fields[1].allSatisfy(\.isDigit),
               fields[2].allSatisfy(\.isDigit), let usec = Int(String(decoding: fields[2], as: UTF8.self)) {
                var secs = String(usec / 1_000_000)
                while secs.count < 5 { secs = " " + secs }
                var frac = String(usec % 1_000_000)
                while frac.count < 6 { frac = "0" + frac }
                return Array("[\(secs).\(frac)] ".utf8) + Array(b[(semi + 1)...])
            }
        }
        return Array(b)
    }
}

extension UInt8 {
    @inline(__always) var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    @inline(__always) var isHexDigit: Bool {
        isDigit || (self >= 0x61 && self <= 0x66) || (self >= 0x41 && self <= 0x46)
    }
}
