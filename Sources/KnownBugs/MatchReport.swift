import Backtraces
import Foundation

/// The result of `ksleuth match` on one input: the extracted reports, each with its ranked candidates, the values
/// reports share, and (for text with no report) hints from identifiers the text mentions.
public struct MatchAnalysis: Sendable {
    public var input: String
    public var extraction: Extraction
    /// Per report, the candidates scoring above zero, best first (at most `maxCandidates`).
    public var candidates: [[MatchCandidate]]
    public var hints: [(bug: KnownBug, mentioned: [String])]
    public var threshold: Double

    public static let maxCandidates = 3

    public init(input: String, extraction: Extraction, matcher: Matcher, text: String? = nil) {
        self.input = input
        self.extraction = extraction
        self.threshold = matcher.threshold
        // Reports are ranked in parallel; the results keep the reports' order.
        self.candidates = Parallel.map(extraction.reports) { Array(matcher.rank($0).prefix(Self.maxCandidates)) }
        if extraction.reports.isEmpty, let text {
            self.hints = Array(matcher.hints(in: text).prefix(Self.maxCandidates))
        } else {
            self.hints = []
        }
    }

    /// The best candidate above the threshold for report `i`, if any.
    public func knownBug(for i: Int) -> MatchCandidate? {
        candidates[i].first(where: \.aboveThreshold)
    }
}

/// Renders a `MatchAnalysis` as text, JSON or a mailing-list reply. Returns strings; never prints.
public enum MatchReportRenderer {
    static let generic = GenericFrames.bundled
    static let maxFramesShown = 16

    // MARK: text

    public static func text(_ a: MatchAnalysis) -> String {
        var o = ""
        let reports = a.extraction.reports
        if reports.isEmpty {
            o += "\(a.input): no kernel crash report found (\(a.extraction.lineCount) lines read)\n"
            o += hintsText(a)
            return o
        }
        o += "\(a.input): \(reports.count) report\(reports.count == 1 ? "" : "s")\n"
        // Each report's section depends on that report only: rendered in parallel, joined in order.
        o += Parallel.map(Array(reports.indices)) { reportText(a, $0) }.joined()
        o += correlationsText(a)
        return o
    }

    static func reportText(_ a: MatchAnalysis, _ i: Int) -> String {
        let r = a.extraction.reports[i]
        var o = ""
        o += "\n"
        o += "[\(i + 1)] \(r.title)\n"
        o += "    kind:    \(r.kind.description)\(r.corrupted ? " (corrupted: \(r.corruptedReason ?? "?"))" : "")\n"
        o += "    lines:   \(r.startLine + 1)-\(r.endLine + 1)\(r.source == "crash-bt" ? " (crash bt)" : "")\n"
        if let t = taskLine(r) { o += "    task:    \(t)\n" }
        if let rel = r.kernelRelease { o += "    kernel:  \(rel)\n" }
        if !r.lockChain.isEmpty { o += "    chain:   \(r.lockChain.joined(separator: " --> "))\n" }
        if let b = r.blockedOn { o += "    blocked on: \(b)\n" }
        if let acq = r.lockAcquiring, let held = r.lockHeld {
            o += "    locks:   acquiring \(acq) while holding \(held)\n"
        }
        if let exc = r.stacks.first?.frames.first(where: { $0.registers != nil }), let regs = exc.registers,
           !regs.isEmpty {
            o += "    exception RIP: \(exc.function)\(exc.offset.map { "+\($0)" } ?? "")\n"
        }
        o += framesText(r)
        let cands = a.candidates[i]
        if let best = cands.first(where: \.aboveThreshold) {
            o += "    known bug: \(best.bug.fix == nil ? "\(best.bug.id) (no fix commit identified)" : best.bug.fixCitation)\n"
            o += "      score \(fmt(best.score)) (threshold \(fmt(a.threshold))), entry \(best.bug.id), \(best.bug.subsystem)\n"
            for w in best.why { o += "      why: \(w)\n" }
            for f in best.bug.fixes { o += "      Fixes: \(f.citation)\n" }
            o += "      \(best.bug.summary)\n"
            let others = cands.filter { $0.bug.id != best.bug.id && $0.aboveThreshold }
            for c in others { o += "    also: \(c.bug.fixCitation) (score \(fmt(c.score)), entry \(c.bug.id))\n" }
        } else {
            o += "    known bug: none (no entry scores \(fmt(a.threshold)) or more"
            if let c = cands.first { o += "; closest \(c.bug.id) at \(fmt(c.score))" }
            o += ")\n"
        }
        return o
    }

    static func taskLine(_ r: CrashReport) -> String? {
        guard let t = r.task else { return nil }
        var parts: [String] = []
        if let c = t.comm { parts.append(c) }
        if let p = t.pid { parts.append("pid \(p)") }
        if let c = t.cpu { parts.append("cpu \(c)") }
        if let a = t.taskAddress { parts.append("task \(hex(a))") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    static func framesText(_ r: CrashReport) -> String {
        var o = ""
        var stacks = r.stacks.filter { !$0.frames.isEmpty }
        for l in r.lockLinks { stacks.append(Stack(label: "-> #\(l.index) (\(l.lockClass))", frames: l.frames)) }
        for s in stacks.prefix(6) {
            o += "    \(s.label):\n"
            let shown = s.frames.prefix(maxFramesShown)
            // Appended piece by piece to the output (no per-line temporary strings).
            for f in shown {
                o += f.reliable ? "        " : "      ? "
                o += f.function
                if let off = f.offset {
                    if r.source == "crash-bt" {
                        o += "+"
                        o += String(off)
                    } else {
                        o += "+0x"
                        o += String(off, radix: 16)
                    }
                    if let sz = f.size {
                        o += "/0x"
                        o += String(sz, radix: 16)
                    }
                }
                if let m = f.module {
                    o += " ["
                    o += m
                    o += "]"
                }
                if let c = generic.category(of: f.function) {
                    o += "   (generic: "
                    o += c
                    o += ")"
                }
                o += "\n"
            }
            if s.frames.count > shown.count { o += "        ... \(s.frames.count - shown.count) more\n" }
        }
        return o
    }

    static func correlationsText(_ a: MatchAnalysis) -> String {
        guard !a.extraction.correlations.isEmpty else { return "" }
        var o = "\nShared values (the same object seen by several reports):\n"
        for c in a.extraction.correlations {
            let sites = c.sites.map { s in
                "[\(s.report + 1)] \(s.registers.map(registerName).joined(separator: ", "))"
            }.joined(separator: "; ")
            o += "  \(hex(c.value)): \(sites)\n"
        }
        return o
    }

    static let argumentRegisters = ["RDI": "1st", "RSI": "2nd", "RDX": "3rd", "RCX": "4th", "R8": "5th", "R9": "6th"]
    static func registerName(_ r: String) -> String {
        argumentRegisters[r].map { "\(r) (\($0) argument register)" } ?? r
    }

    static func hintsText(_ a: MatchAnalysis) -> String {
        guard !a.hints.isEmpty else { return "" }
        var o = "No backtrace to match, but the text names identifiers of known bugs (hints, not matches):\n"
        for h in a.hints {
            o += "  \(h.bug.fixCitation)\n    mentions: \(h.mentioned.joined(separator: ", ")); entry \(h.bug.id)\n"
        }
        return o
    }

    static func fmt(_ d: Double) -> String { String(format: "%.2f", d) }
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    // MARK: mail

    /// Plain text for a mailing-list reply: no ANSI, no scores table, wrapped at 72 columns where it is prose.
    public static func mail(_ a: MatchAnalysis) -> String {
        let reports = a.extraction.reports
        if reports.isEmpty {
            var o = "I could not find a kernel crash report (oops, BUG, WARNING, lockdep splat, hung task\nor crash bt) in the text.\n"
            if let h = a.hints.first {
                o += "\nIt does mention \(h.mentioned.joined(separator: ", ")), which the fix\n\n  \(h.bug.fix?.citation ?? h.bug.id)\n\nis about\(h.bug.fixedIn.map { " (in \($0))" } ?? ""); a backtrace of the stuck task would tell\nwhether it is that bug.\n"
            }
            return o
        }
        var o = ""
        var cited = Set<String>()
        for (i, r) in reports.enumerated() {
            let label = reports.count > 1 ? "The report \"\(r.title)\"" : "The \"\(r.title)\" report"
            guard let best = a.knownBug(for: i) else {
                o += "\(label) does not match a bug I know of.\n\n"
                continue
            }
            if cited.contains(best.bug.id) {
                o += "\(label) is the same bug.\n\n"
                continue
            }
            cited.insert(best.bug.id)
            var head = "\(label) looks like the \(best.bug.kind.description) "
            var para = ""
            if let fix = best.bug.fix {
                para += wrap(head + "fixed upstream by") + "\n\n  \(fix.citation)\n\n"
                var tail = ""
                if let rel = best.bug.fixedIn { tail = "It landed in \(rel)" }
                if let st = best.bug.stableSeen {
                    tail += tail.isEmpty ? "It was backported to \(st).y stable" : " and was backported to \(st).y stable"
                }
                if !best.bug.fixes.isEmpty {
                    tail += (tail.isEmpty ? "It has" : "; it has") + " Fixes: " + best.bug.fixes.map(\.citation).joined(separator: ", ")
                }
                if !tail.isEmpty { para += wrap(tail + ".") + "\n\n" }
            } else {
                head += "reported in \(best.bug.provenance.split(separator: " ").first ?? "the sources in the database")."
                para += wrap(head + " I know of no fix commit for it.") + "\n\n"
            }
            o += para
            var evidence: [String] = []
            if !best.chainMatched.isEmpty {
                evidence.append("the lock chain \(r.lockChain.isEmpty ? best.chainMatched.joined(separator: " --> ") : r.lockChain.joined(separator: " --> "))")
            }
            if !best.framePairs.isEmpty {
                evidence.append("the stack " + best.framePairs.map { "\($0.bugFrame)()" }.joined(separator: " <- "))
            }
            if !evidence.isEmpty {
                o += wrap("Your report shows " + evidence.joined(separator: " and ") + (best.bug.fix != nil ? ", as the report in that fix does." : ", as the reports of that bug do.")) + "\n\n"
            }
            o += wrap(best.bug.summary) + "\n\n"
            if let rel = r.kernelRelease, let fixed = best.bug.fixedIn {
                o += wrap("Your kernel is \(rel); if it does not carry the fix (mainline \(fixed)), please try it.") + "\n\n"
            }
        }
        if !a.extraction.correlations.isEmpty {
            let values = a.extraction.correlations.map { c in
                "\(hex(c.value)) (\(c.sites.map { $0.registers.joined(separator: "/") }.uniqued().joined(separator: ", ")))"
            }
            let reportsSeen = Set(a.extraction.correlations.flatMap { $0.sites.map(\.report) }).count
            o += wrap("Note that \(values.joined(separator: ", ")) \(values.count == 1 ? "is" : "are") in the registers of \(reportsSeen == 2 ? "both" : "\(reportsSeen)") crashing tasks: they were working on the same objects.") + "\n\n"
        }
        return o.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    static func wrap(_ s: String, width: Int = 72) -> String {
        var lines: [String] = []
        var cur = ""
        for w in s.split(separator: " ") {
            if !cur.isEmpty && cur.count + 1 + w.count > width {
                lines.append(cur)
                cur = String(w)
            } else {
                cur += cur.isEmpty ? String(w) : " " + w
            }
        }
        if !cur.isEmpty { lines.append(cur) }
        return lines.joined(separator: "\n")
    }

    // MARK: JSON

    /// JSON, schema "ksleuth.match/1" (documented in docs/match.md). Keys are sorted; lines are 1-based.
    /// Written by hand (`MatchJSONWriter`), byte for byte what `JSONEncoder` printed for `JSONMatch` with
    /// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` (kept as `jsonViaEncoder`; the tests compare the
    /// two): the encoder cost a third of `match --json`.
    public static func json(_ a: MatchAnalysis) -> String {
        var w = MatchJSONWriter()
        w.document(a)
        return String(decoding: w.out, as: UTF8.self) + "\n"
    }

    /// The same document through `JSONEncoder` (the reference the hand-written writer is tested against).
    static func jsonViaEncoder(_ a: MatchAnalysis) -> String {
        let doc = JSONMatch(a)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? enc.encode(doc) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Writes the `ksleuth match --json` document in JSONEncoder's pretty-printed layout: two-space indent, `"key" : `,
/// keys in byte order (each object below lists them already sorted), an empty array or object as `[` / `{`, an empty
/// line and the closing bracket, numbers as Swift prints them (a whole Double without `.0`), strings with `"`, `\\`,
/// `\b \f \n \r \t` and other control characters (`\u00XX`, lower-case hex) escaped, `/` and non-ASCII left as they
/// are.
struct MatchJSONWriter {
    var out: [UInt8] = []
    private var depth = 0
    /// Per open container: whether it has no element yet.
    private var empty: [Bool] = []

    init() { out.reserveCapacity(1 << 16) }

    /// A writer for a fragment nested `depth` levels deep (a report inside the `reports` array).
    private init(depth: Int) {
        self.depth = depth
        out.reserveCapacity(1 << 12)
    }

    // MARK: layout

    private mutating func indent(_ n: Int) { for _ in 0..<(2 * n) { out.append(0x20) } }

    private mutating func open(_ c: UInt8) {
        out.append(c)
        depth += 1
        empty.append(true)
    }

    private mutating func close(_ c: UInt8) {
        let wasEmpty = empty.removeLast()
        depth -= 1
        out.append(0x0A)
        if wasEmpty { out.append(0x0A) }
        indent(depth)
        out.append(c)
    }

    /// Starts the next element of the open container.
    private mutating func element() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
            out.append(0x0A)
        } else {
            out.append(0x2C)
            out.append(0x0A)
        }
        indent(depth)
    }

    private mutating func key(_ k: StaticString) {
        element()
        out.append(0x22)
        k.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [0x22, 0x20, 0x3A, 0x20])  // `" : `
    }

    private mutating func key(_ k: String) {
        element()
        string(k)
        out.append(contentsOf: [0x20, 0x3A, 0x20])
    }

    // MARK: values

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func string(_ s: String) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x08: out.append(0x5C); out.append(0x62)
            case 0x0C: out.append(0x5C); out.append(0x66)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0x00..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])  // \u00
                out.append(Self.hex[Int(c >> 4)])
                out.append(Self.hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }

    private mutating func null() { out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
    private mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    private mutating func bool(_ b: Bool) { out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8)) }
    private mutating func int<I: BinaryInteger>(_ v: I) { out.append(contentsOf: Array(String(v).utf8)) }
    private mutating func int<I: BinaryInteger>(_ v: I?) { if let v { int(v) } else { null() } }
    private mutating func double(_ d: Double) {
        var s = d.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        out.append(contentsOf: Array(s.utf8))
    }
    private mutating func strings(_ list: [String]) {
        open(0x5B)
        for s in list { element(); string(s) }
        close(0x5D)
    }

    // MARK: the document (keys of every object in byte order)

    mutating func document(_ a: MatchAnalysis) {
        let g = GenericFrames.bundled
        open(0x7B)
        key("correlations")
        open(0x5B)
        for c in a.extraction.correlations {
            element()
            open(0x7B)
            key("sites")
            open(0x5B)
            for site in c.sites {
                element()
                open(0x7B)
                key("registers"); strings(site.registers)
                key("report"); int(site.report + 1)
                close(0x7D)
            }
            close(0x5D)
            key("value"); string("0x" + String(c.value, radix: 16))
            close(0x7D)
        }
        close(0x5D)
        key("hints")
        open(0x5B)
        for h in a.hints {
            element()
            open(0x7B)
            if let f = h.bug.fix { key("fix"); commit(f) }  // JSONEncoder's synthesized coding leaves nil out
            key("id"); string(h.bug.id)
            key("mentioned"); strings(h.mentioned)
            close(0x7D)
        }
        close(0x5D)
        key("input"); string(a.input)
        key("lines"); int(a.extraction.lineCount)
        key("reports")
        open(0x5B)
        // Each report's object depends on that report only: written in parallel at its nesting depth, joined in
        // order (the same bytes as writing them one after the other).
        let d = depth
        let chunks = Parallel.map(Array(a.extraction.reports.indices)) { i -> [UInt8] in
            var w = MatchJSONWriter(depth: d)
            w.report(a, i, a.extraction.reports[i], g)
            return w.out
        }
        for c in chunks {
            element()
            out.append(contentsOf: c)
        }
        close(0x5D)
        key("schema"); string("ksleuth.match/1")
        key("threshold"); double(a.threshold)
        key("truncated"); bool(a.extraction.truncated)
        close(0x7D)
    }

    private mutating func commit(_ c: CommitRef) {
        open(0x7B)
        key("citation"); string(c.citation)
        key("commit"); string(c.commit)
        key("title"); string(c.title)
        close(0x7D)
    }

    private mutating func report(_ a: MatchAnalysis, _ i: Int, _ r: CrashReport, _ g: GenericFrames) {
        open(0x7B)
        key("alt_titles"); strings(r.altTitles)
        key("blocked_on"); string(r.blockedOn)
        key("candidates")
        open(0x5B)
        for c in a.candidates[i] { element(); candidate(c) }
        close(0x5D)
        key("corrupted"); bool(r.corrupted)
        key("corrupted_reason"); string(r.corruptedReason)
        key("end_line"); int(r.endLine + 1)
        key("guilty_frame"); string(r.guiltyFrame)
        key("index"); int(i + 1)
        key("kernel_release"); string(r.kernelRelease)
        key("kind"); string(r.kind.rawValue)
        key("known_bug"); string(a.knownBug(for: i)?.bug.id)
        key("lock_acquiring"); string(r.lockAcquiring)
        key("lock_chain"); strings(r.lockChain)
        key("lock_held"); string(r.lockHeld)
        key("registers")
        open(0x7B)
        for name in r.registers.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            key(name); string("0x" + String(r.registers[name]!, radix: 16))
        }
        close(0x7D)
        key("source"); string(r.source)
        key("stacks")
        open(0x5B)
        for s in r.stacks { element(); stack(s.label, s.frames, g) }
        for l in r.lockLinks { element(); stack("-> #\(l.index) (\(l.lockClass))", l.frames, g) }
        close(0x5D)
        key("start_line"); int(r.startLine + 1)
        key("task")
        if let t = r.task {
            open(0x7B)
            key("comm"); string(t.comm)
            key("cpu"); int(t.cpu)
            key("pid"); int(t.pid)
            key("task_address"); string(t.taskAddress.map { "0x" + String($0, radix: 16) })
            close(0x7D)
        } else {
            null()
        }
        key("title"); string(r.title)
        close(0x7D)
    }

    private mutating func stack(_ label: String, _ frames: [Frame], _ g: GenericFrames) {
        open(0x7B)
        key("frames")
        open(0x5B)
        for f in frames {
            element()
            open(0x7B)
            key("function"); string(f.function)
            key("generic"); string(g.category(of: f.function))
            key("line"); int(f.sourceLine + 1)
            key("module"); string(f.module)
            key("normalized"); string(f.normalized)
            key("offset"); int(f.offset)
            key("reliable"); bool(f.reliable)
            key("size"); int(f.size)
            key("stack"); string(f.stack.rawValue)
            close(0x7D)
        }
        close(0x5D)
        key("label"); string(label)
        close(0x7D)
    }

    private mutating func candidate(_ c: MatchCandidate) {
        open(0x7B)
        key("above_threshold"); bool(c.aboveThreshold)
        key("fix")
        if let f = c.bug.fix { commit(f) } else { null() }
        key("fixed_in"); string(c.bug.fixedIn)
        key("fixes")
        open(0x5B)
        for f in c.bug.fixes { element(); commit(f) }
        close(0x5D)
        key("id"); string(c.bug.id)
        key("kind"); string(c.bug.kind.rawValue)
        key("matched_frames")
        open(0x5B)
        for p in c.framePairs {
            element()
            open(0x7B)
            key("bug_frame"); string(p.bugFrame)
            key("bug_index"); int(p.bugIndex)
            key("report_frame"); string(p.reportFrame)
            key("report_index"); int(p.reportIndex)
            key("stack"); string(p.stack)
            close(0x7D)
        }
        close(0x5D)
        key("matched_lock_classes"); strings(c.chainMatched)
        key("score"); double(c.score)
        key("stable_seen"); string(c.bug.stableSeen)
        key("subsystem"); string(c.bug.subsystem)
        key("summary"); string(c.bug.summary)
        key("why"); strings(c.why)
        close(0x7D)
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

/// The JSON document of `ksleuth match --json`.
struct JSONMatch: Encodable {
    struct JFrame: Encodable {
        var function: String
        var normalized: String
        var offset: UInt64?
        var size: UInt64?
        var module: String?
        var reliable: Bool
        var generic: String?
        var stack: String
        var line: Int
        enum K: String, CodingKey { case function, normalized, offset, size, module, reliable, generic, stack, line }
        func encode(to e: any Encoder) throws {
            var c = e.container(keyedBy: K.self)
            try c.encode(function, forKey: .function)
            try c.encode(normalized, forKey: .normalized)
            try c.encode(offset, forKey: .offset)
            try c.encode(size, forKey: .size)
            try c.encode(module, forKey: .module)
            try c.encode(reliable, forKey: .reliable)
            try c.encode(generic, forKey: .generic)
            try c.encode(stack, forKey: .stack)
            try c.encode(line, forKey: .line)
        }
    }
    struct JStack: Encodable {
        var label: String
        var frames: [JFrame]
    }
    struct JCommit: Encodable {
        var commit: String
        var title: String
        var citation: String
    }
    struct JPair: Encodable {
        var bug_frame: String
        var bug_index: Int
        var report_frame: String
        var report_index: Int
        var stack: String
    }
    struct JCandidate: Encodable {
        var id: String
        var score: Double
        var above_threshold: Bool
        var fix: JCommit?
        var fixed_in: String?
        var stable_seen: String?
        var fixes: [JCommit]
        var subsystem: String
        var kind: String
        var summary: String
        var why: [String]
        var matched_frames: [JPair]
        var matched_lock_classes: [String]
        enum K: String, CodingKey {
            case id, score, above_threshold, fix, fixed_in, stable_seen, fixes, subsystem, kind, summary, why
            case matched_frames, matched_lock_classes
        }
        func encode(to e: any Encoder) throws {
            var c = e.container(keyedBy: K.self)
            try c.encode(id, forKey: .id)
            try c.encode(score, forKey: .score)
            try c.encode(above_threshold, forKey: .above_threshold)
            try c.encode(fix, forKey: .fix)
            try c.encode(fixed_in, forKey: .fixed_in)
            try c.encode(stable_seen, forKey: .stable_seen)
            try c.encode(fixes, forKey: .fixes)
            try c.encode(subsystem, forKey: .subsystem)
            try c.encode(kind, forKey: .kind)
            try c.encode(summary, forKey: .summary)
            try c.encode(why, forKey: .why)
            try c.encode(matched_frames, forKey: .matched_frames)
            try c.encode(matched_lock_classes, forKey: .matched_lock_classes)
        }
    }
    struct JReport: Encodable {
        var index: Int
        var title: String
        var alt_titles: [String]
        var kind: String
        var corrupted: Bool
        var corrupted_reason: String?
        var source: String
        var start_line: Int
        var end_line: Int
        var guilty_frame: String?
        var task: TaskInfo?
        var kernel_release: String?
        var lock_chain: [String]
        var lock_acquiring: String?
        var lock_held: String?
        var blocked_on: String?
        var stacks: [JStack]
        var registers: [String: String]
        var known_bug: String?
        var candidates: [JCandidate]
        enum K: String, CodingKey {
            case index, title, alt_titles, kind, corrupted, corrupted_reason, source, start_line, end_line, guilty_frame
            case task, kernel_release, lock_chain, lock_acquiring, lock_held, blocked_on, stacks, registers, known_bug
            case candidates
        }
        func encode(to e: any Encoder) throws {
            var c = e.container(keyedBy: K.self)
            try c.encode(index, forKey: .index)
            try c.encode(title, forKey: .title)
            try c.encode(alt_titles, forKey: .alt_titles)
            try c.encode(kind, forKey: .kind)
            try c.encode(corrupted, forKey: .corrupted)
            try c.encode(corrupted_reason, forKey: .corrupted_reason)
            try c.encode(source, forKey: .source)
            try c.encode(start_line, forKey: .start_line)
            try c.encode(end_line, forKey: .end_line)
            try c.encode(guilty_frame, forKey: .guilty_frame)
            try c.encode(task.map(JTask.init), forKey: .task)
            try c.encode(kernel_release, forKey: .kernel_release)
            try c.encode(lock_chain, forKey: .lock_chain)
            try c.encode(lock_acquiring, forKey: .lock_acquiring)
            try c.encode(lock_held, forKey: .lock_held)
            try c.encode(blocked_on, forKey: .blocked_on)
            try c.encode(stacks, forKey: .stacks)
            try c.encode(registers, forKey: .registers)
            try c.encode(known_bug, forKey: .known_bug)
            try c.encode(candidates, forKey: .candidates)
        }
    }
    struct JTask: Encodable {
        var comm: String?
        var pid: Int?
        var cpu: Int?
        var task_address: String?
        init(_ t: TaskInfo) {
            comm = t.comm
            pid = t.pid
            cpu = t.cpu
            task_address = t.taskAddress.map { "0x" + String($0, radix: 16) }
        }
        enum K: String, CodingKey { case comm, pid, cpu, task_address }
        func encode(to e: any Encoder) throws {
            var c = e.container(keyedBy: K.self)
            try c.encode(comm, forKey: .comm)
            try c.encode(pid, forKey: .pid)
            try c.encode(cpu, forKey: .cpu)
            try c.encode(task_address, forKey: .task_address)
        }
    }
    struct JSite: Encodable {
        var report: Int
        var registers: [String]
    }
    struct JCorrelation: Encodable {
        var value: String
        var sites: [JSite]
    }
    struct JHint: Encodable {
        var id: String
        var fix: JCommit?
        var mentioned: [String]
    }

    var schema = "ksleuth.match/1"
    var input: String
    var lines: Int
    var truncated: Bool
    var threshold: Double
    var reports: [JReport]
    var correlations: [JCorrelation]
    var hints: [JHint]

    init(_ a: MatchAnalysis) {
        let g = GenericFrames.bundled
        func commit(_ c: CommitRef?) -> JCommit? { c.map { JCommit(commit: $0.commit, title: $0.title, citation: $0.citation) } }
        func frames(_ fs: [Frame]) -> [JFrame] {
            fs.map { JFrame(function: $0.function, normalized: $0.normalized, offset: $0.offset, size: $0.size,
                            module: $0.module, reliable: $0.reliable, generic: g.category(of: $0.function),
                            stack: $0.stack.rawValue, line: $0.sourceLine + 1) }
        }
        input = a.input
        lines = a.extraction.lineCount
        truncated = a.extraction.truncated
        threshold = a.threshold
        reports = a.extraction.reports.enumerated().map { i, r in
            var stacks = r.stacks.map { JStack(label: $0.label, frames: frames($0.frames)) }
            stacks += r.lockLinks.map { JStack(label: "-> #\($0.index) (\($0.lockClass))", frames: frames($0.frames)) }
            let cands = a.candidates[i].map { c in
                JCandidate(id: c.bug.id, score: c.score, above_threshold: c.aboveThreshold, fix: commit(c.bug.fix),
                           fixed_in: c.bug.fixedIn, stable_seen: c.bug.stableSeen, fixes: c.bug.fixes.compactMap { commit($0) },
                           subsystem: c.bug.subsystem, kind: c.bug.kind.rawValue, summary: c.bug.summary, why: c.why,
                           matched_frames: c.framePairs.map {
                               JPair(bug_frame: $0.bugFrame, bug_index: $0.bugIndex, report_frame: $0.reportFrame,
                                     report_index: $0.reportIndex, stack: $0.stack)
                           }, matched_lock_classes: c.chainMatched)
            }
            return JReport(index: i + 1, title: r.title, alt_titles: r.altTitles, kind: r.kind.rawValue,
                           corrupted: r.corrupted, corrupted_reason: r.corruptedReason, source: r.source,
                           start_line: r.startLine + 1, end_line: r.endLine + 1, guilty_frame: r.guiltyFrame,
                           task: r.task, kernel_release: r.kernelRelease, lock_chain: r.lockChain,
                           lock_acquiring: r.lockAcquiring, lock_held: r.lockHeld, blocked_on: r.blockedOn, stacks: stacks,
                           registers: r.registers.mapValues { "0x" + String($0, radix: 16) },
                           known_bug: a.knownBug(for: i)?.bug.id, candidates: cands)
        }
        correlations = a.extraction.correlations.map { c in
            JCorrelation(value: "0x" + String(c.value, radix: 16),
                         sites: c.sites.map { JSite(report: $0.report + 1, registers: $0.registers) })
        }
        hints = a.hints.map { JHint(id: $0.bug.id, fix: commit($0.bug.fix), mentioned: $0.mentioned) }
    }
}

/// `ksleuth bugs`: the merged database as text or JSON.
public enum BugListRenderer {
    public static func text(_ db: KnownBugDatabase, verbose: Bool = false) -> String {
        var o = "\(db.bugs.count) known bug\(db.bugs.count == 1 ? "" : "s") from \(db.sources.joined(separator: ", "))\n"
        for b in db.bugs {
            o += "\n\(b.id)  [\(b.kind.rawValue), \(b.subsystem)]\n"
            o += "  fix:    \(b.fixCitation)\n"
            for f in b.fixes { o += "  Fixes:  \(f.citation)\n" }
            if !b.frames.isEmpty { o += "  frames: \(b.frames.joined(separator: " <- "))  (\(b.framesSource))\n" }
            if !b.lockChain.isEmpty { o += "  chain:  \(b.lockChain.joined(separator: " --> "))\n" }
            if verbose {
                o += "  " + MatchReportRenderer.wrap(b.summary, width: 100).replacingOccurrences(of: "\n", with: "\n  ") + "\n"
                o += "  source: \(b.provenance)\n"
            }
        }
        return o
    }

    public static func json(_ db: KnownBugDatabase) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? enc.encode(db.bugs) else { return "[]" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
