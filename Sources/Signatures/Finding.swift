import TraceModel
import Timelines

/// How sure a finding is, and why.
public enum Confidence: String, Sendable, Codable, Comparable {
    case low, medium, high
    public static func < (a: Confidence, b: Confidence) -> Bool {
        let order: [Confidence] = [.low, .medium, .high]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
    public var lowered: Confidence { self == .high ? .medium : .low }
}

/// One trace line that supports a finding, as it appeared in the input.
public struct EvidenceLine: Sendable, Codable, Equatable {
    public var lineNumber: Int
    public var timestamp: Int64
    public var pid: Int32
    public var comm: String
    /// `name: payload` of the event.
    public var text: String
    /// Why this line matters (`wake lands while task 137 is runnable`).
    public var note: String

    public init(lineNumber: Int, timestamp: Int64, pid: Int32, comm: String, text: String, note: String) {
        self.lineNumber = lineNumber
        self.timestamp = timestamp
        self.pid = pid
        self.comm = comm
        self.text = text
        self.note = note
    }
}

/// A task a finding is about.
public struct TaskRef: Sendable, Codable, Equatable {
    public var pid: Int32
    public var comm: String
    /// `waiter`, `waker`, `first splice`, …
    public var role: String
    /// `D` / `S` when the task is asleep at the end of the trace, else nil.
    public var state: String?
}

/// The last action on the object before the finding's decisive moment.
public struct LastTouch: Sendable, Codable, Equatable {
    public var pid: Int32
    public var comm: String
    public var timestamp: Int64
    public var lineNumber: Int
    public var what: String
}

/// A timeline excerpt line.
public struct TimelineLine: Sendable, Codable, Equatable {
    public var timestamp: Int64
    public var lineNumber: Int
    public var pid: Int32
    public var comm: String
    public var action: String
}

/// A known bug a finding matches: the fix cited the kernel way, the score and why.
public struct KnownBugLink: Sendable, Codable, Equatable {
    public var citation: String
    public var score: Double
    public var why: [String]
    public init(citation: String, score: Double, why: [String]) {
        self.citation = citation
        self.score = score
        self.why = why
    }
}

/// What a signature concluded. Everything needed to render a hang report, and nothing renderer-specific.
public struct Finding: Sendable, Codable, Equatable {
    public var signature: String
    public var title: String
    /// One sentence: what happened.
    public var verdict: String
    public var confidence: Confidence
    /// What made the confidence what it is, and what would raise it.
    public var confidenceReasons: [String]
    public var wouldRaise: [String]
    public var wouldLower: [String]
    public var tasks: [TaskRef]
    /// `ObjectRef.description`s: `waitqueue:0xff27…`, `dentry:0xff40…`.
    public var objects: [String]
    /// When the problem began (the wake that was lost, the sleep that never ended).
    public var since: Int64?
    public var lastTouch: LastTouch?
    public var evidence: [EvidenceLine]
    public var timeline: [TimelineLine]
    /// Older actions on the object the excerpt no longer holds.
    public var timelineTrimmed: Int
    /// The blocked task's kernel stack (innermost first), when the trace has one.
    public var kernelStack: [String]
    /// Upstream fixes the signature is modelled on.
    public var upstreamFixes: [String]
    /// Known bugs the blocked task's stack matches, filled by a later stage (the known-bug matcher).
    public var knownBugs: [KnownBugLink] = []
    /// Lost-event gaps that touch the finding.
    public var gaps: [String]
    public var source: String

    public init(signature: String, title: String, verdict: String, confidence: Confidence) {
        self.signature = signature
        self.title = title
        self.verdict = verdict
        self.confidence = confidence
        confidenceReasons = []
        wouldRaise = []
        wouldLower = []
        tasks = []
        objects = []
        since = nil
        lastTouch = nil
        evidence = []
        timeline = []
        timelineTrimmed = 0
        kernelStack = []
        upstreamFixes = []
        gaps = []
        source = ""
    }

    /// The pids of the tasks the finding explains as stuck (role `waiter` / `blocked`).
    public var blockedPids: [Int32] {
        tasks.filter { $0.role == "waiter" || $0.role == "blocked" }.map(\.pid)
    }
}
