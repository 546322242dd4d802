/// Parses `crash` utility `bt` output (also `bt -a`, `foreach bt`): one report per `PID: ... TASK: ... CPU: ...
/// COMMAND: "..."` block. Tolerates what people do to it when they paste it: collapsed whitespace, frame numbers
/// without `#`, `func+OFF at` (bt -s), `(via f)`, IRQ/NMI/exception stack switches, and the register dump of an
/// `[exception RIP: f+478]` frame, which becomes that frame's registers.
enum CrashBTParser {
    struct Block {
        var startLine: Int
        var endLine: Int
        var task: TaskInfo
        /// Frames above the exception frame: the trap / die / kexec path the kernel ran after the fault.
        var handlerFrames: [Frame]
        /// The exception frame (if any) and everything below it; otherwise all frames.
        var frames: [Frame]
        var exception: Frame?
    }

    static func parse(_ lines: [InputLine]) -> [Block] {
        var blocks: [Block] = []
        var i = 0
        while i < lines.count {
            // A block starts at a task header, or (for pastes that cut the header off) at a run of frame lines.
            var task: TaskInfo
            var j0 = i + 1
            let raw = lines[i].text
            guard utf8Contains(raw, pidTag) || utf8Contains(raw, atWord) else { i += 1; continue }
            if let t = header(raw) {
                task = t
            } else if frame(raw.trimmingSpaces(), lineIndex: i, kind: .task) != nil, i + 1 < lines.count,
                      frame(lines[i + 1].text.trimmingSpaces(), lineIndex: i + 1, kind: .task) != nil
                        || lines[i + 1].text.trimmingSpaces().hasPrefix("[exception RIP") {
                task = TaskInfo()
                j0 = i
            } else {
                i += 1
                continue
            }
            var b = Block(startLine: i, endLine: i, task: task, handlerFrames: [], frames: [], exception: nil)
            var kind: StackKind = .task
            var all: [Frame] = []
            var excIndex: Int?
            var unknownRun = 0
            var j = j0
            while j < lines.count {
                let t = lines[j].text.trimmingSpaces()
                if header(t) != nil { break }
                if t.hasPrefix("--- <") {
                    kind = t.contains("IRQ") ? .irq : t.contains("NMI") ? .nmi : t.contains("exception") ? .exception : .task
                    b.endLine = j
                    unknownRun = 0
                } else if t.hasPrefix("[exception RIP: ") || t.hasPrefix("[exception RIP:") {
                    let inner = t.dropFirst("[exception RIP:".count).trimmingCharacters(in: " ]")
                    var f = Frame(function: inner, stack: .exception, sourceLine: j)
                    if let plus = inner.firstIndex(of: "+") {
                        f.function = String(inner[..<plus])
                        let off = inner[inner.index(after: plus)...]
                        f.offset = off.hasPrefix("0x") ? FrameParser.parseHex(Array(off.dropFirst(2).utf8))
                            : UInt64(off)
                    }
                    f.registers = [:]
                    excIndex = all.count
                    all.append(f)
                    b.endLine = j
                    unknownRun = 0
                } else if let f = frame(t, lineIndex: j, kind: kind) {
                    all.append(f)
                    b.endLine = j
                    unknownRun = 0
                } else if var regs = excIndex.map({ all[$0].registers ?? [:] }),
                          ReportBuilder.parseRegisters(t, into: &regs) || t.hasPrefix("ORIG_RAX:") {
                    // Registers right after the exception frame belong to it; later dumps (user-mode return) do not.
                    if let e = excIndex, all.count == e + 1 { all[e].registers = regs }
                    b.endLine = j
                    unknownRun = 0
                } else if t.isEmpty {
                    // A blank line ends the block, unless the block goes on right after it (the blank is where a
                    // mail-wrapped line was joined back, see InputNormalizer.rejoinWrapped).
                    if !all.isEmpty {
                        guard j + 1 < lines.count else { break }
                        let n = lines[j + 1].text.trimmingSpaces()
                        var scratch: [String: UInt64] = [:]
                        let goesOn = frame(n, lineIndex: j + 1, kind: kind) != nil || n.hasPrefix("[exception RIP")
                            || ReportBuilder.parseRegisters(n, into: &scratch) || n.hasPrefix("ORIG_RAX:")
                        if !goesOn { break }
                    }
                } else {
                    var scratch: [String: UInt64] = [:]
                    if ReportBuilder.parseRegisters(t, into: &scratch) { b.endLine = j; j += 1; continue }
                    // Tolerate a stray line or two (a reporter's "<---- RAX is NULL" inside the dump), not more.
                    unknownRun += 1
                    if unknownRun > 2 { break }
                }
                j += 1
            }
            if let e = excIndex {
                b.handlerFrames = Array(all[..<e])
                b.frames = Array(all[e...])
                b.exception = all[e]
            } else {
                b.frames = all
            }
            if !all.isEmpty { blocks.append(b) }
            i = max(j, i + 1)
        }
        return blocks
    }

    private static let atWord = Array(" at ".utf8)
    private static let pidTag = Array("PID:".utf8)

    /// `PID: 29360  TASK: ffff881ff2ac0f80  CPU: 3   COMMAND: "zsh"`
    static func header(_ line: String) -> TaskInfo? {
        guard utf8Contains(line, pidTag) else { return nil }
        let t = line.trimmingSpaces()
        guard t.hasPrefix("PID:"), utf8Contains(t, Array("TASK:".utf8)), utf8Contains(t, Array("COMMAND:".utf8)) else {
            return nil
        }
        let toks = t.split(separator: " ", omittingEmptySubsequences: true)
        var info = TaskInfo()
        for (k, tok) in toks.enumerated() where k + 1 < toks.count {
            switch tok {
            case "PID:": info.pid = Int(toks[k + 1])
            case "TASK:": info.taskAddress = FrameParser.parseHex(Array(toks[k + 1].utf8))
            case "CPU:": info.cpu = Int(toks[k + 1])
            default: break
            }
        }
        if let q = t.range(of: "COMMAND: \"") {
            let rest = t[q.upperBound...]
            info.comm = String(rest.prefix(while: { $0 != "\"" }))
        }
        return info
    }

    /// ` #4 [ffff881ff43efd08] fscache_wait_for_deferred_lookup at ffffffffa04f2e8f [fscache]`
    static func frame(_ t: String, lineIndex: Int, kind: StackKind) -> Frame? {
        guard utf8Contains(t, atWord), utf8Contains(t, [0x5B]) else { return nil }
        var toks = t.split(separator: " ", omittingEmptySubsequences: true)
        guard toks.count >= 4 else { return nil }
        var n = toks[0]
        if n.hasPrefix("#") { n = n.dropFirst() }
        guard !n.isEmpty, n.allSatisfy(\.isNumber) else { return nil }
        guard toks[1].hasPrefix("["), toks[1].hasSuffix("]") else { return nil }
        guard toks[3] == "at", toks.count >= 5 else { return nil }
        var name = Substring(toks[2])
        var offset: UInt64?
        if let plus = name.firstIndex(of: "+") {
            let off = name[name.index(after: plus)...]
            offset = off.hasPrefix("0x") ? FrameParser.parseHex(Array(off.dropFirst(2).utf8)) : UInt64(off)
            name = name[..<plus]
        }
        let addr = FrameParser.parseHex(Array(toks[4].utf8))
        toks.removeFirst(5)
        var module: String?
        for tok in toks where tok.hasPrefix("[") && tok.hasSuffix("]") && tok.count > 2 {
            module = String(tok.dropFirst().dropLast())
        }
        return Frame(function: String(name), address: addr, offset: offset, module: module, stack: kind,
                     sourceLine: lineIndex)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String { Substring(self).trimmingCharacters(in: set) }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
