import TraceModel

/// The recent history of one object: a bounded ring of its latest actions plus counts over the whole trace.
public struct ObjectTimeline: Sendable {
    public let object: ObjectRef
    public private(set) var count = 0
    public private(set) var firstSeen: Int64 = Event.unknownTimestamp
    public private(set) var lastSeen: Int64 = Event.unknownTimestamp
    public private(set) var firstLine = 0
    public private(set) var lastLine = 0
    /// Actions dropped from the front of the ring: evidence older than the window.
    public var trimmed: Int { count - ring.count }
    private var ring: [Action] = []
    private var head = 0
    let window: Int

    init(object: ObjectRef, window: Int) {
        self.object = object
        self.window = window
    }

    mutating func append(_ a: Action) {
        if count == 0 { firstSeen = a.timestamp; firstLine = a.lineNumber }
        count += 1
        lastSeen = a.timestamp
        lastLine = a.lineNumber
        if ring.count < window { ring.append(a) } else {
            ring[head] = a
            head = (head + 1) % window
        }
    }

    /// The kept actions, oldest first.
    public var actions: [Action] {
        ring.count < window ? ring : Array(ring[head...] + ring[..<head])
    }

    /// The last action, if any.
    public var last: Action? {
        ring.isEmpty ? nil : ring[(head + ring.count - 1) % ring.count]
    }
}

/// Per-object timelines, streaming: one bounded ring per object, so memory grows with the number of objects, not
/// with the number of events. `objectLimit` caps the objects kept; beyond it the least recently touched are
/// forgotten (and counted in `forgottenObjects`).
public final class TimelineStore {
    public let window: Int
    public let objectLimit: Int
    public private(set) var timelines: [ObjectRef: ObjectTimeline] = [:]
    public private(set) var forgottenObjects = 0
    public private(set) var actionCount = 0
    /// Kinds whose timelines are kept: all by default; `objects`-style counting can keep fewer rings.
    public var keptKinds: Set<ObjectKind> = Set(ObjectKind.allCases)

    public init(window: Int = 64, objectLimit: Int = 500_000) {
        self.window = window
        self.objectLimit = objectLimit
    }

    public func record(_ a: Action) {
        guard keptKinds.contains(a.object.kind) else { return }
        actionCount += 1
        if timelines[a.object] == nil {
            if timelines.count >= objectLimit { evict() }
            timelines[a.object] = ObjectTimeline(object: a.object, window: window)
        }
        timelines[a.object]!.append(a)
        // A task is also an actor: its own timeline shows what it did to other objects.
        if a.object.kind != .task, keptKinds.contains(.task) {
            let t = ObjectRef.task(a.pid)
            if timelines[t] == nil {
                if timelines.count >= objectLimit { evict() }
                timelines[t] = ObjectTimeline(object: t, window: window)
            }
            timelines[t]!.append(a)
        }
    }

    public subscript(_ o: ObjectRef) -> ObjectTimeline? { timelines[o] }

    /// Forgets the 10 % least recently touched objects.
    private func evict() {
        let n = max(1, objectLimit / 10)
        let victims = timelines.values.sorted { $0.lastSeen < $1.lastSeen }.prefix(n).map(\.object)
        for v in victims { timelines[v] = nil }
        forgottenObjects += victims.count
    }
}
