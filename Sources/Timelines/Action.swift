import TraceModel

/// What an event did to an object. The vocabulary detectors reason in: they never look at raw event names.
public enum ActionVerb: String, Sendable, CaseIterable, Codable {
    // task (scheduler)
    case switchOut = "switch-out", switchIn = "switch-in", waking, wakeup, wakeupNew = "wakeup-new", fork, exit
    /// `sched_process_hang`: the hung-task watchdog reported the task.
    case hang
    /// `try_to_wake_up` / `wake_up_process` entry: a wake aimed at one task (`value` = its state when known).
    case wakeTask = "wake-task"
    /// `try_to_wake_up` return: `value` = 1 when the task was woken, 0 when the wake found nothing to do.
    case wakeTaskReturn = "wake-task-return"
    /// A printk line (`console` tracepoint); `detail` is the text.
    case printk
    // waitqueues and wait keys
    case enqueue, dequeue, wake
    // dentry
    case splice, spliceReturn = "splice-return", drop, free, atomicOpen = "atomic-open", lookup
    // fscache / cachefiles
    case acquire, relinquish, enable, disable, invalidate
    /// Any cookie event whose `detail` names the step (`GET obj`, `PUT rlq`, `BEGIN inval`, `USE`).
    case cookieStep = "cookie-step"
    /// `fscache_osm` and other object state-machine steps; `detail` = state (`LCFL WORK`), `other` = cookie.
    case objectStep = "object-step"
    case wakeCookie = "wake-cookie"
    /// `fscache_wait_for_deferred_lookup`: a reader waits for LOOKING_UP to clear.
    case waitLookup = "wait-lookup"
    /// cache or page I/O on a cookie/object (fscache_page, fscache_op, cachefiles_read/write).
    case cacheIO = "cache-io"
    // netfs
    case netfsRead = "netfs-read", netfsRequest = "netfs-rreq", netfsSubrequest = "netfs-sreq"
    case netfsFailure = "netfs-failure", netfsWrite = "netfs-write"
    // locks
    case lockAcquire = "lock-acquire", lockRelease = "lock-release", lockContended = "lock-contended"
    case lockAcquired = "lock-acquired", contentionBegin = "contention-begin", contentionEnd = "contention-end"
    // xfs
    case iclogState = "iclog-state"
    /// A function-tracer / function_graph line of a mapped function, without arguments.
    case call
}

/// One action on one object, derived from one trace event. Small, value-typed and trivially copyable (its texts are
/// `ShortText`s, not Strings): the hot path creates one or two per interesting event and copies each into a
/// timeline or two. `detail` is filled only for events whose rule asks for it.
public struct Action: Sendable {
    public var verb: ActionVerb
    public var object: ObjectRef
    /// A second object the action links to: the cookie of an object step, the waker→target task of a wake.
    public var other: ObjectRef?
    public var timestamp: Int64
    public var lineNumber: Int
    public var cpu: Int32
    /// The task that performed the action (the event's context), which for task objects may differ from the object.
    public var pid: Int32
    public var commText: ShortText
    public var comm: String {
        get { commText.string }
        set { commText = ShortText(newValue) }
    }
    /// `switch-out`: the state the task left in.
    public var state: TaskState
    /// A numeric detail: wait state, cookie flags `f=`, `woken`, `Na=`, ... (`Action.noValue` when absent).
    public var value: Int64
    public var value2: Int64
    public var detailText: ShortText
    public var detail: String {
        get { detailText.string }
        set { detailText = ShortText(newValue) }
    }
    /// The CPU context the event was traced in: 0 task, 1 softirq, 2 hardirq, 3 NMI (from the latency flags;
    /// 0 when the trace has none). Lock chains, like lockdep's, never cross contexts.
    public var context: UInt8 = 0
    /// Index of the source event in its batch (valid while that batch is being observed).
    public var eventIndex: Int

    public static let noValue: Int64 = .min

    public init(verb: ActionVerb, object: ObjectRef, other: ObjectRef? = nil, timestamp: Int64, lineNumber: Int,
                cpu: Int32, pid: Int32, comm: String, state: TaskState = .running, value: Int64 = Action.noValue,
                value2: Int64 = Action.noValue, detail: String = "", eventIndex: Int = -1) {
        self.init(verb: verb, object: object, other: other, timestamp: timestamp, lineNumber: lineNumber, cpu: cpu,
                  pid: pid, commText: ShortText(comm), state: state, value: value, value2: value2,
                  detailText: detail.isEmpty ? ShortText() : ShortText(detail), eventIndex: eventIndex)
    }

    public init(verb: ActionVerb, object: ObjectRef, other: ObjectRef? = nil, timestamp: Int64, lineNumber: Int,
                cpu: Int32, pid: Int32, commText: ShortText, state: TaskState = .running, value: Int64 = Action.noValue,
                value2: Int64 = Action.noValue, detailText: ShortText = ShortText(), eventIndex: Int = -1) {
        self.verb = verb
        self.object = object
        self.other = other
        self.timestamp = timestamp
        self.lineNumber = lineNumber
        self.cpu = cpu
        self.pid = pid
        self.commText = commText
        self.state = state
        self.value = value
        self.value2 = value2
        self.detailText = detailText
        self.eventIndex = eventIndex
    }

    public var hasValue: Bool { value != Action.noValue }

    /// One line for timelines: `2.965802  lw_waiter-137  switch-out task:137 D  (line 223)`.
    public var summary: String {
        // A task wake names its target in the values; the object is the waker itself.
        var s = verb == .wakeTask || verb == .wakeTaskReturn || verb == .spliceReturn ? verb.rawValue
            : "\(verb.rawValue) \(object)"
        if verb == .switchOut { s += " \(state)" }
        if let o = other, verb != .wakeTask { s += verb == .fork ? " (parent \(o.pid))" : " → \(o)" }
        if !detailText.isEmpty { s += " \(detail)" }
        if hasValue {
            switch verb {
            case .enqueue: s += " state=0x\(String(value, radix: 16))"
            case .wake: s += " nr_exclusive=\(value)"
            case .wakeTask: s += " target_state=0x\(String(value, radix: 16))"
            case .wakeTaskReturn: s += " woken=\(value)"
            case .cookieStep, .enable, .disable, .relinquish: s += " f=0x\(String(value, radix: 16))"
            case .switchOut: break
            default: s += " [\(value)]"
            }
        }
        if verb == .wakeTask && value2 != Action.noValue { s += " target_pid=\(value2)" }
        return s
    }
}
