import Foundation

/// Finds kernel reports in console text and gives each its canonical title, following syzkaller's `pkg/report`
/// (linux.go `Parse`/`findReport`, report.go `extractDescription`/`extractStackFrame`; Apache-2.0), driven by the
/// data in `FormatTable`. Lines reach it already normalised by `InputNormalizer` (syslog/journal/kmsg prefixes
/// and mail quoting removed), so the printk timestamp and caller id are the only prefixes left.
struct ConsoleParser {
    let table: FormatTable
    /// Finds the family headers (bits 0..<families) and the marker strings (the bits above) in one pass per line.
    private let scanner: HeaderScanner
    private let familyCount: Int

    init(table: FormatTable) {
        self.table = table
        self.familyCount = table.families.count
        self.scanner = HeaderScanner(table.families.map(\.headerBytes) + Self.markerStrings)
    }

    /// The fixed substrings the report scans test on every line, found once per line with the family headers
    /// (`InputLine.markers`, bit k = `markerStrings[k]`), instead of one substring search each time they are asked.
    static let markerStrings: [[UInt8]] = reportStartIgnores + infoMessagesWithStack
        + [disablingLockDebug, sendingNMI, panicNotSyncing, circularLockdep, replay]
    private static let ignoreBits: UInt64 = (1 << UInt64(reportStartIgnores.count)) - 1
    private static let infoBits: UInt64 = ((1 << UInt64(infoMessagesWithStack.count)) - 1) << UInt64(reportStartIgnores.count)
    private static func bit(_ k: Int) -> UInt64 { 1 << UInt64(reportStartIgnores.count + infoMessagesWithStack.count + k) }
    private static let disablingLockDebugBit = bit(0), sendingNMIBit = bit(1), panicNotSyncingBit = bit(2),
                       circularLockdepBit = bit(3), replayBit = bit(4)

    struct Result {
        var title: String
        var altTitles: [String]
        var corruptedReason: String?
        var startLine: Int
        /// The first line of the next report, when another one follows.
        var nextReportLine: Int?
        /// Cleaned report lines (prefix stripped) and the input line each came from.
        var lines: [String]
        var lineIndex: [Int]
        var context: String
    }

    static let contextConsole = "console"
    private static let eoi = Array("<EOI>".utf8)
    private static let replay = Array("** replaying previous printk message **".utf8)
    private static let reportStartIgnores: [[UInt8]] = ["invalid opcode: 0000", "Kernel panic - not syncing",
                                                         "unregister_netdevice: waiting for", "PANIC: double fault",
                                                         "Internal error:"].map { Array($0.utf8) }
    private static let infoMessagesWithStack: [[UInt8]] = ["vmalloc: allocation failure:",
                                                            "FAULT_INJECTION: forcing a failure",
                                                            "FAULT_FLAG_ALLOW_RETRY missing"].map { Array($0.utf8) }
    private static let disablingLockDebug = Array("Disabling lock debugging due to kernel taint".utf8)
    private static let sendingNMI = Array("Sending NMI from CPU".utf8)
    private static let panicNotSyncing = Array("Kernel panic - not syncing".utf8)
    private static let circularLockdep = Array("WARNING: possible circular locking dependency detected".utf8)
    private static let kmsanHeader = Array("BUG: KMSAN:".utf8)
    static let maxReportLines = 4000
    /// UTF-16 units a multi-line title match is first looked for in (see `extractDescription`).
    static let titleWindow = 1024

    // MARK: locating reports

    /// The first family (in table order) whose header the line contains and whose suppressions do not veto it, and
    /// the line's markers (see `markerStrings`).
    func familyAndMarkers(_ line: InputLine) -> (Int?, UInt64) {
        let all = scanner.contained(in: line.bytes)
        let markers = all >> UInt64(familyCount)
        var found = familyCount == 64 ? all : all & ((1 << UInt64(familyCount)) - 1)
        while found != 0 {
            let i = found.trailingZeroBitCount
            found &= found - 1
            let sup = table.families[i].suppressions
            if !sup.isEmpty && sup.contains(where: { $0.matches(line.text) }) { continue }
            return (i, markers)
        }
        return (nil, markers)
    }

    /// Marks each line with the report family its header belongs to: one pass, read by every later scan.
    func annotate(_ lines: inout [InputLine]) {
        for i in lines.indices where !lines[i].bytes.isEmpty {
            (lines[i].family, lines[i].markers) = familyAndMarkers(lines[i])
        }
    }

    /// `annotate`, with the lines shared out between the cores (the family of a line depends on that line only).
    func annotateInParallel(_ lines: inout [InputLine]) {
        let n = lines.count
        let pieces = Parallel.cores < 2 || n < 4096 ? 1 : Parallel.cores * 4
        if pieces == 1 { annotate(&lines); return }
        let size = (n + pieces - 1) / pieces
        let frozen = lines
        let families = Parallel.map(Array(0..<pieces), minimum: 2) { p -> [(Int?, UInt64)] in
            let lo = p * size, hi = min(n, lo + size)
            guard lo < hi else { return [] }
            return (lo..<hi).map {
                frozen[$0].bytes.isEmpty ? (nil, 0) : familyAndMarkers(frozen[$0])
            }
        }
        var i = 0
        for piece in families { for (f, m) in piece { lines[i].family = f; lines[i].markers = m; i += 1 } }
    }

    private func truncatedByReplay(_ lines: [InputLine], _ i: Int) -> Bool {
        i + 1 < lines.count && lines[i + 1].markers & Self.replayBit != 0
    }

    func findFirstOops(_ lines: [InputLine], from: Int) -> (family: Int, line: Int)? {
        var i = from
        while i < lines.count {
            if let f = lines[i].family, !truncatedByReplay(lines, i) { return (f, i) }
            i += 1
        }
        return nil
    }

    /// Where the parse of each report starts: the first report header, then, after each report, the line where the
    /// next report begins (the same rule `parse` uses to end a report). Lets reports be parsed independently.
    func reportStarts(_ lines: [InputLine]) -> [Int] {
        var froms: [Int] = []
        var from = 0
        while from < lines.count, let (_, start) = findFirstOops(lines, from: from) {
            froms.append(from)
            var next: Int?
            var i = start + 1
            while i < lines.count {
                let m = lines[i].markers
                if lines[i].family != nil && !truncatedByReplay(lines, i) {
                    if m & Self.ignoreBits == 0 { next = i; break }
                } else if lines[i].family == nil && m & Self.infoBits != 0 {
                    next = i
                    break
                }
                i += 1
            }
            guard let n = next else { break }
            from = n
        }
        return froms
    }

    /// `[  12.345678][ T123] ` -> context `[T123]`; a bare timestamp -> "console"; no timestamp -> "".
    /// Returns the context and the offset just past the prefix.
    static func extractContext(_ b: [UInt8]) -> (String, Int) {
        var i = 0
        let n = b.count
        // optional "** N printk messages dropped ** "
        if n > 3 && b[0] == 0x2A && b[1] == 0x2A && b[2] == 0x20 {
            if let e = bytesIndex(b, printkDropped) { i = e + 28 }
        }
        // optional ".* login: "
        if let l = bytesIndex(b, loginTag, from: i) { i = l + 8 }
        // optional "<N>"
        if i < n && b[i] == 0x3C {
            var j = i + 1
            while j < n && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
            if j < n && b[j] == 0x3E && j > i + 1 { i = j + 1 }
        }
        guard i < n && b[i] == 0x5B else { return ("", 0) }
        var j = i + 1
        while j < n && b[j] == 0x20 { j += 1 }
        let d0 = j
        while j < n && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
        guard j > d0, j < n, b[j] == 0x2E else { return ("", 0) }
        j += 1
        let f0 = j
        while j < n && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
        guard j > f0, j < n, b[j] == 0x5D else { return ("", 0) }
        j += 1
        // optional "[ T123]" / "[   C0]"
        if j < n && b[j] == 0x5B {
            var k = j + 1
            while k < n && b[k] == 0x20 { k += 1 }
            if k < n && (b[k] == 0x43 || b[k] == 0x54) {
                let kind = b[k]
                k += 1
                let n0 = k
                while k < n && b[k] >= 0x30 && b[k] <= 0x39 { k += 1 }
                if k > n0 && k < n && b[k] == 0x5D && k + 1 < n && b[k + 1] == 0x20 {
                    var ctx: [UInt8] = [0x5B, kind]
                    ctx.append(contentsOf: b[n0..<k])
                    ctx.append(0x5D)
                    return (String(decoding: ctx, as: UTF8.self), k + 2)
                }
            }
        }
        // "[  781.753030]" alone on a line (the text follows on an indented continuation line) is still console.
        if j == n { return (contextConsole, n) }
        guard b[j] == 0x20 else { return ("", 0) }
        return (contextConsole, j + 1)
    }

    private static let printkDropped = Array(" printk messages dropped ** ".utf8)
    private static let loginTag = Array(" login: ".utf8)
    private static let bracketSpace: [UInt8] = [0x5D, 0x20]
    private static let questionMark: [UInt8] = [0x20, 0x3F, 0x20]
    private static let unreliable = Array(" (unreliable)".utf8)

    /// syzkaller's stripLinePrefix: cut the timestamp/caller prefix; `? ` frames (x86) and `(unreliable)` (ppc)
    /// become questionable lines that the report body leaves out. Searches the line in place (no copies).
    static func stripPrefix(_ b: [UInt8], prefixEnd: Int) -> (String, Bool) {
        // Go: cut at the first "] " (the prefix end computed by extractContext is the same place in practice).
        var cut = prefixEnd
        if let p = bytesIndex(b, bracketSpace) { cut = p + 2 }
        let lo = min(cut, b.count)
        return b.withUnsafeBufferPointer { whole -> (String, Bool) in
            let rest = UnsafeBufferPointer(rebasing: whole[lo...])
            func index(_ needle: [UInt8]) -> Int? {
                guard needle.count <= rest.count, let base = rest.baseAddress else { return nil }
                #if canImport(Glibc)
                return needle.withUnsafeBytes { fastIndex(UnsafeRawPointer(base), rest.count, $0.baseAddress!, needle.count) }
                #else
                return bytesIndex(Array(rest), needle)
                #endif
            }
            if index(eoi) == nil {
                if let q = index(questionMark) {
                    return (String(decoding: UnsafeBufferPointer(rebasing: rest[(q + 2)...]), as: UTF8.self), true)
                }
                let u = unreliable.count
                if rest.count >= u && rest[(rest.count - u)...].elementsEqual(unreliable) {
                    return (String(decoding: UnsafeBufferPointer(rebasing: rest[..<(rest.count - u)]), as: UTF8.self), true)
                }
            }
            return (String(decoding: rest, as: UTF8.self), false)
        }
    }

    private static func isTaskContext(_ c: String) -> Bool { c.hasPrefix("[T") }
    private static func isCPUContext(_ c: String) -> Bool { c.hasPrefix("[C") }

    // MARK: one report

    func parse(_ lines: [InputLine], from: Int) -> Result? {
        guard let (famIdx, start) = findFirstOops(lines, from: from) else { return nil }
        let fam = table.families[famIdx]
        let context = lines[start].context
        let maxPrefix = Self.isTaskContext(context) ? 50 : 5
        var prefix: [(String, Int)] = []
        // Prefix: up to maxPrefix preceding lines of the same context (since the previous report).
        var p = start - 1
        while p >= from && prefix.count < maxPrefix {
            let c1 = lines[p].context, stripped = lines[p].stripped, q = lines[p].questionable
            if c1 == context && !stripped.isEmpty && !q { prefix.insert((stripped, p), at: 0) }
            p -= 1
        }
        var report: [String] = []
        var reportIdx: [Int] = []
        var reportEnd = 0
        var secondReport: Int?
        var textLines = 0
        var skipText = false, cpuTraceback = false
        let minLines = bytesContain(lines[start].bytes, Self.kmsanHeader) ? 16 : 22
        var i = start
        while i < lines.count {
            let c1 = lines[i].context, questionable = lines[i].questionable
            let isOopsLine = i == start
            if !isOopsLine && secondReport == nil {
                let matched = lines[i].family != nil && !truncatedByReplay(lines, i)
                if matched {
                    if lines[i].markers & Self.ignoreBits == 0 { secondReport = i }
                } else if lines[i].markers & Self.infoBits != 0 {
                    secondReport = i
                }
            }
            if secondReport != nil && (context.isEmpty || context == Self.contextConsole) { break }
            if let s = secondReport, i - s > 2000 { break }
            if report.count >= Self.maxReportLines { break }
            let cur = i
            i += 1
            if !isOopsLine && (questionable || c1 != context && (!cpuTraceback || !Self.isCPUContext(c1))) {
                continue
            }
            textLines += 1
            var skipLine = skipText
            let marks = lines[cur].markers
            if marks & Self.disablingLockDebugBit != 0 {
                skipLine = true
            } else if marks & Self.sendingNMIBit != 0 {
                cpuTraceback = true
            } else if marks & (Self.panicNotSyncingBit | Self.circularLockdepBit) != 0
                        && textLines > minLines {
                skipText = true
                skipLine = true
            }
            if !isOopsLine && skipLine { continue }
            report.append(lines[cur].stripped)
            reportIdx.append(cur)
            if secondReport == nil || !context.isEmpty && context != Self.contextConsole {
                reportEnd = report.count
            }
        }
        let body = Array(report[..<reportEnd])
        let bodyIdx = Array(reportIdx[..<reportEnd])
        var desc = extractDescription(body, family: fam)
        if desc.title.isEmpty {
            desc.title = lines[start].text
        }
        var title = desc.title
        var corrupted = desc.corrupted
        if corrupted == nil, let format = desc.format {
            corrupted = isCorrupted(title: title, report: body, format: format)
        } else if corrupted == nil {
            corrupted = isCorrupted(title: title, report: body, format: nil)
        }
        title = Self.sanitizeTitle(Self.replaceDynamic(title))
        var alts: [String] = []
        for a in desc.alt {
            let s = Self.sanitizeTitle(Self.replaceDynamic(a))
            if !alts.contains(s) { alts.append(s) }
        }
        return Result(title: title, altTitles: alts, corruptedReason: corrupted, startLine: start,
                      nextReportLine: secondReport, lines: prefix.map(\.0) + body,
                      lineIndex: prefix.map(\.1) + bodyIdx, context: context)
    }

    // MARK: description

    struct Description {
        var title = ""
        var alt: [String] = []
        var corrupted: String?
        var format: FormatTable.Format?
    }

    func extractDescription(_ lines: [String], family: FormatTable.Family) -> Description {
        // The report as one UTF-16 text (lines joined with "\n", plus a final "\n"), which every title regex searches
        // in place, and the UTF-16 offset of each line start, to turn a match offset back into lines.
        var units: [UInt16] = []
        units.reserveCapacity(lines.reduce(1) { $0 + $1.utf8.count + 1 })
        var starts: [Int] = []
        starts.reserveCapacity(lines.count)
        for l in lines {
            starts.append(units.count)
            UTF16Text.append(l, to: &units)
            units.append(0x0A)
        }
        if lines.isEmpty { units.append(0x0A) }
        let text = UTF16Text(units)
        func linesFrom(_ pos: Int) -> [String] {
            var lo = 0, hi = starts.count - 1
            while lo < hi { let mid = (lo + hi + 1) / 2; if starts[mid] <= pos { lo = mid } else { hi = mid - 1 } }
            guard lo < lines.count else { return [] }
            let firstLine = lines[lo]
            let skip = pos - starts[lo]
            let u = firstLine.utf16
            let idx = u.index(u.startIndex, offsetBy: min(skip, u.count))
            var out = [String(firstLine[idx...])]
            out.append(contentsOf: lines[(lo + 1)...])
            out.append("")
            return out
        }
        var startPos = text.count
        var d = Description()
        var matchedTitle = false
        // Every match of a title regex starts with its literal prefix, so the search can start at the first line
        // holding that literal; formats whose literal is absent cannot match at all.
        func firstLineStart(_ lit: [UInt8]) -> Int? {
            guard lit.count >= 3 else { return 0 }
            for (i, l) in lines.enumerated() where utf8Contains(l, lit) { return starts[i] }
            return nil
        }
        // A line-local title regex is run on the lines holding its literal only, each as its own small string.
        func lineLocalMatch(_ f: FormatTable.Format) -> (start: Int, end: Int, groups: [String?])? {
            for (i, l) in lines.enumerated() where starts[i] <= startPos && utf8Contains(l, f.titleLiteral) {
                if let m = f.title.firstMatch(l) { return (starts[i] + m.start, starts[i] + m.end, m.groups) }
            }
            return nil
        }
        // A multi-line title regex whose matches start with its literal and that no range bound affects: tried
        // anchored at each occurrence of the literal, in a window (the leftmost match starts at one of them). nil
        // when that cannot decide (a non-ASCII line, a match that may run past the window): then the full search.
        func literalAnchoredMatch(_ p: Pattern, _ lit: [UInt8], from: Int) -> (start: Int, end: Int, groups: [String?])?? {
            guard lit.count >= 3, p.boundsInsensitive else { return nil }
            var i = 0
            while i < starts.count && starts[i] < from { i += 1 }
            while i < lines.count {
                let l = lines[i]
                if utf8Contains(l, lit) {
                    let b = Array(l.utf8)
                    guard !b.contains(where: { $0 >= 0x80 }) else { return nil }
                    var o = 0
                    while let at = bytesIndex(b, lit, from: o) {
                        switch p.anchoredMatch(in: text, at: starts[i] + at, window: Self.titleWindow) {
                        case let .match(s, e, g): return .some((s, e, g))
                        case .unsure: return nil
                        case .noMatch: o = at + 1
                        }
                    }
                }
                i += 1
            }
            return .some(nil)
        }
        for f in family.formats {
            guard let from = firstLineStart(f.titleLiteral), from <= startPos else { continue }
            let found = f.titleLineLocal && f.titleLiteral.count >= 3 ? lineLocalMatch(f)
                : (literalAnchoredMatch(f.title, f.titleLiteral, from: from) ?? f.title.firstMatch(in: text, from: from))
            guard var match = found, match.start <= startPos else { continue }
            if match.start == startPos && !d.title.isEmpty { continue }
            if match.start < startPos {
                d = Description()
                startPos = match.start
            }
            matchedTitle = true
            if let r = f.report {
                guard let m2 = r.firstMatch(in: text) else { continue }
                match = m2
            }
            let argPrefix: [String] = match.groups.map { $0 ?? "" }
            var frames: [(canonical: String, raw: String)] = []
            var corrupted: String?
            if let stack = f.stack {
                let (fr, ok) = extractStackFrame(stack, linesFrom(match.start))
                frames = fr
                if !ok { corrupted = "extracted no frames" }
            }
            let args = argPrefix + frames.map(\.canonical)
            d.title = Self.goFormat(f.fmt, args)
            var alt = f.alt.map { Self.goFormat($0, args) }
            // Partially stripped syscall prefixes help dedup (syzkaller's partiallyStrippedArgs).
            for k in 0...table.stripFramePrefixes.count {
                var add = true
                var strip = ""
                if k > 0 { strip = table.stripFramePrefixes[k - 1]; add = false }
                var list: [String] = []
                for fr in frames {
                    let t = fr.raw.hasPrefix(strip) && !strip.isEmpty ? String(fr.raw.dropFirst(strip.count)) : fr.raw
                    if t != fr.raw { add = true }
                    list.append(t)
                }
                if add {
                    let a2 = argPrefix + list
                    let t = Self.goFormat(f.fmt, a2)
                    if t != d.title { alt.append(t) }
                    for a in f.alt { alt.append(Self.goFormat(a, a2)) }
                }
            }
            var uniq: [String] = []
            for a in alt where !uniq.contains(a) { uniq.append(a) }
            d.alt = uniq
            d.corrupted = corrupted
            d.format = f
        }
        if d.title.isEmpty {
            if matchedTitle { d.corrupted = "matched title but not report regexp" }
            if let at = text.firstIndex(of: Array(family.header.utf16)) {
                var end = at
                while end < text.count && text.units[end] != 0x0A { end += 1 }
                d.title = text.substring(at..<end)
            }
        }
        if d.corrupted == nil, let f = d.format, f.corrupted {
            d.corrupted = "report format is marked as corrupted"
        }
        return d
    }

    func extractStackFrame(_ stack: FormatTable.StackSpec, _ lines: [String]) -> ([(canonical: String, raw: String)], Bool) {
        let r = extractStackFrameImpl(lines, stack.skip, stack.parts, stack.extractor)
        if r.1 || stack.parts2.isEmpty { return r }
        return extractStackFrameImpl(lines, stack.skip, stack.parts2, stack.extractor)
    }

    private func stripFrames(_ frames: [String]) -> [String] {
        frames.map { orig in
            var best = orig
            for p in table.stripFramePrefixes where orig.hasPrefix(p) {
                let s = String(orig.dropFirst(p.count))
                if s.count < best.count { best = s }
            }
            return best
        }
    }

    private func keyFrame(_ raw: [String], _ extractor: String?) -> (canonical: String, raw: String) {
        if raw.isEmpty { return ("", "") }
        guard let ex = extractor else { return (stripFrames([raw[0]])[0], raw[0]) }
        let stripped = stripFrames(raw)
        let (f, idx) = ex == "stall" ? stallFrame(stripped) : hangFrame(stripped)
        return f.isEmpty ? ("", "") : (f, raw[idx])
    }

    private func appendFrame(_ frames: inout [String], _ groups: [String?], _ skip: FormatTable.SkipList?) {
        for g in groups {
            guard let g else { continue }
            if let skip, skip.matches(g) { continue }
            frames.append(g)
        }
    }

    private func matchesAny(_ s: String, _ res: [Pattern]) -> Bool { res.contains { $0.matches(s) } }

    /// Cheap substring gates in front of the regex lists that are tried on every report line.
    private static let stackStartHints: [[UInt8]] = ["Call ", "Allocated", "Freed", "acktrace", "Uninit was stored",
                                                     "badaddr"].map { Array($0.utf8) }
    private static let shouldFail = Array("should_fail".utf8)
    private static let armFrom = Array(") from ".utf8)
    private static let stackNotAvailable = Array("(stack is not available)".utf8)
    private static func mayStartStack(_ ln: String) -> Bool { stackStartHints.contains { utf8Contains(ln, $0) } }
    private func isStackStart(_ ln: String) -> Bool {
        Self.mayStartStack(ln) && matchesAny(ln, table.stackStart)
    }
    private func isCorruptedLine(_ ln: String) -> Bool {
        utf8Contains(ln, Self.shouldFail) && matchesAny(ln, table.corruptedLines)
    }
    /// syzkaller's frame regexes: `^ *(?:[<addr>] ){0,2}FUNC(\.|\+)` hand-coded, and the ARM one via its regex.
    private func frameGroups(_ ln: String) -> [String?]? {
        let b = Array(ln.utf8)
        var i = 0
        while i < b.count && b[i] == 0x20 { i += 1 }
        var tries = 0
        while tries < 3 {
            let save = i
            // optional "[<?(0x)?hex>?] "
            if i < b.count && b[i] == 0x5B {
                var j = i + 1
                if j < b.count && b[j] == 0x3C { j += 1 }
                if j + 1 < b.count && b[j] == 0x30 && b[j + 1] == 0x78 { j += 2 }
                let h0 = j
                while j < b.count && ((b[j] >= 0x30 && b[j] <= 0x39) || (b[j] >= 0x61 && b[j] <= 0x66)) { j += 1 }
                if j < b.count && b[j] == 0x3E { j += 1 }
                if j > h0 && j + 1 < b.count && b[j] == 0x5D && b[j + 1] == 0x20 && tries < 2 {
                    // Either this bracket is a PC and a function follows, or try the function right here.
                    let n0 = j + 2
                    var k = n0
                    while k < b.count && Self.isFuncChar(b[k]) { k += 1 }
                    if k > n0 && k < b.count && (b[k] == 0x2E || b[k] == 0x2B) {
                        return [String(decoding: b[n0..<k], as: UTF8.self)]
                    }
                    i = j + 2
                    tries += 1
                    continue
                }
            }
            i = save
            break
        }
        let n0 = i
        var k = i
        while k < b.count && Self.isFuncChar(b[k]) { k += 1 }
        if k > n0 && k < b.count && (b[k] == 0x2E || b[k] == 0x2B) {
            return [String(decoding: b[n0..<k], as: UTF8.self)]
        }
        if table.frameRes.count > 1 && utf8Contains(ln, Self.armFrom) {
            for re in table.frameRes.dropFirst() { if let m = re.firstMatch(ln) { return m.groups } }
        }
        return nil
    }
    @inline(__always) private static func isFuncChar(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
    }

    private func extractStackFrameImpl(_ allLines: [String], _ skip: FormatTable.SkipList?, _ parts: [FormatTable.StackSpec.Part],
                                       _ extractor: String?) -> ([(canonical: String, raw: String)], Bool) {
        var lines = allLines[...]
        var raw: [String] = []
        var results: [(canonical: String, raw: String)] = []
        var ok = true
        var numStacks = 0
        var partIdx = 0
        func isStack(_ i: Int) -> Bool { if case .stack = parts[i] { return true } else { return false } }
        while true {
            if partIdx == parts.count || isStack(partIdx) && numStacks > 0 {
                var kf = keyFrame(raw, extractor)
                if kf.canonical.isEmpty { kf = ("corrupted", "corrupted"); ok = false }
                results.append(kf)
                raw = []
            }
            if partIdx == parts.count { break }
            switch parts[partIdx] {
            case .stack:
                numStacks += 1
                while let ln = lines.first {
                    lines = lines.dropFirst()
                    if isCorruptedLine(ln) { ok = false; break }
                    if isStackStart(ln) { break }
                    if partIdx != parts.count - 1, case .regex(let next, let gate) = parts[partIdx + 1],
                       gate.map({ g in g.contains { utf8Contains(ln, $0) } }) ?? true,
                       let m = next.firstMatch(ln) {
                        appendFrame(&raw, m.groups, skip)
                        partIdx += 1
                        break
                    }
                    if let g = frameGroups(ln) { appendFrame(&raw, g, skip) }
                }
            case .regex(let re, let gate):
                while let ln = lines.first {
                    lines = lines.dropFirst()
                    if isCorruptedLine(ln) { ok = false; break }
                    if let gate, !gate.contains(where: { utf8Contains(ln, $0) }) { continue }
                    guard let m = re.firstMatch(ln) else { continue }
                    appendFrame(&raw, m.groups, skip)
                    break
                }
            }
            partIdx += 1
        }
        return (results, ok)
    }

    private func stallFrame(_ frames: [String]) -> (String, Int) {
        guard !frames.isEmpty else { return ("", -1) }
        var prev = frames[0], prevIdx = 0
        for (i, f) in frames.enumerated() {
            if table.stallAnchorList.matches(f) {
                if utf8Contains(f, Self.smpCallFunction) { prev = "smp_call_function"; prevIdx = i }
                return (prev, prevIdx)
            }
            prev = f
            prevIdx = i
        }
        return ("", -1)
    }

    private static let smpCallFunction = Array("smp_call_function".utf8)
    private static let hangAnchors: [([UInt8], String)] = [("rtnl_lock", ""), ("synchronize_rcu", "synchronize_rcu"),
                                                           ("synchronize_srcu", "synchronize_rcu"),
                                                           ("synchronize_net", "synchronize_rcu"),
                                                           ("synchronize_sched", "synchronize_rcu")].map { (Array($0.0.utf8), $0.1) }

    /// Substring tests on bytes (Foundation's `String.contains` cost ~10k instructions a call here).
    private func hangFrame(_ frames: [String]) -> (String, Int) {
        for (i, f) in frames.enumerated() {
            for (a, r) in Self.hangAnchors where utf8Contains(f, a) { return (r.isEmpty ? f : r, i) }
        }
        for (i, f) in frames.enumerated() where !HangSkip.bytes.contains(where: { utf8Contains(f, $0) }) {
            // The substring skip passes over a task's own function when its name holds a primitive's substring
            // (a kthread `lw_waiter_fn` holds "wait") and can reach the thread's entry: "task hung in
            // ret_from_fork" names nothing. Then name the first frame that is not generic (sleep, lock, entry).
            guard GenericFrames.bundled.category(of: f) == "entry" else { return (f, i) }
            if let j = frames.firstIndex(where: { GenericFrames.bundled.category(of: $0) == nil }) {
                return (frames[j], j)
            }
            return (f, i)
        }
        return ("", -1)
    }

    // MARK: corruption

    func isCorrupted(title: String, report: [String], format: FormatTable.Format?) -> String? {
        if Self.corruptedTitle.matches(title) { return "title matches corrupted regexp" }
        guard let format else { return nil }
        if format.noStackTrace { return nil }
        var hasStackTrace = false
        let starts = report.indices.filter { Self.mayStartStack(report[$0]) }
        for (ki, key) in table.stackStart.enumerated() {
            guard let at = starts.first(where: { key.matches(report[$0]) }) else { continue }
            let frames = report[at...]
            if frames.count < 4 { return "call trace is missed" }
            var corrupted = true
            outer: for ln in frames.dropFirst().prefix(15) {
                if isStackStart(ln) { break outer }
                if utf8Contains(ln, Self.stackNotAvailable) || frameGroups(ln) != nil {
                    hasStackTrace = true
                    corrupted = false
                    break
                }
            }
            // The last stackStart entry is RISC-V's show_regs marker, which need not be followed by frames.
            if ki != table.stackStart.count - 1 && corrupted { return "no frames in a stack trace" }
        }
        return hasStackTrace ? nil : "no stack trace in report"
    }

    // MARK: title canonicalisation

    private static let corruptedTitle = try! Pattern(#"\[ *[0-9]+\.[0-9]+\]"#)
    private static let replacements: [(Pattern, String)] = [
        (#"syz-executor\.?[0-9]+((/|:)[0-9]+)?"#, "syz-executor"),
        (#"syzkaller[0-9]+((/|:)[0-9]+)?"#, "syzkaller"),
        (#"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}"#, "$1ADDR"),
        (#"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"#, "IP"),
        (#"(\.\w+)(:[0-9]+)+"#, "$1:LINE"),
        (#"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+"#, "$1"),
        (#"CPU#[0-9]+"#, "CPU"),
        (#"(\W)(\d+)(\W|$)"#, "$1NUM$3"),
        (#"(\d+){7,}"#, "NUM"),
    ].map { (try! Pattern($0.0, replacing: true), $0.1) }

    /// For each replacement, a byte test every string it can match passes (a literal it needs, the digits or hex
    /// run its classes need; `\d`/`\w` also match non-ASCII, so any non-ASCII byte passes): a string failing it is
    /// left unchanged by the regex, so the regex is not run.
    private static let replacementGates: [@Sendable ([UInt8]) -> Bool] = [
        { bytesContain($0, Array("syz-executor".utf8)) },
        { bytesContain($0, Array("syzkaller".utf8)) },
        { b in
            var run = 0
            for c in b {
                if c.isDigit || (c >= 0x61 && c <= 0x66) { run += 1; if run >= 6 { return true } } else { run = 0 }
            }
            return false
        },
        { $0.contains(where: \.isDigit) },
        { $0.contains(0x2E) && $0.contains(0x3A) },
        { bytesContain($0, Array("+0x".utf8)) },
        { bytesContain($0, Array("CPU#".utf8)) },
        { $0.contains(where: { $0.isDigit || $0 >= 0x80 }) },
        { $0.contains(where: { $0.isDigit || $0 >= 0x80 }) },
    ]

    static func replaceDynamic(_ s: String) -> String {
        var str = s
        for (k, (re, repl)) in replacements.enumerated() {
            if !replacementGates[k](Array(str.utf8)) { continue }
            var guardCount = 0
            while guardCount < 32 {
                let n = re.replaceAll(str, template: repl)
                guardCount += 1
                if n == str { break }
                str = n
            }
        }
        return str
    }

    static func sanitizeTitle(_ t: String) -> String {
        var out: [UInt8] = []
        var prev: UInt8 = 0x20
        for (i, ch0) in t.utf8.enumerated() {
            if i >= 120 { break }
            var ch = ch0
            if ch == 0x09 { ch = 0x20 } else if ch < 0x20 || ch >= 0x7F { continue }
            if ch == 0x20 && prev == 0x20 { continue }
            out.append(ch)
            prev = ch
        }
        return String(decoding: out, as: UTF8.self).trimmingSpaces()
    }

    /// Go's fmt.Sprintf for the templates in the table: `%[n]v`, `%[n]s`, `%v`, `%s`, `%%`. Works on the template's
    /// bytes (the directives are ASCII; other bytes are copied as they are).
    static func goFormat(_ fmt: String, _ args: [String]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(fmt.utf8.count + args.reduce(0) { $0 + $1.utf8.count })
        let it = Array(fmt.utf8)
        var next = 0
        var i = 0
        while i < it.count {
            let c = it[i]
            if c != 0x25 || i + 1 >= it.count { out.append(c); i += 1; continue }  // not '%'
            var j = i + 1
            if it[j] == 0x25 { out.append(0x25); i = j + 1; continue }
            var idx = next
            if it[j] == 0x5B {  // '['
                var k = j + 1
                var num = 0
                while k < it.count, it[k].isDigit { num = num * 10 + Int(it[k] - 0x30); k += 1 }
                if k < it.count && it[k] == 0x5D { idx = num - 1; j = k + 1 }
            }
            if j < it.count && (it[j] == 0x76 || it[j] == 0x73) {  // 'v', 's'
                out.append(contentsOf: idx >= 0 && idx < args.count ? Array(args[idx].utf8) : Array("%!v(BADINDEX)".utf8))
                next = idx + 1
                i = j + 1
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// syzkaller's hung-task frame skip: substrings of sleeping and locking primitives, so the title names the caller.
enum HangSkip {
    static let substrings = ["sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait",
                             "synchronize", "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier"]
    static let bytes: [[UInt8]] = substrings.map { Array($0.utf8) }
}

/// Which family headers a line contains, in one pass over the line: at each byte only the headers starting with that
/// byte (and whose second byte follows) are compared, instead of one substring search per header (27 per line).
final class HeaderScanner: @unchecked Sendable {
    private let flat: UnsafeMutableBufferPointer<UInt8>
    private let offset: [Int]
    private let length: [Int]
    /// Header indices grouped by first byte: `byFirst[bucket[c]..<bucket[c + 1]]`.
    private let bucket: UnsafeMutableBufferPointer<Int>
    private let byFirst: UnsafeMutableBufferPointer<Int>

    /// At most 64 headers (one bit each in the result); the bundled table has 27.
    init(_ headers: [[UInt8]]) {
        precondition(headers.count <= 64 && headers.allSatisfy { !$0.isEmpty }, "HeaderScanner: at most 64 non-empty headers")
        let all = headers.flatMap { $0 }
        flat = .allocate(capacity: max(1, all.count))
        _ = flat.initialize(from: all)
        var off: [Int] = []
        var o = 0
        for h in headers { off.append(o); o += h.count }
        offset = off
        length = headers.map(\.count)
        let order = headers.indices.sorted { (headers[$0][0], $0) < (headers[$1][0], $1) }
        byFirst = .allocate(capacity: max(1, order.count))
        _ = byFirst.initialize(from: order)
        bucket = .allocate(capacity: 257)
        var k = 0
        for c in 0...256 {
            while k < order.count && Int(headers[order[k]][0]) < c { k += 1 }
            bucket[c] = k
        }
    }

    deinit {
        flat.deallocate()
        bucket.deallocate()
        byFirst.deallocate()
    }

    /// Bit i set when the line contains header i.
    func contained(in line: [UInt8]) -> UInt64 {
        var found: UInt64 = 0
        let flat = self.flat, bucket = self.bucket, byFirst = self.byFirst
        offset.withUnsafeBufferPointer { off in
            length.withUnsafeBufferPointer { len in
                line.withUnsafeBufferPointer { b in
                    let n = b.count
                    var i = 0
                    while i < n {
                        let c = Int(b[i])
                        var k = bucket[c]
                        let end = bucket[c + 1]
                        while k < end {
                            let h = byFirst[k]
                            let l = len[h], o = off[h]
                            if i + l <= n && (l == 1 || b[i + 1] == flat[o + 1]) {
                                var j = 2
                                while j < l && b[i + j] == flat[o + j] { j += 1 }
                                if j >= l { found |= 1 << UInt64(h) }
                            }
                            k += 1
                        }
                        i += 1
                    }
                }
            }
        }
        return found
    }
}
