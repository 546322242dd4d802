import Backtraces

/// One database entry scored against one report, with the reasons.
public struct MatchCandidate: Sendable {
    public struct FramePair: Sendable, Codable, Equatable {
        /// The entry's frame and its position in the entry (0 = innermost).
        public var bugFrame: String
        public var bugIndex: Int
        /// The report frame it matched: its printed name, its position among the report's specific frames, the stack.
        public var reportFrame: String
        public var reportIndex: Int
        public var stack: String
    }

    public var bug: KnownBug
    public var score: Double
    public var aboveThreshold: Bool
    public var kindReason: String
    public var framePairs: [FramePair]
    /// How many of the entry's specific (non-generic) frames exist.
    public var bugFrameCount: Int
    public var chainMatched: [String]
    public var otherStackPairs: [FramePair]
    /// Plain-language reasons, best first.
    public var why: [String]
}

/// Scores reports against the database. Per entry: a kind gate, then an ordered frame similarity over normalised
/// frames (generic frames and `?` frames dropped, innermost frames weighted most), the lock chain for lockdep
/// entries, and a small bonus when the other party's stack (waker, holder, freeing task) is also present.
public struct Matcher: Sendable {
    public var database: KnownBugDatabase
    /// Candidates below this score are "no known bug". Calibrated on the fixtures and the syzkaller corpus
    /// (see docs/match.md): an entry's own report scores >= 0.8, look-alikes in the fixtures stay <= 0.45.
    public var threshold: Double
    /// How many of the report's specific frames are compared (innermost first).
    public var depth: Int
    public let generic: GenericFrames
    /// Each entry's specific frames (normalised, generic ones dropped), computed once.
    private let specificFrames: [(frames: [String], other: [String])]
    /// Per report kind, the entries (database order) whose kind gate admits it; per entry, its normalised lock
    /// classes. Both computed once, so ranking a report neither rebuilds the gate sets nor copies the entries.
    private let entriesByKind: [ReportKind: [Int]]
    private let normalizedChains: [[String]]

    public init(database: KnownBugDatabase, threshold: Double = 0.6, depth: Int = 24) {
        self.database = database
        self.threshold = threshold
        self.depth = depth
        let g = GenericFrames.bundled
        self.generic = g
        self.specificFrames = database.bugs.map { (Self.specific($0.frames, g), Self.specific($0.otherFrames, g)) }
        var byKind: [ReportKind: [Int]] = [:]
        for (i, bug) in database.bugs.enumerated() {
            for k in bug.kind.compatibleReportKinds { byKind[k, default: []].append(i) }
        }
        self.entriesByKind = byKind
        self.normalizedChains = database.bugs.map { $0.lockChain.map(LockChain.normalize) }
    }

    /// All candidates with a non-zero score, best first. `match(_:)` keeps those above the threshold.
    public func rank(_ report: CrashReport) -> [MatchCandidate] {
        let sequences = reportSequences(report)
        // Entries sharing no function and no lock class with the report score 0: skip them before any alignment.
        var names = Set<String>()
        for q in sequences { names.formUnion(q.names) }
        let classes = Set((report.lockChain + report.lockLinks.map(\.lockClass)).map(LockChain.normalize))
        var out: [MatchCandidate] = []
        for i in entriesByKind[report.kind] ?? [] {
            let sf = specificFrames[i]
            if !sf.frames.contains(where: names.contains) && !normalizedChains[i].contains(where: classes.contains) {
                continue
            }
            if let c = score(database.bugs[i], report, sequences, specific: sf), c.score > 0 { out.append(c) }
        }
        return out.sorted { ($0.score, $1.bug.id) > ($1.score, $0.bug.id) }
    }

    public func match(_ report: CrashReport) -> [MatchCandidate] { rank(report).filter(\.aboveThreshold) }

    struct Sequence {
        var label: String
        var names: [String]
        var printed: [String]
    }

    /// The report's stacks as sequences of specific frames: reliable, normalised, generic frames dropped.
    func reportSequences(_ r: CrashReport) -> [Sequence] {
        var seqs: [Sequence] = []
        func add(_ label: String, _ frames: [Frame]) {
            var names: [String] = []
            var printed: [String] = []
            for f in frames where f.reliable && !generic.isGeneric(f.function) {
                let n = f.normalized
                if names.last == n { continue }  // an inline frame and its caller line
                names.append(n)
                printed.append(f.function)
                if names.count >= depth { break }
            }
            if !names.isEmpty { seqs.append(Sequence(label: label, names: names, printed: printed)) }
        }
        for s in r.stacks { add(s.label, s.frames) }
        for l in r.lockLinks { add("lockdep chain link -> #\(l.index) (\(l.lockClass))", l.frames) }
        return seqs
    }

    func specific(_ names: [String]) -> [String] { Self.specific(names, generic) }

    static func specific(_ names: [String], _ generic: GenericFrames) -> [String] {
        var out: [String] = []
        for n in names.map(FrameNormalizer.normalize) where !generic.isGeneric(n) && !out.contains(n) { out.append(n) }
        return out
    }

    /// Ordered similarity of the entry's frames S against one report sequence R: the longest common subsequence,
    /// weighted toward the innermost frames of S, plus how close to R's innermost frame the match starts.
    func frameScore(_ s: [String], _ r: Sequence) -> (Double, [MatchCandidate.FramePair]) {
        guard !s.isEmpty, !r.names.isEmpty else { return (0, []) }
        let n = s.count, m = r.names.count
        var dp = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                dp[i][j] = s[i] == r.names[j] ? dp[i + 1][j + 1] + 1 : max(dp[i + 1][j], dp[i][j + 1])
            }
        }
        var pairs: [MatchCandidate.FramePair] = []
        var i = 0, j = 0
        while i < n && j < m {
            if s[i] == r.names[j] {
                pairs.append(.init(bugFrame: s[i], bugIndex: i, reportFrame: r.printed[j], reportIndex: j,
                                   stack: r.label))
                i += 1
                j += 1
            } else if dp[i + 1][j] >= dp[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        guard let first = pairs.first else { return (0, []) }
        func w(_ k: Int) -> Double { 1 / (1 + 0.5 * Double(k)) }
        let total = (0..<n).reduce(0.0) { $0 + w($1) }
        let covered = pairs.reduce(0.0) { $0 + w($1.bugIndex) }
        let coverage = covered / total
        let top: Double = first.reportIndex == 0 ? 1 : first.reportIndex <= 2 ? 0.6 : first.reportIndex <= 5 ? 0.3 : 0
        // One matched function is weak evidence however well placed; three in order is strong.
        let evidence: Double = pairs.count >= 3 ? 1 : pairs.count == 2 ? 0.9 : 0.75
        return ((0.65 * coverage + 0.35 * top) * evidence, pairs)
    }

    func chainScore(_ bugChain: [String], _ r: CrashReport) -> (Double, [String]) {
        var reportChain = r.lockChain.map(LockChain.normalize)
        if reportChain.isEmpty {
            reportChain = r.lockLinks.map(\.normalizedClass)
            if let a = r.lockAcquiring.map(LockChain.normalize), !reportChain.contains(a) { reportChain.append(a) }
        }
        let want = bugChain.map(LockChain.normalize)
        guard !want.isEmpty, !reportChain.isEmpty else { return (0, []) }
        let common = want.filter { reportChain.contains($0) }
        return (Double(common.count) / Double(max(want.count, reportChain.count)), common)
    }

    func score(_ bug: KnownBug, _ r: CrashReport, _ seqs: [Sequence],
               specific pre: (frames: [String], other: [String])? = nil) -> MatchCandidate? {
        guard bug.kind.compatibleReportKinds.contains(r.kind) else { return nil }
        let kindReason = "kind: report is a \(r.kind.description), entry is a \(bug.kind.description)"
        let s = pre?.frames ?? specific(bug.frames)
        var best: (Double, [MatchCandidate.FramePair]) = (0, [])
        for q in seqs {
            let fs = frameScore(s, q)
            if fs.0 > best.0 { best = fs }
        }
        var score = best.0
        var why: [String] = []
        if !best.1.isEmpty {
            let list = best.1.map { p in
                p.reportFrame == p.bugFrame ? "\(p.bugFrame) (#\(p.reportIndex))" : "\(p.bugFrame) as \(p.reportFrame) (#\(p.reportIndex))"
            }.joined(separator: " -> ")
            why.append("frames: \(best.1.count) of the entry's \(s.count) specific frames appear in order in the \(best.1[0].stack): \(list)")
        }
        var chainMatched: [String] = []
        if !bug.lockChain.isEmpty {
            let (cs, common) = chainScore(bug.lockChain, r)
            chainMatched = common
            score = r.lockChain.isEmpty && r.lockLinks.isEmpty ? score * 0.8 : 0.5 * score + 0.5 * cs
            if !common.isEmpty {
                why.append("lock chain: \(common.count) of \(bug.lockChain.count) classes match (\(common.joined(separator: " --> ")))")
            }
        }
        var otherPairs: [MatchCandidate.FramePair] = []
        let other = pre?.other ?? specific(bug.otherFrames)
        if !other.isEmpty && score > 0 {
            var bestOther: (Double, [MatchCandidate.FramePair]) = (0, [])
            for q in seqs where q.label != best.1.first?.stack {
                let fs = frameScore(other, q)
                if fs.0 > bestOther.0 { bestOther = fs }
            }
            if bestOther.1.count >= 2 {
                otherPairs = bestOther.1
                score = min(1, score + 0.1 * bestOther.0)
                why.append("other party: \(bestOther.1.map(\.bugFrame).joined(separator: " -> ")) in the \(bestOther.1[0].stack)")
            }
        }
        why.append(kindReason)
        guard score > 0 else { return nil }
        let rounded = (score * 100).rounded() / 100
        return MatchCandidate(bug: bug, score: rounded, aboveThreshold: rounded >= threshold, kindReason: kindReason,
                              framePairs: best.1, bugFrameCount: s.count, chainMatched: chainMatched,
                              otherStackPairs: otherPairs, why: why)
    }

    /// Text without any report (a mail thread, a commit message): entries whose distinctive identifiers it
    /// mentions, most mentions first. These are hints, never matches.
    public func hints(in text: String) -> [(bug: KnownBug, mentioned: [String])] {
        var tokens = Set<String>()
        var cur = ""
        for ch in text.unicodeScalars {
            if CharacterSet.identifier.contains(ch) { cur.unicodeScalars.append(ch) } else {
                if cur.count >= 4 { tokens.insert(cur) }
                cur = ""
            }
        }
        if cur.count >= 4 { tokens.insert(cur) }
        var out: [(KnownBug, [String])] = []
        for bug in database.bugs {
            var words = bug.keywords
            for f in specific(bug.frames + bug.otherFrames) where f.contains("_") && !words.contains(f) { words.append(f) }
            let hit = words.filter { tokens.contains($0) }
            if hit.count >= 2 || (!hit.isEmpty && hit.contains(where: { bug.keywords.contains($0) })) {
                out.append((bug, hit))
            }
        }
        return out.sorted { ($0.1.count, $1.0.id) > ($1.1.count, $0.0.id) }
    }
}

private struct CharacterSet {
    static let identifier = CharacterSet()
    func contains(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
    }
}
