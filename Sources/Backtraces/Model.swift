// The report and frame model shared by the extractor, the matcher and the renderers.

/// What kind of kernel report this is. Derived from the canonical title (see `ReportKind.from(title:)`), or set
/// by the `crash` bt parser. The raw values are stable: they appear in `--json` output and in `--db` files.
public enum ReportKind: String, Codable, Sendable, CaseIterable {
    case nullDeref = "null_deref"
    case pagingFault = "paging_fault"
    case generalProtection = "general_protection_fault"
    case bug = "bug"
    case warning = "warning"
    case kasan = "kasan"
    case kfence = "kfence"
    case kmsan = "kmsan"
    case kcsan = "kcsan"
    case ubsan = "ubsan"
    case lockdepCircular = "lockdep_circular"
    case lockdep = "lockdep"
    case hungTask = "hung_task"
    case blockedTask = "blocked_task"
    case rcuStall = "rcu_stall"
    case softLockup = "soft_lockup"
    case panic = "panic"
    case memoryLeak = "memory_leak"
    case other = "other"

    /// Human words for the kind, as printed in text output.
    public var description: String {
        switch self {
        case .nullDeref: return "NULL pointer dereference"
        case .pagingFault: return "paging fault"
        case .generalProtection: return "general protection fault"
        case .bug: return "BUG()/BUG_ON() assertion"
        case .warning: return "WARNING"
        case .kasan: return "KASAN report"
        case .kfence: return "KFENCE report"
        case .kmsan: return "KMSAN report"
        case .kcsan: return "KCSAN data race"
        case .ubsan: return "UBSAN report"
        case .lockdepCircular: return "lockdep: circular locking dependency"
        case .lockdep: return "lockdep report"
        case .hungTask: return "hung task"
        case .blockedTask: return "blocked task (crash bt)"
        case .rcuStall: return "RCU stall"
        case .softLockup: return "soft lockup"
        case .panic: return "kernel panic"
        case .memoryLeak: return "memory leak"
        case .other: return "other"
        }
    }

    /// Title prefixes -> kind, first match wins. Data, so a new family is one line.
    static let titlePrefixes: [(String, ReportKind)] = [
        ("BUG: unable to handle kernel NULL pointer dereference", .nullDeref),
        ("KASAN: null-ptr-deref", .nullDeref),
        ("BUG: unable to handle kernel", .pagingFault),
        ("Unable to handle kernel", .pagingFault),
        ("Unhandled fault", .pagingFault),
        ("general protection fault", .generalProtection),
        ("stack segment fault", .generalProtection),
        ("kernel BUG", .bug),
        ("invalid opcode", .bug),
        ("BUG: corrupted list", .bug),
        ("possible deadlock", .lockdepCircular),
        ("inconsistent lock state", .lockdep),
        ("WARNING: bad unlock balance", .lockdep),
        ("BUG: bad unlock balance", .lockdep),
        ("WARNING: suspicious RCU usage", .lockdep),
        ("INFO: suspicious RCU usage", .lockdep),
        ("WARNING: locking bug", .lockdep),
        ("WARNING: held lock freed", .lockdep),
        ("BUG: held lock freed", .lockdep),
        ("WARNING: nested lock was not taken", .lockdep),
        ("INFO: trying to register non-static key", .lockdep),
        ("WARNING: lock held when returning to user space", .lockdep),
        ("WARNING: still has locks held", .lockdep),
        ("KASAN:", .kasan),
        ("KFENCE:", .kfence),
        ("KMSAN:", .kmsan),
        ("KCSAN:", .kcsan),
        ("UBSAN:", .ubsan),
        ("INFO: task hung", .hungTask),
        ("INFO: task can't die", .hungTask),
        ("INFO: rcu detected stall", .rcuStall),
        ("BUG: soft lockup", .softLockup),
        ("BUG: workqueue lockup", .softLockup),
        ("WARNING", .warning),
        ("kernel panic", .panic),
        ("memory leak", .memoryLeak),
    ]

    public static func from(title: String) -> ReportKind {
        for (prefix, kind) in titlePrefixes where title.hasPrefix(prefix) { return kind }
        return .other
    }
}

/// Which stack a frame was printed on.
public enum StackKind: String, Codable, Sendable {
    case task, irq, softirq, nmi, exception
}

/// One stack frame, the union of what the supported formats print.
public struct Frame: Codable, Sendable, Equatable {
    /// The function as printed (`pte_offset_kernel.isra.0`).
    public var function: String
    /// The code address, when printed (`[<ffffffff8151023e>]`, crash's `at ffffffff81042462`).
    public var address: UInt64?
    /// False for `?` frames (x86) and `(unreliable)` frames (ppc64): stale words the unwinder found on the stack.
    public var reliable: Bool
    public var offset: UInt64?
    public var size: UInt64?
    public var module: String?
    public var buildID: String?
    /// A symbolized inline frame (`f file.c:12 [inline]`).
    public var inline: Bool
    public var file: String?
    public var line: Int?
    public var stack: StackKind
    /// For a crash `[exception RIP: f+478]` frame: the register dump that follows it.
    public var registers: [String: UInt64]?
    /// 0-based index of the input line the frame came from.
    public var sourceLine: Int

    public init(function: String, address: UInt64? = nil, reliable: Bool = true, offset: UInt64? = nil,
                size: UInt64? = nil, module: String? = nil, buildID: String? = nil, inline: Bool = false,
                file: String? = nil, line: Int? = nil, stack: StackKind = .task,
                registers: [String: UInt64]? = nil, sourceLine: Int = 0) {
        self.function = function
        self.address = address
        self.reliable = reliable
        self.offset = offset
        self.size = size
        self.module = module
        self.buildID = buildID
        self.inline = inline
        self.file = file
        self.line = line
        self.stack = stack
        self.registers = registers
        self.sourceLine = sourceLine
    }

    /// The name used for matching: compiler suffixes and syscall prefixes removed (see `FrameNormalizer`).
    public var normalized: String { FrameNormalizer.normalize(function) }
}

/// A labelled stack: "Call Trace", a lockdep chain link, KASAN's "Allocated by task 42", a crash bt task.
public struct Stack: Codable, Sendable, Equatable {
    public var label: String
    public var frames: [Frame]
    public init(label: String, frames: [Frame]) {
        self.label = label
        self.frames = frames
    }
}

/// One link of a lockdep dependency chain (`-> #1 (sb_writers#10){.+.+}-{0:0}:` and its stack).
public struct LockLink: Codable, Sendable, Equatable {
    public var index: Int
    /// The lock class as printed (`sb_writers#10`).
    public var lockClass: String
    public var frames: [Frame]
    /// The class with lockdep's `#N` subclass instance removed (`sb_writers`), for matching.
    public var normalizedClass: String { LockChain.normalize(lockClass) }
}

public enum LockChain {
    /// `mapping.invalidate_lock#3` -> `mapping.invalidate_lock`; `&mm->mmap_lock#2` -> `&mm->mmap_lock`.
    public static func normalize(_ cls: String) -> String {
        var s = Substring(cls.trimmingSpaces())
        if let hash = s.lastIndex(of: "#"), s[s.index(after: hash)...].allSatisfy(\.isNumber),
           s.index(after: hash) < s.endIndex {
            s = s[..<hash]
        }
        return String(s)
    }
}

/// The task a report or crash bt block is about.
public struct TaskInfo: Codable, Sendable, Equatable {
    public var comm: String?
    public var pid: Int?
    public var cpu: Int?
    public var taskAddress: UInt64?
}

/// One extracted report.
public struct CrashReport: Codable, Sendable {
    public var kind: ReportKind
    /// Canonical title in syzkaller's conventions (`possible deadlock in filemap_fault`).
    public var title: String
    public var altTitles: [String]
    public var corrupted: Bool
    public var corruptedReason: String?
    /// 0-based inclusive line span of the report in the input.
    public var startLine: Int
    public var endLine: Int
    /// The guilty frame the title names, when it names one.
    public var guiltyFrame: String?
    public var task: TaskInfo?
    /// Kernel release from `CPU: 0 PID: 1 Comm: x Not tainted 5.15.0-rc1 #1` lines, when printed.
    public var kernelRelease: String?
    public var stacks: [Stack]
    /// Lockdep: the dependency chain links, and the `Chain exists of:` classes in print order.
    public var lockLinks: [LockLink]
    public var lockChain: [String]
    /// The lock being acquired and the one already held (lockdep), as printed.
    public var lockAcquiring: String?
    public var lockHeld: String?
    /// Hung task (6.x): what the task is blocked on and who likely owns it
    /// (`INFO: task a:1 is blocked on a mutex likely owned by task b:2.` -> "a mutex likely owned by task b:2").
    public var blockedOn: String?
    /// Register values printed with the report (RIP dump, crash exception frame): name -> value.
    public var registers: [String: UInt64]
    /// Which extractor produced it: "console" (dmesg/syslog/console text) or "crash-bt".
    public var source: String

    /// The stack the matcher reads first: the crashing task's stack (first non-empty stack).
    public var primaryStack: [Frame] {
        stacks.first(where: { !$0.frames.isEmpty })?.frames ?? []
    }
}

/// A value shared by several reports (a dentry pointer in RBX/RSI of two crashing tasks).
public struct Correlation: Codable, Sendable, Equatable {
    public struct Site: Codable, Sendable, Equatable {
        public var report: Int
        public var registers: [String]
    }
    public var value: UInt64
    public var sites: [Site]
}

/// Everything extracted from one input.
public struct Extraction: Codable, Sendable {
    public var reports: [CrashReport]
    public var correlations: [Correlation]
    public var lineCount: Int
    /// Set when the input was cut to the size limits (`ExtractionLimits`).
    public var truncated: Bool
}

extension String {
    func trimmingSpaces() -> String {
        // Fast path: nothing to trim.
        let u = utf8
        if let f = u.first, let l = u.last, f != 0x20, f != 0x09, f != 0x0D, l != 0x20, l != 0x09, l != 0x0D {
            return self
        }
        // On the UTF-8 view: a space, tab or CR byte is always a whole scalar, so the bounds are valid indices.
        // Same result as trimming Characters for input lines (no LF after a CR, no combining mark after a space).
        func trim(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
        var lo = u.startIndex, hi = u.endIndex
        while lo < hi && trim(u[lo]) { lo = u.index(after: lo) }
        while hi > lo && trim(u[u.index(before: hi)]) { hi = u.index(before: hi) }
        return String(self[lo..<hi])
    }
}

extension CrashReport {
    /// A task blocked in the kernel as a trace shows it — the stack a `stacktrace` trigger recorded when it went to
    /// sleep — so that the known-bug matcher can compare it with the hung-task reports its entries describe.
    public static func blockedTask(comm: String?, pid: Int?, frames: [String], source: String) -> CrashReport {
        let stack = Stack(label: "kernel stack of the blocked task (trace)", frames: frames.map { Frame(function: $0) })
        return CrashReport(
            kind: .blockedTask, title: "blocked task" + (frames.first.map { " in \($0)" } ?? ""), altTitles: [],
            corrupted: false, corruptedReason: nil, startLine: 0, endLine: 0, guiltyFrame: nil,
            task: TaskInfo(comm: comm, pid: pid, cpu: nil, taskAddress: nil), kernelRelease: nil, stacks: [stack],
            lockLinks: [], lockChain: [], lockAcquiring: nil, lockHeld: nil, blockedOn: nil, registers: [:],
            source: source)
    }
}
