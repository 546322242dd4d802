import TraceModel

/// Where a rule reads a key or number from.
public enum FieldSource: Sendable, Equatable {
    /// A decimal (or `0x`) integer field: `pid=137`.
    case int(String)
    /// A hex field, with or without `0x`: `c=00000003`, `wq_head=0xff27…`.
    case hex(String)
    /// A probe argument: the first of these names the probe line carries, else its Nth argument (1-based), the
    /// position of the parameter in the probed function's prototype (what `%di %si %dx …` fetch on x86_64).
    case arg([String], Int)
    /// The Nth whitespace token of the payload, as hex (`lock_acquire: ffff8880… &mm->mmap_lock`).
    case token(Int)
    /// A hash of a field's text: NFS `name=00:2a:1234/foo` names a dentry without a pointer.
    case textHash(String)
    /// `dev M:N` of xfs events.
    case xlogDevice
}

/// Where the pid sits in the libtraceevent plugin rendering of sched events (`trace-cmd report` without `-N`):
/// `sh:140 [120] S ==> swapper/1:0 [120]`, `grep:143 [120] CPU:000`.
public enum PluginPid: Sendable, Equatable {
    case switchPrev, switchNext, wakeTarget
}

/// What text a rule keeps as the action's detail.
public enum DetailSource: Sendable, Equatable {
    case none
    /// The words that are not `key=value` pairs, after skipping N leading tokens: `PUT rlq`, `LCFL WORK`,
    /// `READPAGE`, `try read &mm->mmap_lock`.
    case freeWords(skip: Int)
    case field(String)
    /// The whole payload (printk text).
    case payload
}

/// How a rule recognizes its events.
public enum RuleMatch: Sendable, Equatable {
    /// A static tracepoint by name.
    case tracepoint(String)
    case tracepointPrefix(String)
    /// A kprobe (or function-tracer line) on this symbol, whatever the user named the probe.
    case probe(String)
    /// Any symbol starting with this prefix (`prepare_to_wait` covers `_exclusive` and `_event`).
    case probePrefix(String)
    /// A kretprobe returning from this symbol.
    case probeReturn(String)
}

/// One row of the semantic table: "this event means VERB on this object".
public struct SemanticRule: Sendable {
    public var match: RuleMatch
    public var verb: ActionVerb
    public var object: ObjectKind
    public var key: FieldSource?
    /// The bit of a wait key.
    public var sub: FieldSource?
    public var otherKind: ObjectKind?
    public var other: FieldSource?
    public var value: FieldSource?
    public var value2: FieldSource?
    /// A `prev_state`-style field decoded into `Action.state`.
    public var stateField: String?
    /// The fallback for trace-cmd's plugin-formatted sched lines.
    public var plugin: PluginPid?
    public var detail: DetailSource
    /// Which kernels print this form (documentation, shown by `ksleuth signatures --table`).
    public var era: String

    public init(_ match: RuleMatch, _ verb: ActionVerb, _ object: ObjectKind, key: FieldSource?,
                sub: FieldSource? = nil, other: (ObjectKind, FieldSource)? = nil, value: FieldSource? = nil,
                value2: FieldSource? = nil, state: String? = nil, plugin: PluginPid? = nil,
                detail: DetailSource = .none, era: String = "all") {
        self.match = match
        self.verb = verb
        self.object = object
        self.key = key
        self.sub = sub
        self.otherKind = other?.0
        self.other = other?.1
        self.value = value
        self.value2 = value2
        self.stateField = state
        self.plugin = plugin
        self.detail = detail
        self.era = era
    }
}

/// The semantic table: raw events of every supported kernel era → actions on objects. Data, not code: the
/// detectors never see an event name. Sources: research/ftrace-formats.md §5 and race-signatures.md §3.
public enum SemanticTable {
    static let wq: FieldSource = .arg(["wq_head", "wq", "q", "head", "wqh", "wq_head_addr"], 1)
    static let dentry2: FieldSource = .arg(["dentry", "de", "d", "entry"], 2)
    static let dentry1: FieldSource = .arg(["dentry", "de", "d"], 1)
    static let cookie1: FieldSource = .arg(["cookie", "c"], 1)
    static let free: DetailSource = .freeWords(skip: 0)
    static let fscache1 = "fscache v4.17–v5.14 (%p, hashed in v4.15–v5.11)"
    static let fscache23 = "fscache v5.15+ (%08x debug ids)"

    public static let rules: [SemanticRule] = [
        // MARK: scheduler (all eras; `success=` before v4.3 is ignored)
        .init(.tracepoint("sched_switch"), .switchOut, .task, key: .int("prev_pid"), state: "prev_state",
              plugin: .switchPrev),
        .init(.tracepoint("sched_switch"), .switchIn, .task, key: .int("next_pid"), plugin: .switchNext),
        .init(.tracepoint("sched_waking"), .waking, .task, key: .int("pid"), plugin: .wakeTarget),
        .init(.tracepoint("sched_wakeup"), .wakeup, .task, key: .int("pid"), plugin: .wakeTarget),
        .init(.tracepoint("sched_wakeup_new"), .wakeupNew, .task, key: .int("pid"), plugin: .wakeTarget),
        .init(.tracepoint("sched_process_fork"), .fork, .task, key: .int("child_pid"), other: (.task, .int("pid"))),
        .init(.tracepoint("sched_process_exit"), .exit, .task, key: .int("pid")),
        .init(.tracepoint("sched_process_hang"), .hang, .task, key: .int("pid")),
        .init(.tracepoint("console"), .printk, .task, key: nil, detail: .payload),
        // MARK: waitqueues, wait keys and task wakes (kprobes)
        .init(.probePrefix("prepare_to_wait"), .enqueue, .waitqueue, key: wq, value: .arg(["state"], 3)),
        .init(.probePrefix("add_wait_queue"), .enqueue, .waitqueue, key: wq),
        .init(.probe("finish_wait"), .dequeue, .waitqueue, key: wq),
        .init(.probe("remove_wait_queue"), .dequeue, .waitqueue, key: wq),
        .init(.probePrefix("__wake_up"), .wake, .waitqueue, key: wq, value: .arg(["nr_exclusive", "nr"], 3)),
        .init(.probe("wake_up_bit"), .wake, .waitKey, key: .arg(["word", "addr"], 1), sub: .arg(["bit"], 2)),
        .init(.probePrefix("out_of_line_wait_on_bit"), .enqueue, .waitKey, key: .arg(["word", "addr"], 1),
              sub: .arg(["bit"], 2)),
        // The object is the waker; `other` the target's task_struct pointer, `value2` its pid when fetched.
        .init(.probe("try_to_wake_up"), .wakeTask, .task, key: nil, other: (.task, .arg(["p", "task"], 1)),
              value: .arg(["p_state", "task_state"], 0), value2: .arg(["pid", "target_pid"], 0)),
        // The object is the waker; `other` the target's task_struct pointer, `value2` its pid when fetched.
        .init(.probe("wake_up_process"), .wakeTask, .task, key: nil, other: (.task, .arg(["p", "task"], 1)),
              value: .arg(["p_state", "task_state"], 0), value2: .arg(["pid", "target_pid"], 0)),
        .init(.probeReturn("try_to_wake_up"), .wakeTaskReturn, .task, key: nil,
              value: .arg(["woken", "ret", "retval", "$retval", "arg1"], 1)),
        // MARK: dentries and NFS
        .init(.probe("d_splice_alias"), .splice, .dentry, key: dentry2, detail: .field("name")),
        .init(.probeReturn("d_splice_alias"), .spliceReturn, .task, key: nil,
              value: .arg(["ret", "retval", "$retval", "arg1"], 1)),
        .init(.probe("d_drop"), .drop, .dentry, key: dentry1),
        .init(.probe("__d_drop"), .drop, .dentry, key: dentry1),
        .init(.probe("___d_drop"), .drop, .dentry, key: dentry1),
        .init(.probe("__dentry_kill"), .free, .dentry, key: dentry1),
        .init(.probe("dentry_kill"), .free, .dentry, key: dentry1),
        .init(.probe("d_free"), .free, .dentry, key: dentry1),
        .init(.probe("nfs_atomic_open"), .atomicOpen, .dentry, key: dentry2),
        .init(.probe("nfs_lookup"), .lookup, .dentry, key: dentry2),
        .init(.tracepoint("nfs_atomic_open_enter"), .atomicOpen, .dentry, key: .textHash("name"),
              detail: .field("name"), era: "nfs v4.x+"),
        .init(.tracepoint("nfs_lookup_enter"), .lookup, .dentry, key: .textHash("name"), detail: .field("name"),
              era: "nfs v4.x+"),
        // MARK: fscache era 1 (v4.17–v5.14) and eras 2/3 (v5.15+): same field names, different where-strings
        .init(.tracepoint("fscache_cookie"), .cookieStep, .cookie, key: .hex("c"), value: .hex("f"),
              value2: .int("Na"), detail: free, era: "fscache all eras"),
        .init(.tracepoint("fscache_acquire"), .acquire, .cookie, key: .hex("c"), detail: .field("n"),
              era: "fscache all eras"),
        .init(.tracepoint("fscache_relinquish"), .relinquish, .cookie, key: .hex("c"), value: .hex("f"),
              value2: .int("Na"), era: "fscache all eras"),
        .init(.tracepoint("fscache_enable"), .enable, .cookie, key: .hex("c"), value: .hex("f"), era: fscache1),
        .init(.tracepoint("fscache_disable"), .disable, .cookie, key: .hex("c"), value: .hex("f"), era: fscache1),
        .init(.tracepoint("fscache_osm"), .objectStep, .fscacheObject, key: .hex("o"), other: (.cookie, .hex("c")),
              detail: free, era: fscache1),
        .init(.tracepoint("fscache_wake_cookie"), .wakeCookie, .cookie, key: .hex("c"), era: fscache1),
        .init(.tracepoint("fscache_page"), .cacheIO, .cookie, key: .hex("c"), detail: free, era: fscache1),
        .init(.tracepoint("fscache_op"), .cacheIO, .cookie, key: .hex("c"), detail: free, era: fscache1),
        .init(.tracepoint("fscache_page_op"), .cacheIO, .cookie, key: .hex("c"), detail: free, era: fscache1),
        .init(.tracepoint("fscache_invalidate"), .invalidate, .cookie, key: .hex("c"), era: fscache23),
        .init(.tracepoint("fscache_access"), .cookieStep, .cookie, key: .hex("c"), detail: free, era: fscache23),
        .init(.tracepoint("fscache_active"), .cookieStep, .cookie, key: .hex("c"), detail: free, era: fscache23),
        .init(.tracepoint("cachefiles_ref"), .objectStep, .fscacheObject, key: .hex("o"),
              other: (.cookie, .hex("c")), detail: free, era: "cachefiles v5.15+"),
        .init(.tracepoint("cachefiles_read"), .cacheIO, .fscacheObject, key: .hex("o"), era: "cachefiles v5.17+"),
        .init(.tracepoint("cachefiles_write"), .cacheIO, .fscacheObject, key: .hex("o"), era: "cachefiles v5.17+"),
        .init(.probe("fscache_wait_for_deferred_lookup"), .waitLookup, .cookie, key: cookie1),
        .init(.probe("__fscache_relinquish_cookie"), .relinquish, .cookie, key: cookie1),
        .init(.probe("__fscache_invalidate"), .invalidate, .cookie, key: cookie1),
        .init(.probe("fscache_invalidate_writes"), .objectStep, .cookie, key: cookie1),
        // MARK: netfs (v5.13–v5.16 and 6.x: the `R=` key and the what-words are shared)
        .init(.tracepoint("netfs_read"), .netfsRead, .netfsRequest, key: .hex("R"), other: (.cookie, .hex("c")),
              detail: free, era: "netfs v5.13+"),
        .init(.tracepoint("netfs_rreq"), .netfsRequest, .netfsRequest, key: .hex("R"), detail: free,
              era: "netfs v5.13+"),
        .init(.tracepoint("netfs_sreq"), .netfsSubrequest, .netfsRequest, key: .hex("R"), detail: free,
              era: "netfs v5.13+"),
        .init(.tracepoint("netfs_failure"), .netfsFailure, .netfsRequest, key: .hex("R"), detail: free,
              era: "netfs v5.13+"),
        .init(.tracepoint("netfs_write"), .netfsWrite, .netfsRequest, key: .hex("R"), detail: free,
              era: "netfs 6.x"),
        // MARK: locks (CONFIG_LOCKDEP / CONFIG_LOCK_STAT; contention_* since v5.19)
        .init(.tracepoint("lock_acquire"), .lockAcquire, .lock, key: .token(0), detail: .freeWords(skip: 1)),
        .init(.tracepoint("lock_release"), .lockRelease, .lock, key: .token(0), detail: .freeWords(skip: 1)),
        .init(.tracepoint("lock_contended"), .lockContended, .lock, key: .token(0), detail: .freeWords(skip: 1)),
        .init(.tracepoint("lock_acquired"), .lockAcquired, .lock, key: .token(0), detail: .freeWords(skip: 1)),
        .init(.tracepoint("contention_begin"), .contentionBegin, .lock, key: .token(0), era: "v5.19+"),
        .init(.tracepoint("contention_end"), .contentionEnd, .lock, key: .token(0), era: "v5.19+"),
        // MARK: xfs iclog (v5.14+)
        .init(.tracepointPrefix("xlog_iclog_"), .iclogState, .xlog, key: .xlogDevice, detail: .field("state"),
              era: "xfs v5.14+"),
    ]
}
