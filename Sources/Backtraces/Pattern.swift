import Foundation
#if canImport(_FoundationICU)
import _FoundationICU
#endif

/// Text as UTF-16 code units, the form the regex engine reads: built once per report and searched by every title
/// regex without a copy. Offsets are UTF-16 offsets, as NSString's were.
struct UTF16Text {
    let units: [UInt16]
    var count: Int { units.count }

    init(_ units: [UInt16]) { self.units = units }
    init(_ s: String) { self.units = UTF16Text.encode(s) }

    /// The units of `s`; an ASCII string is widened byte by byte (no trip through the UTF-16 view).
    static func encode(_ s: String) -> [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(s.utf8.count)
        append(s, to: &out)
        return out
    }

    /// Appends the units of `s`. The caller reserves capacity (an exact reserve per call would defeat the array's
    /// geometric growth).
    static func append(_ s: String, to out: inout [UInt16]) {
        let ascii: Bool? = s.utf8.withContiguousStorageIfAvailable { b in
            for c in b where c >= 0x80 { return false }
            for c in b { out.append(UInt16(truncatingIfNeeded: c)) }
            return true
        }
        if ascii != true { out.append(contentsOf: s.utf16) }
    }

    func substring(_ r: Range<Int>) -> String { String(decoding: units[r], as: UTF16.self) }

    /// Offset of the first occurrence of `needle` (unit by unit, like NSString's literal `range(of:)`).
    func firstIndex(of needle: [UInt16]) -> Int? {
        let n = needle.count, h = units.count
        guard n > 0, n <= h else { return n == 0 ? 0 : nil }
        var i = 0
        while i <= h - n {
            if units[i] == needle[0] {
                var j = 1
                while j < n && units[i + j] == needle[j] { j += 1 }
                if j == n { return i }
            }
            i += 1
        }
        return nil
    }
}

/// A compiled regular expression (ICU dialect) with the few operations the extractor needs. Compiled once per
/// table entry and shared by all threads.
///
/// On Linux the regex runs on the toolchain's own ICU (`_FoundationICU`, the library NSRegularExpression itself
/// calls) directly over a UTF-16 buffer the caller owns: NSRegularExpression copies each search range to UTF-16
/// character by character through Swift's string bridge, which cost more than the matching. The semantics are
/// Foundation's: the engine sees the searched range as the whole input (`^` matches at its start, lookbehind
/// does not see before it), the same flags (none), the same engine. Elsewhere NSRegularExpression is used.
final class Pattern: @unchecked Sendable {
    let source: String
    private let engine: Engine
    /// For `replaceAll` only (title canonicalisation): its template syntax is NSRegularExpression's.
    private let replacer: NSRegularExpression?

    struct PatternError: Error, CustomStringConvertible {
        var pattern: String
        var description: String { "invalid regular expression: \(pattern)" }
    }

    init(_ source: String, replacing: Bool = false) throws {
        self.source = source
        self.engine = try Engine(source)
        self.replacer = replacing ? try NSRegularExpression(pattern: source, options: []) : nil
        self.boundsInsensitive = Self.isBoundsInsensitive(source)
    }

    /// True when the regex has no anchor, word boundary or lookaround: then where a search range starts and ends
    /// changes nothing but how far a match may extend, which ICU reports as `hitEnd` (see `anchoredMatch`).
    let boundsInsensitive: Bool

    private static func isBoundsInsensitive(_ source: String) -> Bool {
        let b = Array(source.utf8)
        for (i, c) in b.enumerated() {
            if c == 0x24 { return false }  // $
            // ^ other than a negated class's [^ (an escaped \[ before it is no class)
            if c == 0x5E && (i == 0 || b[i - 1] != 0x5B || (i >= 2 && b[i - 2] == 0x5C)) { return false }
        }
        for bad in ["\\b", "\\B", "\\A", "\\z", "\\Z", "\\G", "(?=", "(?!", "(?<"] where bytesContain(b, Array(bad.utf8)) {
            return false
        }
        return true
    }

    /// Compiles the regex now (normally that happens on first use); throws when it is invalid.
    func compile() throws { try engine.compile() }

    enum WindowResult { case match(start: Int, end: Int, groups: [String?]), noMatch, unsure }

    /// A match starting exactly at `pos`, the engine seeing `[pos, pos + window)` only. Exact when the engine did
    /// not touch the window's end (ICU's hitEnd) or the window reaches the end of the text; otherwise `.unsure`.
    /// For `boundsInsensitive` regexes.
    func anchoredMatch(in text: UTF16Text, at pos: Int, window: Int) -> WindowResult {
        let len = min(window, text.count - pos)
        guard len >= 0 else { return .noMatch }
        let reachesEnd = pos + len == text.count
        let (m, hitEnd) = text.units.withUnsafeBufferPointer { engine.lookingAt($0, pos, pos + len) }
        if hitEnd && !reachesEnd { return .unsure }
        guard let m else { return .noMatch }
        return .match(start: pos + m.start, end: pos + m.end, groups: groups(m, text, offset: pos))
    }

    private func groups(_ m: Engine.Match, _ text: UTF16Text, offset: Int) -> [String?] {
        m.groups.map { $0.map { text.substring(($0.lowerBound + offset)..<($0.upperBound + offset)) } }
    }

    private let cacheLock = NSLock()
    private var cache: [String: Bool] = [:]

    /// `matches`, memoised: for patterns tested against the same short strings again and again (function names
    /// against the skip list). The memo is bounded.
    func matchesCached(_ s: String) -> Bool {
        cacheLock.lock()
        if let v = cache[s] { cacheLock.unlock(); return v }
        cacheLock.unlock()
        let v = matches(s)
        cacheLock.lock()
        if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
        cache[s] = v
        cacheLock.unlock()
        return v
    }

    /// True when the pattern matches anywhere in `s`.
    func matches(_ s: String) -> Bool {
        let u = UTF16Text.encode(s)
        return u.withUnsafeBufferPointer { engine.find($0, 0, $0.count) } != nil
    }

    /// The first match in `text[from...]` (the engine seeing that range as its whole input): its start and end
    /// offsets (UTF-16) and its capture groups (nil when a group did not take part).
    func firstMatch(in text: UTF16Text, from: Int = 0) -> (start: Int, end: Int, groups: [String?])? {
        let from = min(max(from, 0), text.count)
        guard let m = text.units.withUnsafeBufferPointer({ engine.find($0, from, $0.count) }) else { return nil }
        return (from + m.start, from + m.end, groups(m, text, offset: from))
    }

    func firstMatch(_ s: String) -> (start: Int, end: Int, groups: [String?])? {
        firstMatch(in: UTF16Text(s))
    }

    /// Go's ReplaceAllString with `${1}`-style references, converted to NSRegularExpression templates.
    func replaceAll(_ s: String, template: String) -> String {
        guard let re = replacer else { preconditionFailure("Pattern \(source) was not compiled for replacing") }
        let ns = s as NSString
        return re.stringByReplacingMatches(in: s, options: [], range: NSRange(location: 0, length: ns.length),
                                           withTemplate: template)
    }
}

#if canImport(_FoundationICU)
extension Pattern {
    /// ICU matchers over caller-owned UTF-16 text. A matcher holds the text it searches, so each search checks one
    /// out of a small pool (clones of the compiled pattern share its program) and returns it afterwards.
    final class Engine: @unchecked Sendable {
        struct Match {
            var start: Int
            var end: Int
            var groups: [Range<Int>?]
        }

        private let lock = NSLock()
        private var idle: [OpaquePointer] = []
        /// Compiled on first use: of the ~480 regexes in the table, a typical input runs a small part (the corpus
        /// benchmark about half), and compiling costs ~70k instructions each. `compile()` forces it (the tests do).
        private var proto: OpaquePointer?
        private var groupCount = 0
        private let pattern: [UInt16]
        /// ICU refuses a NULL text; an empty search gets this.
        nonisolated(unsafe) private static let empty: UnsafeMutablePointer<UInt16> = {
            let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
            p.initialize(to: 0)
            return p
        }()

        init(_ pattern: String) throws {
            self.pattern = Array(pattern.utf16)
        }

        deinit {
            for m in idle { swift_uregex_close(m) }
            if let proto { swift_uregex_close(proto) }
        }

        /// Compiles the pattern if that has not happened yet; throws when ICU refuses it.
        func compile() throws {
            lock.lock()
            defer { lock.unlock() }
            try compileLocked()
        }

        private func compileLocked() throws {
            guard proto == nil else { return }
            var err = U_ZERO_ERROR
            var pe = UParseError()
            guard let re = swift_uregex_open(pattern, Int32(pattern.count), 0, &pe, &err),
                  err.rawValue <= U_ZERO_ERROR.rawValue else {
                throw PatternError(pattern: String(decoding: pattern, as: UTF16.self))
            }
            proto = re
            groupCount = Int(swift_uregex_groupCount(re, &err))
        }

        private func checkout() -> OpaquePointer {
            lock.lock()
            defer { lock.unlock() }
            if let m = idle.popLast() { return m }
            do { try compileLocked() } catch {
                fatalError("Backtraces: \(error) (the bundled tables are checked by FormatTableTests)")
            }
            var err = U_ZERO_ERROR
            guard let c = swift_uregex_clone(proto, &err), err.rawValue <= U_ZERO_ERROR.rawValue else {
                fatalError("ICU could not clone a compiled regex (out of memory?)")
            }
            return c
        }

        private func checkin(_ m: OpaquePointer) {
            lock.lock()
            idle.append(m)
            lock.unlock()
        }

        private func setText(_ m: OpaquePointer, _ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int) -> Bool {
            var err = U_ZERO_ERROR
            let base = to > from ? UnsafePointer(buf.baseAddress! + from) : UnsafePointer(Self.empty)
            swift_uregex_setText(m, base, Int32(to - from), &err)
            return err.rawValue <= U_ZERO_ERROR.rawValue
        }

        private func match(_ m: OpaquePointer) -> Match {
            var err = U_ZERO_ERROR
            var g: [Range<Int>?] = []
            if groupCount > 0 {
                g.reserveCapacity(groupCount)
                for i in 1...groupCount {
                    var e2 = U_ZERO_ERROR
                    let s = Int(swift_uregex_start(m, Int32(i), &e2)), e = Int(swift_uregex_end(m, Int32(i), &e2))
                    g.append(e2.rawValue <= U_ZERO_ERROR.rawValue && s >= 0 && e >= s ? s..<e : nil)
                }
            }
            return Match(start: Int(swift_uregex_start(m, 0, &err)), end: Int(swift_uregex_end(m, 0, &err)), groups: g)
        }

        /// The first match in `buf[from..<to]`, offsets relative to `from`.
        func find(_ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int) -> Match? {
            let m = checkout()
            defer { checkin(m) }
            guard setText(m, buf, from, to) else { return nil }
            var err = U_ZERO_ERROR
            guard swift_uregex_findNext(m, &err) != 0, err.rawValue <= U_ZERO_ERROR.rawValue else { return nil }
            return match(m)
        }

        /// A match at the start of `buf[from..<to]` (offsets relative to `from`), and whether the engine read up
        /// to the end of that range.
        func lookingAt(_ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int) -> (Match?, hitEnd: Bool) {
            let m = checkout()
            defer { checkin(m) }
            guard setText(m, buf, from, to) else { return (nil, true) }
            var err = U_ZERO_ERROR
            let found = swift_uregex_lookingAt(m, 0, &err) != 0 && err.rawValue <= U_ZERO_ERROR.rawValue
            let hitEnd = swift_uregex_hitEnd(m, &err) != 0
            return (found ? match(m) : nil, hitEnd)
        }
    }
}
#else
extension Pattern {
    /// NSRegularExpression over a copy of the searched range (platforms without the toolchain's ICU module).
    final class Engine: @unchecked Sendable {
        struct Match {
            var start: Int
            var end: Int
            var groups: [Range<Int>?]
        }
        private let re: NSRegularExpression
        init(_ pattern: String) throws { re = try NSRegularExpression(pattern: pattern, options: []) }
        func compile() throws {}

        private func run(_ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int,
                         _ options: NSRegularExpression.MatchingOptions) -> (Match?, Bool) {
            let s = String(decoding: UnsafeBufferPointer(rebasing: buf[from..<to]), as: UTF16.self)
            var found: Match?
            var hitEnd = false
            re.enumerateMatches(in: s, options: options.union(.reportCompletion),
                                range: NSRange(location: 0, length: (s as NSString).length)) { r, f, stop in
                if f.contains(.hitEnd) { hitEnd = true }
                guard let r else { return }
                var g: [Range<Int>?] = []
                if r.numberOfRanges > 1 {
                    for i in 1..<r.numberOfRanges {
                        let x = r.range(at: i)
                        g.append(x.location == NSNotFound ? nil : x.location..<(x.location + x.length))
                    }
                }
                found = Match(start: r.range.location, end: r.range.location + r.range.length, groups: g)
                stop.pointee = true
            }
            return (found, hitEnd)
        }
        func find(_ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int) -> Match? { run(buf, from, to, []).0 }
        func lookingAt(_ buf: UnsafeBufferPointer<UInt16>, _ from: Int, _ to: Int) -> (Match?, hitEnd: Bool) {
            run(buf, from, to, .anchored)
        }
    }
}
#endif

/// Byte-level substring search: the hot path (every input line against every report header) stays off Foundation.
@inline(__always)
func bytesContain(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    let n = needle.count, h = hay.count
    if n == 0 { return true }
    if n > h { return false }
    #if canImport(Glibc)
    return hay.withUnsafeBytes { hb in
        needle.withUnsafeBytes { nb in fastFind(hb.baseAddress!, h, nb.baseAddress!, n) }
    }
    #else
    return bytesIndex(hay, needle) != nil
    #endif
}

@inline(__always)
func bytesIndex(_ hay: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
    let n = needle.count, h = hay.count
    if n == 0 { return from }
    if n > h || from > h - n { return nil }
    #if canImport(Glibc)
    return hay.withUnsafeBytes { hb in
        needle.withUnsafeBytes { nb in
            fastIndex(hb.baseAddress! + from, h - from, nb.baseAddress!, n).map { $0 + from }
        }
    }
    #else
    var i = from
    while i <= h - n {
        if hay[i] == needle[0] {
            var j = 1
            while j < n && hay[i + j] == needle[j] { j += 1 }
            if j == n { return i }
        }
        i += 1
    }
    return nil
    #endif
}

/// Substring test on a String's UTF-8 storage without allocating (native Swift strings are contiguous).
@inline(__always)
func utf8Contains(_ s: String, _ needle: [UInt8]) -> Bool {
    if let r = s.utf8.withContiguousStorageIfAvailable({ buf -> Bool in
        let n = needle.count, h = buf.count
        if n == 0 { return true }
        if n > h { return false }
        #if canImport(Glibc)
        return needle.withUnsafeBytes { nb in fastFind(UnsafeRawPointer(buf.baseAddress!), h, nb.baseAddress!, n) }
        #else
        let first = needle[0]
        var i = 0
        while i <= h - n {
            if buf[i] == first {
                var j = 1
                while j < n && buf[i + j] == needle[j] { j += 1 }
                if j == n { return true }
            }
            i += 1
        }
        return false
        #endif
    }) {
        return r
    }
    return bytesContain(Array(s.utf8), needle)
}

#if canImport(Glibc)
import Glibc

/// memchr for the first byte, memcmp for the rest: libc's vectorised scans instead of a byte loop.
@inline(__always)
func fastFind(_ hay: UnsafeRawPointer, _ h: Int, _ needle: UnsafeRawPointer, _ n: Int) -> Bool {
    fastIndex(hay, h, needle, n) != nil
}

/// The offset of the first occurrence of the needle (n >= 1) in the h bytes at hay. memchr looks for the needle's
/// first byte that is not a space (a leading space would stop it at every word); occurrences come in order.
@inline(__always)
func fastIndex(_ hay: UnsafeRawPointer, _ h: Int, _ needle: UnsafeRawPointer, _ n: Int) -> Int? {
    guard n <= h else { return nil }
    var k = 0
    while k < n - 1 && needle.load(fromByteOffset: k, as: UInt8.self) == 0x20 { k += 1 }
    let anchor = Int32(needle.load(fromByteOffset: k, as: UInt8.self))
    var at = 0  // candidate start
    let last = h - n
    while at <= last {
        guard let p = memchr(hay + at + k, anchor, last - at + 1) else { return nil }
        let start = hay.distance(to: UnsafeRawPointer(p)) - k
        if memcmp(hay + start, needle, n) == 0 { return start }
        at = start + 1
    }
    return nil
}
#endif
