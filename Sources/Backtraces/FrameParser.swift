/// Parses one cleaned line into a frame. Accepted shapes (innermost frame first in every format):
///
///     func+0x276/0x7a5                          x86_64 >= 4.x, also `[mod]`, `[mod buildid]`
///     ? func+0x10/0x10                          unreliable
///     [<ffffffffa01c3278>] ? func+0x38/0xd0 [fscache]   x86 < 4.x, i386, s390 (`([<..>] f+0x/0x)`)
///     func+0x6b/0x80 mm/vmalloc.c:3319          symbolized; `func mm/vmalloc.c:3246 [inline]`
///     [c000000049a87530] [c000000008068dfc] .f+0x27c/0x390 (unreliable)    ppc64
///     [<c0912bd0>] (__schedule) from [<c0913274>] (schedule+0x78/0xf4)     arm32
///     RIP: 0010:func+0xe/0x30, RIP: 0010:[<addr>]  [<addr>] func+0xe/0x30, pc : f+0x18/0xb8, PC is at f+0x584/0x72c,
///     NIP [c0000000] f+0x27c/0x390, EIP: [<f88dec25>] f+0x..., epc : f+0x72/0xb2       the faulting function
///     #4 [ffff881ff43efd08] f at ffffffffa04f2e8f [fscache]    `crash` bt (see CrashBTParser)
enum FrameParser {
    /// Returns the frame and whether it came from an instruction-pointer line (`RIP:` and friends).
    static func parse(_ line: String, lineIndex: Int) -> (Frame, isIP: Bool)? {
        let b = Array(line.utf8)
        var i = 0
        while i < b.count && (b[i] == 0x20 || b[i] == 0x09) { i += 1 }
        guard i < b.count else { return nil }
        var isIP = false
        // Instruction pointer lines (their prefixes start with one of "REINPpeK"; a frame line rarely does).
        for p in ipPrefixes where ipFirstByte[Int(b[i])] && hasPrefix(b, i, p) {
            isIP = true
            i += p.count
            // "0010:" segment
            var j = i
            while j < b.count && b[j] == 0x20 { j += 1 }
            var k = j
            while k < b.count && b[k].isHexDigit { k += 1 }
            if k < b.count && b[k] == 0x3A && k > j && k - j <= 4 { i = k + 1 } else { i = j }
            break
        }
        if !isIP && hasPrefix(b, i, lrPrefix) { return nil }
        // arm32 "[<pc>] (callee) from [<lr>] (caller+0x/0x)"
        if let f = parseArm(b, i, lineIndex) { return (f, isIP) }
        var reliable = true
        var address: UInt64?
        // Skip up to two bracketed addresses, "(" and "?".
        var guardCount = 0
        while i < b.count && guardCount < 6 {
            guardCount += 1
            if b[i] == 0x20 || b[i] == 0x28 { i += 1; continue }
            if b[i] == 0x3F && i + 1 < b.count && b[i + 1] == 0x20 { reliable = false; i += 2; continue }
            if b[i] == 0x5B {
                var j = i + 1
                if j < b.count && b[j] == 0x3C { j += 1 }
                if j + 1 < b.count && b[j] == 0x30 && b[j + 1] == 0x78 { j += 2 }
                let h0 = j
                while j < b.count && b[j].isHexDigit { j += 1 }
                if j < b.count && b[j] == 0x3E { j += 1 }
                if j > h0 && j < b.count && b[j] == 0x5D {
                    address = parseHex(b[h0..<j])  // all hex digits (scanned above)
                    i = j + 1
                    continue
                }
            }
            break
        }
        // function name
        let f0 = i
        if i < b.count && b[i] == 0x2E { i += 1 }  // ppc64 ELFv1 ".func"
        let n0 = i
        while i < b.count && isSymbolChar(b[i]) { i += 1 }
        guard i > n0 else { return nil }
        var name = String(decoding: b[n0..<i], as: UTF8.self)
        _ = f0
        var offset: UInt64?
        var size: UInt64?
        var inline = false
        var file: String?
        var lineNo: Int?
        if i < b.count && b[i] == 0x2B {
            // +0xOFF/0xSIZE
            var j = i + 1
            guard j + 1 < b.count, b[j] == 0x30, b[j + 1] == 0x78 else { return nil }
            j += 2
            let o0 = j
            while j < b.count && b[j].isHexDigit { j += 1 }
            guard j > o0 else { return nil }
            offset = parseHex(b[o0..<j])
            if j + 2 < b.count && b[j] == 0x2F && b[j + 1] == 0x30 && b[j + 2] == 0x78 {
                j += 3
                let s0 = j
                while j < b.count && b[j].isHexDigit { j += 1 }
                size = parseHex(b[s0..<j])
            } else if !isIP {
                return nil
            }
            i = j
        } else {
            // Without an offset only the symbolized inline shape "func path/file.c:123 [inline]" is a frame.
            guard !isIP, let (fl, ln, next) = parseFileLine(b, i), next <= b.count else { return nil }
            file = fl
            lineNo = ln
            i = next
            inline = hasPrefix(b, i, inlineTag)
            if !inline { return nil }
        }
        if name.hasSuffix(".") { name.removeLast() }
        var module: String?
        var buildID: String?
        // trailing " [mod]" / " [mod buildid]" / " file.c:123" / " (unreliable)"
        var rest = i
        while rest < b.count {
            while rest < b.count && b[rest] == 0x20 { rest += 1 }
            guard rest < b.count else { break }
            if b[rest] == 0x5B, let close = b[rest...].firstIndex(of: 0x5D) {
                let inner = String(decoding: b[(rest + 1)..<close], as: UTF8.self)
                if inner == "inline" { inline = true } else if module == nil && !inner.isEmpty {
                    let parts = inner.split(separator: " ")
                    if let m = parts.first, m.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                        module = String(m)
                        if parts.count > 1 { buildID = String(parts[1]) }
                    }
                }
                rest = close + 1
                continue
            }
            if hasPrefix(b, rest, unreliableTag) { reliable = false; break }
            if file == nil, let (fl, ln, next) = parseFileLine(b, rest) {
                file = fl
                lineNo = ln
                rest = next
                continue
            }
            break
        }
        let frame = Frame(function: name, address: address, reliable: reliable, offset: offset, size: size,
                          module: module, buildID: buildID, inline: inline, file: file, line: lineNo,
                          sourceLine: lineIndex)
        return (frame, isIP)
    }

    private static let ipPrefixes: [[UInt8]] = ["RIP:", "EIP:", "IP:", "NIP", "pc :", "PC is at", "epc :", "Krnl PSW"]
        .map { Array($0.utf8) }
    private static let ipFirstByte: [Bool] = (0..<256).map { (c: Int) in ipPrefixes.contains { Int($0[0]) == c } }
    private static let lrPrefix = Array("lr :".utf8)
    private static let inlineTag = Array(" [inline]".utf8)
    private static let unreliableTag = Array("(unreliable)".utf8)

    private static func parseArm(_ b: [UInt8], _ start: Int, _ lineIndex: Int) -> Frame? {
        // "[<c0912bd0>] (__schedule) from [<c0913274>] (schedule+0x78/0xf4)"
        guard start + 2 < b.count, b[start] == 0x5B, b[start + 1] == 0x3C else { return nil }
        guard let close = b[start...].firstIndex(of: 0x5D), close + 2 < b.count, b[close + 1] == 0x20,
              b[close + 2] == 0x28 else { return nil }
        var j = close + 3
        let n0 = j
        while j < b.count && isSymbolChar(b[j]) { j += 1 }
        guard j > n0, j < b.count, b[j] == 0x29 || b[j] == 0x2B else { return nil }
        guard hasSubstring(b, j, ") from ") || hasSubstring(b, j, "+") else { return nil }
        guard bytesIndex(b, Array(" from ".utf8), from: j) != nil else { return nil }
        let name = String(decoding: b[n0..<j], as: UTF8.self)
        let addr = parseHex(b[(start + 2)..<close].filter { $0.isHexDigit })
        return Frame(function: name, address: addr, sourceLine: lineIndex)
    }

    /// "path/to/file.c:123" starting at i (after optional spaces); returns file, line and the index after it.
    static func parseFileLine(_ b: [UInt8], _ start: Int) -> (String, Int, Int)? {
        var i = start
        while i < b.count && b[i] == 0x20 { i += 1 }
        let f0 = i
        while i < b.count && (isSymbolChar(b[i]) || b[i] == 0x2F || b[i] == 0x2D) { i += 1 }
        guard i > f0, i < b.count, b[i] == 0x3A else { return nil }
        let path = b[f0..<i]
        guard let dot = path.lastIndex(of: 0x2E), dot > f0, path.index(after: dot) < path.endIndex else { return nil }
        var j = i + 1
        let l0 = j
        while j < b.count && b[j].isDigit { j += 1 }
        guard j > l0 else { return nil }
        return (String(decoding: path, as: UTF8.self), Int(String(decoding: b[l0..<j], as: UTF8.self)) ?? 0, j)
    }

    @inline(__always) static func isSymbolChar(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c.isDigit || c == 0x5F || c == 0x2E || c == 0x24
    }

    static func hasPrefix(_ b: [UInt8], _ i: Int, _ p: [UInt8]) -> Bool {
        guard i + p.count <= b.count else { return false }
        for k in 0..<p.count where b[i + k] != p[k] { return false }
        return true
    }

    static func hasSubstring(_ b: [UInt8], _ i: Int, _ s: String) -> Bool { hasPrefix(b, i, Array(s.utf8)) }

    static func parseHex<C: Collection>(_ digits: C) -> UInt64? where C.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var v: UInt64 = 0
        for c in digits {
            let d: UInt64
            switch c {
            case 0x30...0x39: d = UInt64(c - 0x30)
            case 0x61...0x66: d = UInt64(c - 0x61 + 10)
            case 0x41...0x46: d = UInt64(c - 0x41 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }
}
