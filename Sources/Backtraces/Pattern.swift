import Foundation

/// A compiled regular expression (ICU dialect via NSRegularExpression) with the few operations the extractor needs.
/// Compiled once per table entry; NSRegularExpression is thread-safe for matching.
final class Pattern: @unchecked Sendable {
    let source: String
    private let re: NSRegularExpression

    init(_ source: String) throws {
        self.source = source
        self.re = try NSRegularExpression(pattern: source, options: [])
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
        for bad in ["\\b", "\\B", "\\A", "\\z", "\\Z", "\\G", "(?=", "(?!", "(?<"] where source.contains(bad) {
            return false
        }
        return true
    }

    enum WindowResult { case match(start: Int, end: Int, groups: [String?]), noMatch, unsure }

    /// A match starting exactly at `pos`, searched in `[pos, pos + window)` only (Foundation copies the whole search
    /// range for the regex engine, character by character). Exact when the engine did not touch the window's end
    /// (ICU's hitEnd) or the window reaches the end of `ns`; otherwise `.unsure`. For `boundsInsensitive` regexes.
    func anchoredMatch(in ns: NSString, _ s: String, at pos: Int, window: Int) -> WindowResult {
        let len = min(window, ns.length - pos)
        guard len >= 0 else { return .noMatch }
        let reachesEnd = pos + len == ns.length
        var found: NSTextCheckingResult?
        var hitEnd = false
        re.enumerateMatches(in: s, options: [.anchored, .reportCompletion], range: NSRange(location: pos, length: len)) {
            r, f, stop in
            if f.contains(.hitEnd) { hitEnd = true }
            if let r { found = r; stop.pointee = true }
        }
        if hitEnd && !reachesEnd { return .unsure }
        guard let m = found else { return .noMatch }
        var groups: [String?] = []
        if m.numberOfRanges > 1 {
            for i in 1..<m.numberOfRanges {
                let r = m.range(at: i)
                groups.append(r.location == NSNotFound ? nil : ns.substring(with: r))
            }
        }
        return .match(start: m.range.location, end: m.range.location + m.range.length, groups: groups)
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
        let ns = s as NSString
        return re.firstMatch(in: s, options: [], range: NSRange(location: 0, length: ns.length)) != nil
    }

    /// The first match in `ns`: its start offset (UTF-16) and its capture groups (nil when a group did not take part).
    func firstMatch(in ns: NSString, from: Int = 0) -> (start: Int, end: Int, groups: [String?])? {
        let from = min(max(from, 0), ns.length)
        guard let m = re.firstMatch(in: ns as String, options: [],
                                    range: NSRange(location: from, length: ns.length - from)) else {
            return nil
        }
        var groups: [String?] = []
        if m.numberOfRanges > 1 {
            for i in 1..<m.numberOfRanges {
                let r = m.range(at: i)
                groups.append(r.location == NSNotFound ? nil : ns.substring(with: r))
            }
        }
        return (m.range.location, m.range.location + m.range.length, groups)
    }

    func firstMatch(_ s: String) -> (start: Int, end: Int, groups: [String?])? {
        firstMatch(in: s as NSString)
    }

    /// Go's ReplaceAllString with `${1}`-style references, converted to NSRegularExpression templates.
    func replaceAll(_ s: String, template: String) -> String {
        let ns = s as NSString
        return re.stringByReplacingMatches(in: s, options: [], range: NSRange(location: 0, length: ns.length),
                                           withTemplate: template)
    }
}

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
    let first = needle[0]
    var i = 0
    let last = h - n
    while i <= last {
        if hay[i] == first {
            var j = 1
            while j < n && hay[i + j] == needle[j] { j += 1 }
            if j == n { return true }
        }
        i += 1
    }
    return false
    #endif
}

@inline(__always)
func bytesIndex(_ hay: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
    let n = needle.count, h = hay.count
    if n == 0 { return from }
    if n > h { return nil }
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
    let first = Int32(needle.load(as: UInt8.self))
    let second = n > 1 ? needle.load(fromByteOffset: 1, as: UInt8.self) : 0
    var i = 0
    let last = h - n
    while i <= last {
        guard let p = memchr(hay + i, first, last - i + 1) else { return false }
        let at = hay.distance(to: UnsafeRawPointer(p))
        if n == 1 || (hay.load(fromByteOffset: at + 1, as: UInt8.self) == second && memcmp(hay + at, needle, n) == 0) {
            return true
        }
        i = at + 1
    }
    return false
}
#endif
