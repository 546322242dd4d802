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
    private var index: [ObjectRef: Int] = [:]
    private var storage: [ObjectTimeline] = []
    private var free: [Int] = []
    public private(set) var forgottenObjects = 0
    public private(set) var actionCount = 0
    private var keptMask: UInt32 = ~0
    /// Kinds whose timelines are kept: all by default.
    public var keptKinds: Set<ObjectKind> {
        get { Set(ObjectKind.allCases.filter { keptMask & Self.bit($0) != 0 }) }
        set { keptMask = newValue.reduce(0) { $0 | Self.bit($1) } }
    }

    public init(window: Int = 64, objectLimit: Int = 500_000) {
        self.window = window
        self.objectLimit = objectLimit
    }

    @inline(__always) static func bit(_ k: ObjectKind) -> UInt32 {
        1 << UInt32(withUnsafeBytes(of: k) { $0[0] })
    }

    /// Every object with a timeline.
    public var timelines: [ObjectRef: ObjectTimeline] {
        var out: [ObjectRef: ObjectTimeline] = [:]
        for (o, i) in index { out[o] = storage[i] }
        return out
    }

    public var objectCount: Int { index.count }
    public var objects: Dictionary<ObjectRef, Int>.Keys { index.keys }

    public func record(_ a: Action) {
        guard keptMask & Self.bit(a.object.kind) != 0 else { return }
        actionCount += 1
        storage[slot(a.object)].append(a)
        // A task is also an actor: its own timeline shows what it did to other objects.
        if a.object.kind != .task, keptMask & Self.bit(.task) != 0 {
            storage[slot(.task(a.pid))].append(a)
        }
    }

    /// Task timelines by pid (storage index + 1; 0 = none): tasks take most actions, so no hashing for them.
    private var taskSlot: [Int32] = []

    @inline(__always) private func slot(_ o: ObjectRef) -> Int {
        if o.kind == .task, o.id < 1 << 22 {
            let p = Int(o.id)
            if p < taskSlot.count, taskSlot[p] > 0 { return Int(taskSlot[p]) - 1 }
        }
        if let i = index[o] { return i }
        if index.count >= objectLimit { evict() }
        let t = ObjectTimeline(object: o, window: window)
        let i: Int
        if let f = free.popLast() { storage[f] = t; i = f } else { storage.append(t); i = storage.count - 1 }
        index[o] = i
        if o.kind == .task, o.id < 1 << 22 {
            let p = Int(o.id)
            if p >= taskSlot.count { taskSlot.append(contentsOf: repeatElement(0, count: max(p + 1, taskSlot.count * 2) - taskSlot.count)) }
            taskSlot[p] = Int32(i + 1)
        }
        return i
    }

    public subscript(_ o: ObjectRef) -> ObjectTimeline? { index[o].map { storage[$0] } }

    /// Forgets about half of the objects, the least recently touched: the cut-off time is the median of a sample,
    /// so eviction is linear, not a sort of every object.
    private func evict() {
        let step = max(1, index.count / 512)
        var sample: [Int64] = []
        sample.reserveCapacity(520)
        var k = 0
        for i in index.values {
            if k % step == 0 { sample.append(storage[i].lastSeen) }
            k += 1
        }
        sample.sort()
        let cutoff = sample[sample.count / 2]
        var victims: [(ObjectRef, Int)] = []
        for (o, i) in index where storage[i].lastSeen < cutoff { victims.append((o, i)) }
        if victims.isEmpty, let any = index.first { victims = [(any.key, any.value)] }
        for (o, i) in victims {
            index[o] = nil
            if o.kind == .task, o.id < 1 << 22, Int(o.id) < taskSlot.count { taskSlot[Int(o.id)] = 0 }
            storage[i] = ObjectTimeline(object: o, window: 0)
            free.append(i)
        }
        forgottenObjects += victims.count
    }
}
