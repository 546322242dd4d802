import TraceModel
import Timelines

/// How to record the events a signature needs.
public struct CaptureRecipe: Sendable, Codable, Equatable {
    /// `sched/sched_switch`, `fscache/fscache_osm`, ...
    public var tracepoints: [String]
    /// kprobe_events lines for x86_64 (`p:ksleuth/wake __wake_up wq_head=%di mode=%si nr_exclusive=%dx`).
    public var kprobes: [String]
    /// Events that get a `stacktrace` trigger, with its filter (`sched/sched_switch:stacktrace if prev_state == 2`).
    public var stackTriggers: [String]
    /// Kernel options the events need (CONFIG_LOCKDEP, CONFIG_DETECT_HUNG_TASK, ...).
    public var kernelConfig: [String]
    public var notes: [String]

    public init(tracepoints: [String], kprobes: [String] = [], stackTriggers: [String] = [],
                kernelConfig: [String] = [], notes: [String] = []) {
        self.tracepoints = tracepoints
        self.kprobes = kprobes
        self.stackTriggers = stackTriggers
        self.kernelConfig = kernelConfig
        self.notes = notes
    }
}

/// The self-description of a signature: shown by `ksleuth signatures`, `recipe`, and used by the generic test.
public struct SignatureInfo: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var explanation: String
    /// Benign look-alikes the signature deliberately does not report.
    public var lookAlikes: [String]
    public var upstreamFixes: [String]
    /// Seed reports (shared/seeds) it covers.
    public var seeds: [String]
    /// Action verbs (or raw events) it needs; without them it cannot fire.
    public var requiredEvents: [String]
    public var recipe: CaptureRecipe
    /// Fixture paths relative to the package root: traces on which it must fire / must stay silent.
    public var triggeringFixtures: [String]
    public var benignFixtures: [String]
}

/// A detector: consumes actions in trace order and concludes at the end. One instance per analysis run.
///
/// `observe` is called before the shared context applies the action to its task table, so `ctx.tasks` shows the
/// state *before* the action (was the target running when the wake arrived?).
public protocol Detector: AnyObject {
    func observe(_ a: Action, _ ctx: AnalysisContext)
    func finish(_ ctx: AnalysisContext) -> [Finding]
    /// The verbs `observe` does anything with; the engine calls it for these only (nil: every action).
    var observedVerbs: Set<ActionVerb>? { get }
    /// Calls `observe` on `object`, a detector of this type, without retaining it: the engine calls detectors
    /// through their metatypes (no reference counting) so that a call costs no retain/release pair. The default
    /// is right for every detector.
    static func observe(unretained object: Unmanaged<AnyObject>, _ a: Action, _ ctx: AnalysisContext)
}

extension Detector {
    public var observedVerbs: Set<ActionVerb>? { nil }

    public static func observe(unretained object: Unmanaged<AnyObject>, _ a: Action, _ ctx: AnalysisContext) {
        Unmanaged<Self>.fromOpaque(object.toOpaque())._withUnsafeGuaranteedRef { $0.observe(a, ctx) }
    }
}

/// A race signature: its description and a detector factory.
public protocol Signature: Sendable {
    var info: SignatureInfo { get }
    func makeDetector(_ options: AnalysisOptions) -> Detector
}

/// Every signature ksleuth knows, in report order.
public enum SignatureCatalog {
    public static let all: [any Signature] = [
        LostWakeup(), Stall(), HungTask(), FscacheWaiterEmptyBacking(), UseAfterRelinquish(), LockInversion(),
        DoubleDSplice(),
    ]

    public static func named(_ id: String) -> (any Signature)? { all.first { $0.info.id == id } }

    /// The probes the recipes define (`p:ksleuth/ptw prepare_to_wait …`), by event name: a trace recorded from a
    /// recipe is understood even where trace-cmd prints addresses instead of the probed symbol.
    public static let recipeProbes: [ProbeAlias] = {
        var out: [ProbeAlias] = []
        for s in all {
            for k in s.info.recipe.kprobes {
                let words = k.split(separator: " ")
                guard words.count >= 2, let head = words.first, head.count > 2 else { continue }
                let isReturn = head.hasPrefix("r")
                let name = head.split(separator: "/").last.map(String.init) ?? ""
                let sym = String(words[1])
                if !out.contains(where: { $0.eventName == name && $0.isReturn == isReturn }) {
                    out.append(ProbeAlias(eventName: name, symbol: sym, isReturn: isReturn))
                }
            }
        }
        return out
    }()

    /// The ids of signatures that report races (everything but the plain hang reports).
    public static let raceSignatures: Set<String> = [
        "lost-wakeup", "fscache-waiter-empty-backing", "use-after-relinquish", "lock-inversion", "double-d-splice",
    ]
}
