/// Lazy access to an event's payload fields, decoded straight from the bytes only when asked.
///
/// The kernel prints `key=value` pairs separated by spaces, but values may hold spaces (`comm=tmux: server`),
/// units (`runtime=100814 [ns]`), arrays (`load={24 19}`), quoted strings (`name="a b"`) and `=`
/// (`my_field=foo=bar`). Without the event's print fmt the boundaries are guessed the way the kernel's own
/// formats make safe: a value ends at the next space, except that braces, brackets and quotes group, a trailing
/// `[unit]` belongs to the value, and comm-like fields (which may contain spaces) run to the next ` key=`.
public struct PayloadFields: Sendable {
    public let storage: ByteStorage
    public let span: ByteSpan

    public init(storage: ByteStorage, span: ByteSpan) {
        self.storage = storage
        self.span = span
    }

    public var text: String { storage.string(span) }

    /// The value of `key` as text (trimmed, quotes kept), or nil when absent.
    public subscript(key: String) -> String? {
        guard let r = valueRange(key) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: storage.bytes(span)[r]), as: UTF8.self)
    }

    /// The value with surrounding double quotes removed (`comm="kthreadd"` → `kthreadd`).
    public func string(_ key: String) -> String? {
        guard var s = self[key] else { return nil }
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
        return s
    }

    /// An integer value: decimal, `-`decimal, or `0x` hex. A trailing unit (`100814 [ns]`) is ignored.
    public func int(_ key: String) -> Int64? {
        guard let r = valueRange(key) else { return nil }
        return PayloadFields.parseInteger(UnsafeRawBufferPointer(rebasing: storage.bytes(span)[r]))
    }

    /// A value printed in hex with or without `0x` (pointers, `%p`, `%08x` debug ids, flags).
    public func hex(_ key: String) -> UInt64? {
        guard let r = valueRange(key) else { return nil }
        return PayloadFields.parseHex(UnsafeRawBufferPointer(rebasing: storage.bytes(span)[r]))
    }

    /// Every `key=value` pair in order.
    public var pairs: [(key: String, value: String)] {
        let b = storage.bytes(span)
        var out: [(String, String)] = []
        var i = 0
        while let (k, v) = PayloadFields.nextPair(b, from: &i) {
            out.append((String(decoding: UnsafeRawBufferPointer(rebasing: b[k]), as: UTF8.self),
                        String(decoding: UnsafeRawBufferPointer(rebasing: b[v]), as: UTF8.self)))
        }
        return out
    }

    /// Whitespace-separated tokens, for positional payloads (`202,1 W 0 () 17039656 + 8 [supervise]`).
    public var positional: [String] {
        storage.bytes(span).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: - byte-level machinery

    /// The byte range (relative to the payload) of `key`'s value.
    public func valueRange(_ key: String) -> Range<Int>? {
        var key = key
        return key.withUTF8 { k in PayloadFields.valueRange(storage.bytes(span), key: UnsafeRawBufferPointer(k)) }
    }

    public static func valueRange(_ b: UnsafeRawBufferPointer, key k: UnsafeRawBufferPointer) -> Range<Int>? {
        let n = b.count, kn = k.count
        guard kn > 0, n > kn, let base = b.baseAddress, let kb = k.baseAddress else { return nil }
        let first = Int32(k[0])
        var from = 0
        // Candidates come from memchr on the key's first byte; only a candidate pays for the check that it
        // is a whole key (after a blank or `(`, followed by `=`) outside quotes and braces.
        while from + kn < n, let hit = memchr(base + from, first, n - kn - from) {
            let i = UnsafeRawPointer(hit) - base
            from = i + 1
            guard i == 0 || b[i - 1] == UInt8(ascii: " ") || b[i - 1] == UInt8(ascii: "(") else { continue }
            guard b[i + kn] == UInt8(ascii: "="), memcmp(base + i, kb, kn) == 0 else { continue }
            guard !insideGroup(b, before: i) else { continue }
            let start = i + kn + 1
            return start..<valueEnd(b, start: start, greedy: isGreedyKey(k))
        }
        return nil
    }

    /// Whether position `i` lies inside a quoted string or a `{…}` / `[…]` group.
    static func insideGroup(_ b: UnsafeRawBufferPointer, before i: Int) -> Bool {
        // Most payloads have no quote or opening bracket before the key: three memchr calls say so without the
        // byte-by-byte walk (closing brackets alone never open a group).
        guard i > 0, let base = b.baseAddress else { return false }
        if memchr(base, Int32(UInt8(ascii: "\"")), i) == nil && memchr(base, Int32(UInt8(ascii: "{")), i) == nil
            && memchr(base, Int32(UInt8(ascii: "[")), i) == nil {
            return false
        }
        var depth = 0
        var quoted = false
        for j in 0..<i {
            let c = b[j]
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            else if !quoted && (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) { depth += 1 }
            else if !quoted && (c == UInt8(ascii: "}") || c == UInt8(ascii: "]")) { depth = max(0, depth - 1) }
        }
        return quoted || depth > 0
    }

    /// Comm-like values may contain spaces: they run to the next ` key=`.
    static func isGreedyKey(_ k: UnsafeRawBufferPointer) -> Bool {
        let n = k.count
        if n >= 4 && k[n - 4] == UInt8(ascii: "c") && k[n - 3] == UInt8(ascii: "o") && k[n - 2] == UInt8(ascii: "m")
            && k[n - 1] == UInt8(ascii: "m") { return true }
        return (n == 4 || n == 8) && k.elementsEqual(n == 4 ? "name".utf8 : "filename".utf8)
    }

    static func valueEnd(_ b: UnsafeRawBufferPointer, start: Int, greedy: Bool) -> Int {
        let n = b.count
        var j = start
        var depth = 0
        var quoted = false
        while j < n {
            let c = b[j]
            if c == UInt8(ascii: "\n") && !quoted { break }
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            else if !quoted && (c == UInt8(ascii: "{") || c == UInt8(ascii: "[") || c == UInt8(ascii: "(")) {
                depth += 1
            } else if !quoted && (c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == UInt8(ascii: ")")) {
                if depth == 0 { break }  // the `)` closing a kprobe's `(sym+off/size` prefix
                depth -= 1
            } else if c == UInt8(ascii: " ") && !quoted && depth == 0 {
                // ` [ns]`-style unit: part of the value.
                if j + 1 < n && b[j + 1] == UInt8(ascii: "[") && !greedy {
                    var k = j + 2
                    while k < n && b[k] != UInt8(ascii: "]") && b[k] != UInt8(ascii: " ") { k += 1 }
                    if k < n && b[k] == UInt8(ascii: "]") && k - j <= 8 { j = k + 1; continue }
                }
                if !greedy || startsKeyOrArrow(b, at: j + 1) { break }
            }
            j += 1
        }
        var end = j
        while end > start && (b[end - 1] == UInt8(ascii: " ") || b[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
        return end
    }

    /// True when `key=` or `==>` starts at `i`.
    static func startsKeyOrArrow(_ b: UnsafeRawBufferPointer, at i: Int) -> Bool {
        let n = b.count
        guard i < n else { return true }
        if b[i] == UInt8(ascii: "=") { return true }
        var j = i
        while j < n, isKeyByte(b[j]) { j += 1 }
        return j > i && j < n && b[j] == UInt8(ascii: "=")
    }

    @inline(__always) static func isKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }

    /// Finds the next `key=value` pair at or after `i`; advances `i` past it.
    static func nextPair(_ b: UnsafeRawBufferPointer, from i: inout Int) -> (Range<Int>, Range<Int>)? {
        let n = b.count
        while i < n {
            // a key starts at the payload start or after a space / `(`
            if i == 0 || b[i - 1] == UInt8(ascii: " ") {
                var j = i
                while j < n, isKeyByte(b[j]) { j += 1 }
                if j > i && j < n && b[j] == UInt8(ascii: "=") && !(j + 1 < n && b[j + 1] == UInt8(ascii: "=")) {
                    let key = i..<j
                    let end = valueEnd(b, start: j + 1, greedy: isGreedyKey(UnsafeRawBufferPointer(rebasing: b[key])))
                    i = max(end, j + 1)
                    return (key, (j + 1)..<end)
                }
            }
            // skip a quoted or bracketed run so that `name="a b=c"` does not yield `b`
            if b[i] == UInt8(ascii: "\"") {
                i += 1
                while i < n && b[i] != UInt8(ascii: "\"") { i += 1 }
            }
            i += 1
        }
        return nil
    }

    public static func parseInteger(_ v: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let n = v.count
        var negative = false
        if i < n && v[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        if i + 1 < n && v[i] == UInt8(ascii: "0") && (v[i + 1] == UInt8(ascii: "x") || v[i + 1] == UInt8(ascii: "X")) {
            guard let h = parseHex(UnsafeRawBufferPointer(rebasing: v[(i + 2)...])) else { return nil }
            let s = Int64(bitPattern: h)
            return negative ? -s : s
        }
        var value: Int64 = 0
        var digits = 0
        while i < n, v[i] >= UInt8(ascii: "0"), v[i] <= UInt8(ascii: "9") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(v[i] &- 48))
            if o1 || o2 { return nil }
            value = a
            i += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        // Anything after the number must be a unit or nothing.
        if i < n && v[i] != UInt8(ascii: " ") { return nil }
        return negative ? -value : value
    }

    public static func parseHex(_ v: UnsafeRawBufferPointer) -> UInt64? {
        var i = 0
        let n = v.count
        if n >= 2 && v[0] == UInt8(ascii: "0") && (v[1] == UInt8(ascii: "x") || v[1] == UInt8(ascii: "X")) { i = 2 }
        var value: UInt64 = 0
        var digits = 0
        while i < n {
            let c = v[i]
            let d: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(c - 55)
            default: return digits > 0 && (c == UInt8(ascii: " ") || c == UInt8(ascii: "[")) ? value : nil
            }
            guard digits < 16 else { return nil }
            value = value << 4 | d
            digits += 1
            i += 1
        }
        return digits > 0 ? value : nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
