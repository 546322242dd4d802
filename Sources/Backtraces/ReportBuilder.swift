/// Reads the structure of a console report from its cleaned lines: labelled stacks (Call Trace, IRQ/NMI switches,
/// KASAN's Allocated/Freed stacks, lockdep's chain links and `stack backtrace:`), lockdep's lock classes and chain,
/// the task, the kernel release and the register dump.
enum ReportBuilder {
    struct Structure {
        var stacks: [Stack] = []
        var lockLinks: [LockLink] = []
        var lockChain: [String] = []
        var lockAcquiring: String?
        var lockHeld: String?
        var task: TaskInfo?
        var release: String?
        var registers: [String: UInt64] = [:]
        var blockedOn: String?
        var lastStructuredLine: Int = 0
    }

    /// Lines that open a new labelled stack.
    static let stackStarts: [String] = ["Call Trace:", "Call trace:", "Backtrace:", "stack backtrace:",
                                        "Allocated by task", "Freed by task", "Allocated:", "Freed:",
                                        "Last potentially related work creation:", "Second to last potentially related",
                                        "Uninit was created at:", "Uninit was stored to memory at:", "backtrace:"]

    static func build(lines: [String], index: [Int]) -> Structure {
        var s = Structure()
        var current: Stack?
        var stackKind: StackKind = .task
        var pendingIP: Frame?
        var pendingLinkIndex: Int?
        var pendingLinkClass: String?
        var expect: String?   // "acquire" | "held" | "chain"
        /// Appends to the open stack; the first frame after a prepended RIP/pc frame of the same function (arm64
        /// prints `pc : f+0x20` and then ` f+0x20 (P)`) is the same frame, not a second one.
        func appendFrame(_ frame: Frame) {
            if current == nil { current = Stack(label: "frames", frames: []) }
            if let c = current, c.frames.count == 1, c.frames[0].stack == .exception, c.frames[0].function == frame.function,
               c.frames[0].offset == frame.offset {
                return
            }
            current?.frames.append(frame)
        }
        func close() {
            if let c = current {
                if let li = pendingLinkIndex, let cls = pendingLinkClass {
                    s.lockLinks.append(LockLink(index: li, lockClass: cls, frames: c.frames))
                    pendingLinkIndex = nil
                    pendingLinkClass = nil
                } else if !c.frames.isEmpty {
                    s.stacks.append(c)
                }
            }
            current = nil
        }
        for (k, raw) in lines.enumerated() {
            let src = index.indices.contains(k) ? index[k] : k
            // Fast path for the common case, a plain frame line (" func+0x1/0x2 [mod]", " ? f+..", "[<addr>] f+.."):
            // it starts with a lower-case letter, '?' or '[' and, unlike every marker line, does not end with ':'.
            if expect == nil, let f = raw.utf8.first(where: { $0 != 0x20 && $0 != 0x09 }),
               (f >= 0x61 && f <= 0x7A) || f == 0x3F || f == 0x5B, raw.utf8.last != 0x3A,
               !raw.hasPrefix("-> #"), let (frame0, isIP) = FrameParser.parse(raw, lineIndex: src), !isIP {
                var frame = frame0
                frame.stack = stackKind
                s.lastStructuredLine = src
                appendFrame(frame)
                continue
            }
            let line = raw.trimmingSpaces()
            if let e = expect {
                expect = nil
                switch e {
                case "acquire": s.lockAcquiring = lockClass(inAtLine: line)
                case "held": s.lockHeld = lockClass(inAtLine: line)
                case "chain":
                    let parts = line.components(separatedBy: " --> ").map { $0.trimmingSpaces() }
                    if parts.count >= 2 { s.lockChain = parts }
                default: break
                }
                if e != "chain" { continue }
            }
            // First and last byte: each prefix/suffix test below runs only when that byte allows it (a String
            // hasPrefix costs ~100 instructions, and most lines reaching here are register dumps and prose).
            let f0 = line.utf8.first ?? 0, l0 = line.utf8.last ?? 0
            if l0 == 0x3A && (line.hasSuffix("is trying to acquire lock:") || line.hasSuffix("is trying to acquire:")) {
                expect = "acquire"; close(); continue
            }
            if f0 == 0x62 && line.hasPrefix("but task is already holding lock:") { expect = "held"; close(); continue }
            if f0 == 0x43 && line.hasPrefix("Chain exists of:") { expect = "chain"; close(); continue }
            if f0 == 0x2D && line.hasPrefix("-> #"), let (idx, cls) = parseLink(line) {
                close()
                pendingLinkIndex = idx
                pendingLinkClass = cls
                current = Stack(label: "-> #\(idx) (\(cls))", frames: [])
                s.lastStructuredLine = src
                continue
            }
            let mayStart = (l0 == 0x3A && line.hasSuffix(":")) || (f0 == 0x41 && line.hasPrefix("Allocated by"))
                || (f0 == 0x46 && line.hasPrefix("Freed by")) || (f0 == 0x53 && line.hasPrefix("Second to last"))
            if mayStart, let start = stackStarts.first(where: { line.hasPrefix($0) || line.hasSuffix($0) }) {
                close()
                stackKind = .task
                var label = start
                if start.hasPrefix("Allocated by") || start.hasPrefix("Freed by") {
                    label = line.hasSuffix(":") ? String(line.dropLast()) : line
                }
                current = Stack(label: label.hasSuffix(":") ? String(label.dropLast()) : label, frames: [])
                if let ip = pendingIP, start.hasPrefix("Call") || start.hasPrefix("Backtrace") {
                    current?.frames.append(ip)
                    pendingIP = nil
                }
                s.lastStructuredLine = src
                continue
            }
            if f0 == 0x3C || f0 == 0x2E || f0 == 0 {  // the markers below start with '<' or '.', or are empty
                switch line {
                case "<IRQ>": stackKind = .irq; continue
                case "</IRQ>", "<EOI>", "<TASK>", "</TASK>", "</NMI>", "<<EOE>>": stackKind = .task; continue
                case "<NMI>": stackKind = .nmi; continue
                case "<SOFTIRQ>": stackKind = .softirq; continue
                case "...", "": continue
                default: break
                }
            }
            if f0 == 0x2D && line.hasPrefix("---[ end trace") { close(); s.lastStructuredLine = src; continue }
            parseTask(line, into: &s)
            if s.blockedOn == nil, f0 == 0x49, line.hasPrefix("INFO: task "), let r = line.range(of: " is blocked on ") {
                s.blockedOn = String(line[r.upperBound...]).trimmingCharacters(in: ".")
            }
            if parseRegisters(line, into: &s.registers) { s.lastStructuredLine = src; continue }
            if let (frame0, isIP) = FrameParser.parse(raw, lineIndex: src) {
                var frame = frame0
                frame.stack = stackKind
                s.lastStructuredLine = src
                if isIP {
                    frame.stack = .exception
                    if current == nil || !(current?.frames.isEmpty ?? true) {
                        // An IP line before the Call Trace: the faulting function, innermost.
                        close()
                        pendingIP = frame
                    } else {
                        current?.frames.append(frame)
                    }
                    continue
                }
                appendFrame(frame)
                continue
            }
            // ARM register lines (" r10:c0be7a58  r9:...") and exception stack hex dumps sit between frames.
            if isARMNoise(line) { continue }
            // A line that is not part of a stack closes it (register dumps, "Code:", prose).
            if current != nil && !(current?.frames.isEmpty ?? true) { close() }
        }
        close()
        if let ip = pendingIP { s.stacks.insert(Stack(label: "RIP", frames: [ip]), at: 0) }
        return s
    }

    static func isARMNoise(_ line: String) -> Bool {
        let b = Array(line.utf8)
        if b.count > 3 && b[0] == 0x72 && b[1].isDigit && (b[2] == 0x3A || (b[2].isDigit && b[3] == 0x3A)) { return true }
        if line.hasPrefix("Exception stack(") { return true }
        // "dd80: 00000000 c0be7a58 ..." hex dump rows
        if b.count > 6 && b[4] == 0x3A && b[0..<4].allSatisfy(\.isHexDigit) { return true }
        return false
    }

    /// `ffff88810c81d730 (mapping.invalidate_lock#3){.+.+}-{3:3}, at: filemap_fault+0x276/0x7a5` -> the class.
    static func lockClass(inAtLine line: String) -> String? {
        guard let open = line.firstIndex(of: "(") else { return nil }
        let rest = line[line.index(after: open)...]
        if let brace = rest.range(of: "){") { return String(rest[..<brace.lowerBound]) }
        if let close = rest.range(of: "), at:") ?? rest.range(of: ")", options: .backwards) {
            return String(rest[..<close.lowerBound])
        }
        return nil
    }

    /// `-> #2 (&mm->mmap_lock#2){++++}-{3:3}:` -> (2, "&mm->mmap_lock#2")
    static func parseLink(_ line: String) -> (Int, String)? {
        let body = line.dropFirst(4)
        let digits = body.prefix(while: \.isNumber)
        guard let idx = Int(digits) else { return nil }
        let rest = body.dropFirst(digits.count)
        guard let open = rest.firstIndex(of: "(") else { return nil }
        let inner = rest[rest.index(after: open)...]
        let end = inner.range(of: "){", options: .backwards)?.lowerBound
            ?? inner.range(of: "):", options: .backwards)?.lowerBound
        guard let end else { return nil }
        return (idx, String(inner[..<end]))
    }

    /// `CPU: 0 PID: 65517 Comm: holetest Not tainted 5.15.0-rc1-build2+ #292`, hung-task headers.
    static func parseTask(_ line: String, into s: inout Structure) {
        let f0 = line.utf8.first ?? 0  // gates the prefix tests, as in `build`
        if (f0 == 0x43 && line.hasPrefix("CPU:")) || utf8Contains(line, pidTag) && utf8Contains(line, commTag) {
            var t = s.task ?? TaskInfo()
            let toks = spaceSplit(line)
            for (i, tok) in toks.enumerated() where i + 1 < toks.count {
                switch tok {
                case "CPU:": t.cpu = t.cpu ?? Int(toks[i + 1])
                case "PID:": t.pid = t.pid ?? Int(toks[i + 1])
                case "Comm:": t.comm = t.comm ?? String(toks[i + 1])
                default: break
                }
            }
            s.task = t
            if s.release == nil { s.release = release(in: toks) }
        } else if s.task == nil, f0 == 0x49, line.hasPrefix("INFO: task ") {
            // INFO: task zsh:29360 blocked for more than 120 seconds.  (comm may contain ':' and spaces are rare)
            let token = line.dropFirst(11).prefix(while: { $0 != " " })
            if let colon = token.lastIndex(of: ":") {
                s.task = TaskInfo(comm: String(token[..<colon]), pid: Int(token[token.index(after: colon)...]),
                                  cpu: nil, taskAddress: nil)
            }
        } else if f0 == 0x50, line.hasPrefix("Pid: "), let comma = line.firstIndex(of: ",") {
            // 2.6-era "Pid: 1873, comm: kslowd002 Not tainted 2.6.32-358.el6.x86_64 #1"
            var t = s.task ?? TaskInfo()
            t.pid = t.pid ?? Int(line[line.index(line.startIndex, offsetBy: 5)..<comma])
            let toks = line.split(separator: " ", omittingEmptySubsequences: true)
            if let c = toks.firstIndex(of: "comm:"), c + 1 < toks.count { t.comm = t.comm ?? String(toks[c + 1]) }
            s.task = t
            if s.release == nil { s.release = release(in: toks) }
        } else if f0 == 0x50, line.hasPrefix("Process "), let open = line.range(of: " (pid: ") {
            // 2.6-era "Process kslowd002 (pid: 1873, threadinfo ..., task ...)"
            var t = s.task ?? TaskInfo()
            t.comm = t.comm ?? String(line[line.index(line.startIndex, offsetBy: 8)..<open.lowerBound])
            t.pid = t.pid ?? Int(line[open.upperBound...].prefix(while: \.isNumber))
            s.task = t
        } else if s.release == nil && (utf8Contains(line, notTainted) || (f0 == 0x54 && line.hasPrefix("Tainted:"))) {
            s.release = release(in: spaceSplit(line))
        }
    }

    /// `line.split(separator: " ")` (empty pieces omitted), cut on the UTF-8 bytes when the line is ASCII (the
    /// Character split costs ~30k instructions on a `CPU: ...` line).
    static func spaceSplit(_ line: String) -> [Substring] {
        let ascii = line.utf8.withContiguousStorageIfAvailable { b in !b.contains(where: { $0 >= 0x80 }) } ?? false
        guard ascii else { return line.split(separator: " ", omittingEmptySubsequences: true) }
        return line.utf8.split(separator: 0x20, omittingEmptySubsequences: true).map { line[$0.startIndex..<$0.endIndex] }
    }

    private static let pidTag = Array(" PID: ".utf8)
    private static let commTag = Array(" Comm: ".utf8)
    private static let notTainted = Array("Not tainted ".utf8)

    private static func release(in toks: [Substring]) -> String? {
        for (i, tok) in toks.enumerated() where i + 1 < toks.count && toks[i + 1].hasPrefix("#") {
            let parts = tok.split(separator: ".")
            if parts.count >= 2, parts[0].allSatisfy(\.isNumber), parts[1].first?.isNumber == true {
                return String(tok)
            }
        }
        return nil
    }

    static let registerNames: Set<String> = ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10",
                                             "R11", "R12", "R13", "R14", "R15", "EAX", "EBX", "ECX", "EDX", "ESI",
                                             "EDI", "EBP", "ESP", "CR2", "ORIG_RAX", "RIP"]

    /// `RAX: ffff8800d8661ab8 RBX: ffff8800d3b6b178 RCX: ...` -> registers. Returns true for a register line.
    static let registerNameBytes: Set<[UInt8]> = Set(registerNames.map { Array($0.utf8) })

    private static let registerNameList: [[UInt8]] = registerNames.map { Array($0.utf8) }

    /// Same answer as `registerNameBytes.contains(Array(name))`, without building an array and hashing it.
    @inline(__always)
    static func isRegisterName<C: Collection>(_ name: C) -> Bool where C.Element == UInt8 {
        let n = name.count
        guard n >= 2 && n <= 8 else { return false }
        for r in registerNameList where r.count == n && r.elementsEqual(name) { return true }
        return false
    }

    /// Reads `NAME: value` pairs of a register dump line, on bytes (tokens are separated by spaces).
    static func parseRegisters(_ line: String, into regs: inout [String: UInt64]) -> Bool {
        // Gate: a register line starts with a register name and a colon.
        var colon = -1
        for (i, c) in line.utf8.enumerated() {
            if c == 0x3A { if i >= 2 { colon = i }; break }
            if !((c >= 0x41 && c <= 0x5A) || c.isDigit || c == 0x5F) || i > 8 { break }
        }
        guard colon >= 0, isRegisterName(line.utf8.prefix(colon)) else { return false }
        let b = Array(line.utf8)
        var toks: [Range<Int>] = []
        toks.reserveCapacity(16)
        var i = 0
        while i < b.count {
            while i < b.count && b[i] == 0x20 { i += 1 }
            let s = i
            while i < b.count && b[i] != 0x20 { i += 1 }
            if i > s { toks.append(s..<i) }
        }
        func isName(_ t: Range<Int>) -> Bool {
            t.count >= 2 && b[t.upperBound - 1] == 0x3A && isRegisterName(b[t.lowerBound..<(t.upperBound - 1)])
        }
        guard let first = toks.first, isName(first) else { return false }
        if b[first] == [0x52, 0x49, 0x50, 0x3A] && toks.count > 1 && b[toks[1]].contains(0x3A) { return false }  // "RIP: 0010:func+..."
        var found = false
        var k = 0
        while k + 1 < toks.count {
            let name = toks[k]
            if isName(name) {
                var v = b[toks[k + 1]]
                if let c = v.lastIndex(of: 0x3A) { v = v[(c + 1)...] }  // "RSP: 0018:ffffc900..."
                if let value = FrameParser.parseHex(Array(v)) {
                    regs[String(decoding: b[name.lowerBound..<(name.upperBound - 1)], as: UTF8.self)] = value
                    found = true
                }
                k += 2
            } else {
                k += 1
            }
        }
        return found
    }
}
