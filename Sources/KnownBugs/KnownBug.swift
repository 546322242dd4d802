import Backtraces

/// A commit as the kernel cites it: `1362729b169b ("FS-Cache: Simplify cookie retention ...")`.
public struct CommitRef: Codable, Sendable, Equatable {
    /// The abbreviated id (12 characters where the full id was seen; shorter when only a prefix was published).
    public var commit: String
    public var title: String

    public init(commit: String, title: String) {
        self.commit = commit
        self.title = title
    }

    /// `1362729b169b ("FS-Cache: ...")`
    public var citation: String { "\(commit) (\"\(title)\")" }
}

/// The kind of bug a database entry describes. Which report kinds can show it is `compatibleReportKinds`.
public enum BugKind: String, Codable, Sendable, CaseIterable {
    case hungTask = "hung_task"
    case lostWakeup = "lost_wakeup"
    case nullDeref = "null_deref"
    case uafKasan = "uaf_kasan"
    case bugOn = "bug_on"
    case lockdep
    case deadlock
    case warning
    case race

    /// The kind gate: a report can only match entries whose kind it can show. Data, one line per kind.
    public var compatibleReportKinds: Set<ReportKind> {
        switch self {
        case .hungTask: return [.hungTask, .blockedTask, .softLockup, .rcuStall]
        case .lostWakeup: return [.hungTask, .blockedTask]
        case .nullDeref: return [.nullDeref, .pagingFault, .generalProtection, .kasan]
        case .uafKasan: return [.kasan, .kfence, .generalProtection, .pagingFault, .nullDeref, .warning, .bug]
        case .bugOn: return [.bug, .warning]
        case .lockdep: return [.lockdepCircular, .lockdep]
        case .deadlock: return [.lockdepCircular, .lockdep, .hungTask, .blockedTask, .softLockup, .rcuStall]
        case .warning: return [.warning, .lockdep]
        case .race: return [.bug, .warning, .nullDeref, .pagingFault, .generalProtection, .kasan]
        }
    }

    public var description: String {
        switch self {
        case .hungTask: return "hung task"
        case .lostWakeup: return "lost wake-up (shows as a hung/blocked task)"
        case .nullDeref: return "NULL pointer dereference"
        case .uafKasan: return "use-after-free"
        case .bugOn: return "BUG_ON()/assertion"
        case .lockdep: return "lockdep report"
        case .deadlock: return "deadlock"
        case .warning: return "WARNING"
        case .race: return "race"
        }
    }
}

/// One known bug: the fix, what the bug looks like in a report, and where those facts come from.
public struct KnownBug: Codable, Sendable {
    public var id: String
    /// The fix commit and the first mainline release that contains it ("v5.16"), when known.
    public var fix: CommitRef?
    public var fixedIn: String?
    /// A stable series whose review mail carried the fix ("5.15"), when seen.
    public var stableSeen: String?
    /// The commits the fix names in its `Fixes:` tags.
    public var fixes: [CommitRef]
    public var subsystem: String
    public var kind: BugKind
    /// Characteristic functions, innermost first, as a report of this bug shows them.
    public var frames: [String]
    /// Where the frames come from: trace (copied from a real backtrace), report, message, code, inferred.
    public var framesSource: String
    /// The other party's stack when the bug involves two (waker, lock holder, freeing task), innermost first.
    public var otherFrames: [String]
    /// Lockdep entries: the lock classes of the dependency chain, without `#N` subclass numbers.
    public var lockChain: [String]
    /// Identifiers that name this bug in prose (a wait queue, a flag); used only for hints on text without reports.
    public var keywords: [String]
    /// What goes wrong, in the project's words.
    public var summary: String
    /// Where the commit id, title and release were checked.
    public var provenance: String
    /// A fixture (path relative to the package root) holding a report that must match this entry.
    public var example: String?
    /// A fixture holding a look-alike report that must not match it.
    public var nearMiss: String?
    /// The database file the entry came from (set when loading).
    public var origin: String?

    enum CodingKeys: String, CodingKey {
        case id, fix, fixes, subsystem, kind, frames, keywords, summary, provenance, example, origin
        case fixedIn = "fixed_in"
        case stableSeen = "stable_seen"
        case framesSource = "frames_source"
        case otherFrames = "other_frames"
        case lockChain = "lock_chain"
        case nearMiss = "near_miss"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        fix = try c.decodeIfPresent(CommitRef.self, forKey: .fix)
        fixedIn = try c.decodeIfPresent(String.self, forKey: .fixedIn)
        stableSeen = try c.decodeIfPresent(String.self, forKey: .stableSeen)
        fixes = try c.decodeIfPresent([CommitRef].self, forKey: .fixes) ?? []
        subsystem = try c.decodeIfPresent(String.self, forKey: .subsystem) ?? "unknown"
        kind = try c.decode(BugKind.self, forKey: .kind)
        frames = try c.decodeIfPresent([String].self, forKey: .frames) ?? []
        framesSource = try c.decodeIfPresent(String.self, forKey: .framesSource) ?? "unknown"
        otherFrames = try c.decodeIfPresent([String].self, forKey: .otherFrames) ?? []
        lockChain = try c.decodeIfPresent([String].self, forKey: .lockChain) ?? []
        keywords = try c.decodeIfPresent([String].self, forKey: .keywords) ?? []
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
        provenance = try c.decodeIfPresent(String.self, forKey: .provenance) ?? ""
        example = try c.decodeIfPresent(String.self, forKey: .example)
        nearMiss = try c.decodeIfPresent(String.self, forKey: .nearMiss)
        origin = try c.decodeIfPresent(String.self, forKey: .origin)
    }

    /// The fix as a kernel developer writes it, with the release: `598ad0bd0932 ("netfs: ...") (v5.16)`.
    public var fixCitation: String {
        guard let fix else { return "no fix commit identified" }
        var s = fix.citation
        if let r = fixedIn { s += ", in \(r)" }
        if let st = stableSeen { s += fixedIn == nil ? ", backported to \(st).y" : " (also \(st).y stable)" }
        return s
    }
}
