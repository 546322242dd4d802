/// Why an input cannot be read as text.
public enum InputError: Error, Equatable, CustomStringConvertible {
    case binary(controlBytes: Int, sampled: Int)

    public var description: String {
        switch self {
        case let .binary(c, n):
            return "input looks binary (\(c) of the first \(n) bytes are control bytes), not a kernel log"
        }
    }
}

/// The entry point: finds every report in arbitrary text (dmesg, serial console, syslog/journal, email quotes,
/// `crash` bt output), with line spans, kinds, titles, stacks and the values reports share.
public struct ReportExtractor: Sendable {
    public var limits: ExtractionLimits
    let table: FormatTable
    let generic: GenericFrames

    public init(limits: ExtractionLimits = ExtractionLimits()) {
        self.limits = limits
        self.table = FormatTable.linux
        self.generic = GenericFrames.bundled
    }

    /// Refuses binary input; everything else (including empty input) yields an `Extraction`, maybe with no reports.
    public func extract(bytes: [UInt8]) throws -> Extraction {
        let sample = bytes.prefix(65536)
        var control = 0
        for c in sample where c == 0 || (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D && c != 0x0C && c != 0x1B) {
            control += 1
        }
        if !sample.isEmpty && control * 100 > sample.count * 5 {
            throw InputError.binary(controlBytes: control, sampled: sample.count)
        }
        return extractText(bytes)
    }

    public func extract(text: String) -> Extraction { extractText(Array(text.utf8)) }

    private func extractText(_ bytes: [UInt8]) -> Extraction {
        var (lines, truncated) = InputNormalizer.split(bytes, limits: limits)
        let parser = ConsoleParser(table: table)
        parser.annotateInParallel(&lines)
        // Report boundaries first (one cheap pass), then each report parsed on its own: a report longer than the
        // parser's line cap cannot hide the reports after it. The reports are parsed in parallel (results kept in
        // input order); the `crash` bt scan is one more work item beside them (a nested parallel loop would run
        // serially inside libdispatch's apply).
        let frozen = lines
        enum Work: Sendable { case console(CrashReport?), bt([CrashBTParser.Block]) }
        let work = Parallel.map([-1] + parser.reportStarts(frozen)) { from -> Work in
            from < 0 ? .bt(CrashBTParser.parse(frozen)) : .console(parser.parse(frozen, from: from).map { consoleReport($0) })
        }
        var console: [CrashReport?] = []
        var blocks: [CrashBTParser.Block] = []
        for w in work {
            switch w {
            case let .console(r): console.append(r)
            case let .bt(b): blocks = b
            }
        }
        var reports: [CrashReport] = console.compactMap { $0 }
        // A bt block inside a console report's span is still its own task: keep both.
        for block in blocks { reports.append(crashReport(block)) }
        reports.sort { $0.startLine < $1.startLine }
        return Extraction(reports: reports, correlations: Self.correlate(reports), lineCount: lines.count,
                          truncated: truncated)
    }

    private func consoleReport(_ r: ConsoleParser.Result) -> CrashReport {
        let s = ReportBuilder.build(lines: r.lines, index: r.lineIndex)
        var end = max(r.startLine, s.lastStructuredLine)
        if let next = r.nextReportLine { end = min(end, next - 1) }
        end = max(end, r.startLine)
        return CrashReport(kind: ReportKind.from(title: r.title), title: r.title, altTitles: r.altTitles,
                           corrupted: r.corruptedReason != nil, corruptedReason: r.corruptedReason,
                           startLine: r.startLine, endLine: end, guiltyFrame: Self.guiltyFrame(r.title),
                           task: s.task, kernelRelease: s.release, stacks: s.stacks, lockLinks: s.lockLinks,
                           lockChain: s.lockChain, lockAcquiring: s.lockAcquiring, lockHeld: s.lockHeld,
                           blockedOn: s.blockedOn, registers: s.registers, source: "console")
    }

    /// `kernel BUG in d_splice_alias` -> d_splice_alias
    static func guiltyFrame(_ title: String) -> String? {
        guard let r = title.range(of: " in ", options: .backwards) else { return nil }
        let f = title[r.upperBound...]
        guard !f.isEmpty, f.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        return String(f)
    }

    /// Trap-path frames that say what kind of exception a crash bt shows.
    static let exceptionKinds: [(String, ReportKind, String)] = [
        ("invalid_op", .bug, "kernel BUG in"),
        ("do_invalid_op", .bug, "kernel BUG in"),
        ("exc_invalid_op", .bug, "kernel BUG in"),
        ("general_protection", .generalProtection, "general protection fault in"),
        ("exc_general_protection", .generalProtection, "general protection fault in"),
        ("page_fault", .pagingFault, "BUG: unable to handle kernel paging request in"),
        ("async_page_fault", .pagingFault, "BUG: unable to handle kernel paging request in"),
        ("exc_page_fault", .pagingFault, "BUG: unable to handle kernel paging request in"),
        ("do_page_fault", .pagingFault, "BUG: unable to handle kernel paging request in"),
        ("divide_error", .other, "divide error in"),
        ("nmi", .other, "NMI in"),
    ]

    private func crashReport(_ b: CrashBTParser.Block) -> CrashReport {
        let frames = b.frames
        var kind = ReportKind.other
        var title: String
        func firstSpecific(_ fs: [Frame]) -> String? {
            fs.first(where: { !generic.isGeneric($0.function) }).map { FrameNormalizer.normalize($0.function) }
        }
        if let exc = b.exception {
            let handler = b.handlerFrames.map { FrameNormalizer.normalize($0.function) }
            var prefix = "kernel crash in"
            for (name, k, p) in Self.exceptionKinds where handler.contains(name) {
                kind = k
                prefix = p
                break
            }
            let f = generic.isGeneric(exc.function) ? (firstSpecific(frames) ?? exc.function) : exc.function
            title = "\(prefix) \(FrameNormalizer.normalize(f))"
        } else if let top = frames.first, generic.category(of: top.function) == "sleep" {
            kind = .blockedTask
            title = "INFO: task hung in \(firstSpecific(frames) ?? FrameNormalizer.normalize(top.function))"
        } else if frames.contains(where: { ["panic", "crash_kexec", "__crash_kexec"].contains($0.function) }) {
            kind = .panic
            title = "kernel panic in \(firstSpecific(frames) ?? "unknown")"
        } else {
            title = "task stack in \(firstSpecific(frames) ?? frames.first?.function ?? "unknown")"
        }
        var stacks = [Stack(label: "crash bt PID \(b.task.pid.map(String.init) ?? "?") \"\(b.task.comm ?? "")\"",
                            frames: frames)]
        if !b.handlerFrames.isEmpty { stacks.append(Stack(label: "trap handler", frames: b.handlerFrames)) }
        return CrashReport(kind: kind, title: title, altTitles: [], corrupted: frames.isEmpty,
                           corruptedReason: frames.isEmpty ? "no frames" : nil, startLine: b.startLine,
                           endLine: b.endLine, guiltyFrame: Self.guiltyFrame(title), task: b.task,
                           kernelRelease: nil, stacks: stacks, lockLinks: [], lockChain: [], lockAcquiring: nil,
                           lockHeld: nil, blockedOn: nil, registers: b.exception?.registers ?? [:], source: "crash-bt")
    }

    /// Values (kernel heap pointers) that appear in the registers of two or more reports.
    static func correlate(_ reports: [CrashReport]) -> [Correlation] {
        var sites: [UInt64: [Int: [String]]] = [:]
        let ignored: Set<String> = ["RSP", "RBP", "RIP", "ESP", "EBP", "EIP", "ORIG_RAX"]
        for (i, r) in reports.enumerated() {
            for (name, v) in r.registers where !ignored.contains(name) {
                guard v >= 0xffff_8000_0000_0000 && v < 0xffff_ffff_8000_0000 else { continue }
                if let t = r.task?.taskAddress, t == v { continue }
                sites[v, default: [:]][i, default: []].append(name)
            }
        }
        var out: [Correlation] = []
        for (v, m) in sites where m.count >= 2 {
            let s = m.keys.sorted().map { Correlation.Site(report: $0, registers: m[$0]!.sorted(by: registerOrder)) }
            out.append(Correlation(value: v, sites: s))
        }
        // Most sites first, then values seen in argument registers (RDI, RSI, ...) before others.
        func rank(_ c: Correlation) -> Int {
            c.sites.flatMap(\.registers).map { registerRank[$0] ?? 99 }.min() ?? 99
        }
        return out.sorted { ($1.sites.count, rank($0), $0.value) < ($0.sites.count, rank($1), $1.value) }
    }

    static let registerRank: [String: Int] = ["RDI": 0, "RSI": 1, "RDX": 2, "RCX": 3, "R8": 4, "R9": 5, "RAX": 6,
                                              "RBX": 7, "R10": 8, "R11": 9, "R12": 10, "R13": 11, "R14": 12, "R15": 13]
    static func registerOrder(_ a: String, _ b: String) -> Bool {
        (registerRank[a] ?? 99, a) < (registerRank[b] ?? 99, b)
    }
}
