/// A task's scheduler state as `sched_switch` reports it for the task being switched out (`prev_state`).
///
/// The encoding changed across kernels (research/ftrace-formats.md §5.1): letters joined by `|` with a `+` for
/// "preempted", or raw numbers whose bit meanings depend on the kernel era. `TaskState` is the era-independent
/// meaning; `PrevStateEncoding` turns a number into it.
public struct TaskState: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// R: runnable, the task was preempted or yielded — not a sleep.
    public static let running = TaskState([])
    public static let interruptible = TaskState(rawValue: 1 << 0)   // S
    public static let uninterruptible = TaskState(rawValue: 1 << 1) // D
    public static let stopped = TaskState(rawValue: 1 << 2)         // T
    public static let traced = TaskState(rawValue: 1 << 3)          // t
    public static let dead = TaskState(rawValue: 1 << 4)            // X (EXIT_DEAD)
    public static let zombie = TaskState(rawValue: 1 << 5)          // Z (EXIT_ZOMBIE)
    public static let parked = TaskState(rawValue: 1 << 6)          // P
    public static let idle = TaskState(rawValue: 1 << 7)            // I (TASK_IDLE, 4.14+)
    public static let wakekill = TaskState(rawValue: 1 << 8)        // K (before 4.14: D|K is killable)
    public static let waking = TaskState(rawValue: 1 << 9)          // W
    public static let noload = TaskState(rawValue: 1 << 10)         // N (before 4.14: D|N is TASK_IDLE)
    public static let taskDead = TaskState(rawValue: 1 << 11)       // x (TASK_DEAD before 4.14)
    public static let new = TaskState(rawValue: 1 << 12)
    /// `+`: switched out while runnable because it was preempted.
    public static let preempted = TaskState(rawValue: 1 << 16)

    /// The task left the CPU for good (exit), not to sleep.
    public var isExit: Bool { !isDisjoint(with: [.dead, .zombie, .taskDead]) }
    /// Sleeping in D state the way the hung-task watchdog counts it: TASK_UNINTERRUPTIBLE and neither
    /// killable (`D|K`, printed `D` from 4.14 on) nor TASK_IDLE (`I`, or `D|N` before 4.14).
    public var isUninterruptibleSleep: Bool {
        contains(.uninterruptible) && !contains(.noload) && !contains(.idle)
    }
    /// Any sleep (S, D, I, ...) — the task will not run again until someone wakes it.
    public var isSleep: Bool {
        !isExit && !isDisjoint(with: [.interruptible, .uninterruptible, .idle, .stopped, .traced, .parked])
    }
    public var isRunnable: Bool { subtracting(.preempted).isEmpty }

    public var description: String {
        if isRunnable { return contains(.preempted) ? "R+" : "R" }
        var parts: [String] = []
        let letters: [(TaskState, String)] = [
            (.interruptible, "S"), (.uninterruptible, "D"), (.stopped, "T"), (.traced, "t"), (.dead, "X"),
            (.zombie, "Z"), (.parked, "P"), (.idle, "I"), (.wakekill, "K"), (.waking, "W"), (.noload, "N"),
            (.taskDead, "x"), (.new, "n"),
        ]
        for (bit, letter) in letters where contains(bit) { parts.append(letter) }
        return parts.joined(separator: "|") + (contains(.preempted) ? "+" : "")
    }

    /// Parses the letter form: `S`, `D|K`, `R+`, `I`, `x`. Returns nil for an unknown letter.
    public static func parseLetters(_ s: Substring) -> TaskState? {
        var state = TaskState.running
        var text = s
        if text.hasSuffix("+") { state.insert(.preempted); text = text.dropLast() }
        if text == "R" || text.isEmpty { return state }
        for part in text.split(separator: "|") {
            switch part {
            case "S": state.insert(.interruptible)
            case "D": state.insert(.uninterruptible)
            case "T": state.insert(.stopped)
            case "t": state.insert(.traced)
            case "X": state.insert(.dead)
            case "Z": state.insert(.zombie)
            case "P": state.insert(.parked)
            case "I": state.insert(.idle)
            case "K": state.insert(.wakekill)
            case "W": state.insert(.waking)
            case "N": state.insert(.noload)
            case "x": state.insert(.taskDead)
            case "n": state.insert(.new)
            case "R": break
            default: return nil
            }
        }
        return state
    }
}

/// How a kernel era encodes `prev_state` as a number (trace-cmd `-R`, LTTng, numeric text).
public enum PrevStateEncoding: String, Sendable, CaseIterable {
    /// 3.4: raw `p->state`, preempt bit 512, 128 = W.
    case v3_4
    /// 3.10 – 4.1: 128 K, 256 W, 512 P; preempt bit 1024.
    case v3_10
    /// 4.2 – 4.7: adds 1024 N; preempt bit 2048.
    case v4_2
    /// 4.8 – 4.13: preempt bit 4096 (2048 TASK_NEW has no letter).
    case v4_8
    /// 4.14+: `1 << (task_state_index - 1)`, X and Z swapped, I added; preempt bit 0x100 (TASK_REPORT_MAX).
    case v4_14

    public var preemptBit: UInt64 {
        switch self {
        case .v3_4: 512
        case .v3_10: 1024
        case .v4_2: 2048
        case .v4_8: 4096
        case .v4_14: 0x100
        }
    }

    public var kernels: String {
        switch self {
        case .v3_4: "3.4"
        case .v3_10: "3.10–4.1"
        case .v4_2: "4.2–4.7"
        case .v4_8: "4.8–4.13"
        case .v4_14: "4.14+"
        }
    }

    public func decode(_ value: UInt64) -> TaskState {
        var s = TaskState.running
        // Unpatched 4.14-era kernels still test 0x1000 for "+" (a 32-bit ARM .dat shows this).
        if value & preemptBit != 0 || (self == .v4_14 && value & 0x1000 != 0) { s.insert(.preempted) }
        let bits = value & (preemptBit - 1)
        let table: [(UInt64, TaskState)]
        switch self {
        case .v4_14:
            table = [(0x01, .interruptible), (0x02, .uninterruptible), (0x04, .stopped), (0x08, .traced),
                     (0x10, .dead), (0x20, .zombie), (0x40, .parked), (0x80, .idle)]
        case .v3_4:
            table = [(1, .interruptible), (2, .uninterruptible), (4, .stopped), (8, .traced), (16, .zombie),
                     (32, .dead), (64, .taskDead), (128, .waking)]
        default:
            table = [(1, .interruptible), (2, .uninterruptible), (4, .stopped), (8, .traced), (16, .zombie),
                     (32, .dead), (64, .taskDead), (128, .wakekill), (256, .waking), (512, .parked),
                     (1024, .noload), (2048, .new)]
        }
        for (bit, st) in table where bits & bit != 0 { s.insert(st) }
        return s
    }
}

/// Guesses the `prev_state` encoding from what a trace shows, for the "kernel era" hints of `stats`.
public struct PrevStateEvidence: Sendable, Equatable {
    public var letterForms: Set<String> = []
    public var numericValues: Set<UInt64> = []
    public init() {}

    public mutating func add(_ raw: Substring) {
        if let v = UInt64(raw) ?? (raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : nil) {
            if numericValues.count < 256 { numericValues.insert(v) }
        } else if letterForms.count < 256 {
            letterForms.insert(String(raw))
        }
    }

    public mutating func merge(_ o: PrevStateEvidence) {
        letterForms.formUnion(o.letterForms)
        numericValues.formUnion(o.numericValues)
    }

    /// The kernel era the evidence points at: the exact numeric encoding when a preempt bit shows it, else what
    /// the letters allow ("4.14+" or "before 4.14"); nil when nothing tells.
    public var inferred: (encoding: PrevStateEncoding?, kernels: String, reason: String)? {
        // Numbers: the "preempted" bit moved with every era, so a value carrying it names the era exactly.
        // (1024 is also N, TASK_NOLOAD, of 4.2–4.7, but N only ever comes with D: value & 2.)
        if numericValues.contains(where: { $0 & 4096 != 0 && $0 < 8192 }) {
            return (.v4_8, PrevStateEncoding.v4_8.kernels, "numeric 4096 is the preempt bit of 4.8–4.13")
        }
        if numericValues.contains(where: { $0 & 2048 != 0 && $0 < 4096 }) {
            return (.v4_2, PrevStateEncoding.v4_2.kernels, "numeric 2048 is the preempt bit of 4.2–4.7")
        }
        if numericValues.contains(where: { $0 & 1024 != 0 && $0 & 2 == 0 && $0 < 2048 }) {
            return (.v3_10, PrevStateEncoding.v3_10.kernels, "numeric 1024 without D is the preempt bit of 3.10–4.1")
        }
        if numericValues.contains(where: { $0 == 0x100 || $0 == 0x80 }) {
            return (.v4_14, PrevStateEncoding.v4_14.kernels, "numeric 0x100 / 0x80 fit only the 4.14+ report encoding")
        }
        let letters = Set(letterForms.flatMap { $0.split(separator: "|") }.map { String($0.filter { $0 != "+" }) })
        if letters.contains("I") {
            return (.v4_14, PrevStateEncoding.v4_14.kernels, "letter I (TASK_IDLE report state) exists only from 4.14")
        }
        if let old = ["K", "W", "N", "x"].first(where: { letters.contains($0) }) {
            return (nil, "before 4.14", "letter \(old) is printed only by kernels before 4.14")
        }
        return nil
    }
}
