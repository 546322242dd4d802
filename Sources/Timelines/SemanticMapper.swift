import TraceModel

/// A user's own probe: `probe NAME SYMBOL [ROLE=ARG ...]` in a probe-map file. The event called NAME is treated
/// as a probe on SYMBOL, and the table's argument ROLE (`dentry`, `wq_head`, `pid`, …) is read from ARG.
public struct ProbeAlias: Sendable, Equatable {
    public var eventName: String
    public var symbol: String
    public var isReturn: Bool
    public var arguments: [String: String]

    public init(eventName: String, symbol: String, isReturn: Bool = false, arguments: [String: String] = [:]) {
        self.eventName = eventName
        self.symbol = symbol
        self.isReturn = isReturn
        self.arguments = arguments
    }

    /// Parses a probe-map file: one `probe NAME SYMBOL [ROLE=ARG ...]` or `retprobe NAME SYMBOL [ROLE=ARG ...]`
    /// per line, `#` comments. Throws a message naming the line on anything else.
    public static func parseFile(_ text: String) throws -> [ProbeAlias] {
        var out: [ProbeAlias] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count >= 3, words[0] == "probe" || words[0] == "retprobe" else {
                throw ProbeMapError(line: n + 1, message: "expected `probe NAME SYMBOL [ROLE=ARG ...]`")
            }
            var args: [String: String] = [:]
            for w in words.dropFirst(3) {
                let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ProbeMapError(line: n + 1, message: "`\(w)` is not ROLE=ARG") }
                args[kv[0]] = kv[1]
            }
            out.append(ProbeAlias(eventName: words[1], symbol: words[2], isReturn: words[0] == "retprobe",
                                  arguments: args))
        }
        return out
    }
}

public struct ProbeMapError: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var message: String
    public var description: String { "probe map line \(line): \(message)" }
}

/// Applies the semantic table to events. Rules are looked up once per event name (`Symbol`), so the per-event cost
/// of an event nobody cares about is one array read; fields are decoded only for mapped events.
public struct SemanticMapper {
    public let rules: [SemanticRule]
    public var aliases: [ProbeAlias]
    /// Names that identify a probe only when its line shows no symbol (trace-cmd prints addresses): ksleuth's own
    /// recipe probes (`ksleuth/ptw` → prepare_to_wait).
    public var fallbackAliases: [ProbeAlias] = []
    /// How numeric `prev_state` values are decoded (letters need no hint).
    public var prevStateEncoding: PrevStateEncoding = .v4_14
    /// The kallsyms of the traced boot (`--kallsyms`), naming probes that the trace shows by address only.
    public var kernelSymbols: KernelSymbolTable?

    private var tracepointRules: [String: [Int]] = [:]
    private var tracepointPrefixRules: [(String, Int)] = []
    private var probeRules: [String: [Int]] = [:]
    private var probePrefixRules: [(String, Int)] = []
    private var returnRules: [String: [Int]] = [:]
    /// Per event-name symbol: index into `lists` + 1; 0 = not resolved yet.
    private var cache: [Int32] = []
    private var lists: [[Int]] = [[]]
    private var aliasFor: [Int32] = []
    /// Function-tracer lines carry the function in the payload: resolved per distinct function name (by a hash of
    /// its bytes) to an index into `functionLists` + 1 (0: the name maps to nothing).
    private var functionCache: [UInt64: Int] = [:]
    /// A direct-mapped front for `functionCache` (no hashing per function line): slot key, and the index into
    /// `functionLists` + 1 (0: the name maps to nothing).
    private var functionSlotKey = [UInt64](repeating: 0, count: 1024)
    private var functionSlotList = [Int32](repeating: 0, count: 1024)
    private var functionLists: [[Int]] = []
    /// Per entry of `functionLists`: the actions' details (`fn → verb`), one per rule.
    private var functionDetails: [[ShortText]] = []
    /// Per comm symbol: its `ShortText` (`.none`: not made yet), so that no action makes one from a String.
    private var commTexts: [ShortText] = []
    /// Event names the table mapped, with counts, for `objects` and coverage reports.
    public private(set) var probedSymbols: Set<String> = []
    public private(set) var returnSymbols: Set<String> = []
    /// Mapped events whose key field could not be read, by event name (e.g. `sched_switch` printed by a
    /// trace-cmd plugin without `prev_pid=`): the analysis is blind to them and says so.
    public private(set) var unreadable: [String: Int] = [:]
    /// Probe events shown by address only whose probed function is unknown (no symbol, no map entry).
    public private(set) var unresolvedProbes: Set<String> = []
    /// Scratch space of the field lookups: a reference, so a copy of the mapper used on another thread needs its own
    /// (`separateScratch`).
    private var scan = FieldScan()
    private let ruleTable: RuleTable

    public init(rules: [SemanticRule] = SemanticTable.rules, aliases: [ProbeAlias] = []) {
        self.rules = rules
        self.aliases = aliases
        ruleTable = RuleTable(rules)
        for (i, r) in rules.enumerated() {
            switch r.match {
            case .tracepoint(let n): tracepointRules[n, default: []].append(i)
            case .tracepointPrefix(let p): tracepointPrefixRules.append((p, i))
            case .probe(let s): probeRules[s, default: []].append(i)
            case .probePrefix(let p): probePrefixRules.append((p, i))
            case .probeReturn(let s): returnRules[s, default: []].append(i)
            }
        }
    }

    /// Gives this copy its own scratch space, so that it can map on another thread than the mapper it was copied from.
    mutating func separateScratch() { scan = FieldScan() }

    /// Adds what another mapper of the same trace (the second thread's, see `ActionStream`) counted: coverage and
    /// blind spots. The caps apply as if one mapper had seen everything (exact below 64 distinct names).
    mutating func absorbCounts(of other: SemanticMapper) {
        probedSymbols.formUnion(other.probedSymbols)
        returnSymbols.formUnion(other.returnSymbols)
        for (name, n) in other.unreadable where unreadable.count < 64 || unreadable[name] != nil {
            unreadable[name, default: 0] += n
        }
        for name in other.unresolvedProbes.sorted() where unresolvedProbes.count < 64 { unresolvedProbes.insert(name) }
    }

    private func rulesFor(symbol: String, isReturn: Bool) -> [Int] {
        if isReturn { return returnRules[symbol] ?? [] }
        var out = probeRules[symbol] ?? []
        for (p, i) in probePrefixRules where symbol.hasPrefix(p) && !out.contains(i) { out.append(i) }
        return out
    }

    private mutating func resolve(_ batch: EventBatch, _ e: Event) -> (list: Int, alias: Int) {
        let raw = Int(e.name.rawValue)
        if raw >= cache.count {
            cache.append(contentsOf: repeatElement(0, count: raw + 64 - cache.count))
            aliasFor.append(contentsOf: repeatElement(-1, count: raw + 64 - aliasFor.count))
        }
        if cache[raw] != 0 { return (Int(cache[raw]) - 1, Int(aliasFor[raw])) }
        let name = batch.name(e)
        var found: [Int] = []
        var aliasIndex = -1
        if let a = aliases.firstIndex(where: { $0.eventName == name }) {
            aliasIndex = a
            found = rulesFor(symbol: aliases[a].symbol, isReturn: aliases[a].isReturn)
            if aliases[a].isReturn { returnSymbols.insert(aliases[a].symbol) } else { probedSymbols.insert(aliases[a].symbol) }
        } else {
            switch e.kind {
            case .tracepoint:
                found = tracepointRules[name] ?? []
                for (p, i) in tracepointPrefixRules where name.hasPrefix(p) { found.append(i) }
            case .kprobe, .kretprobe:
                if let site = batch.probe(e), site.symbol == nil, let a = site.address,
                   let fn = kernelSymbols?.function(containing: a) {
                    // The address itself, named by the boot's kallsyms: evidence, unlike a probe's name.
                    found = rulesFor(symbol: fn, isReturn: site.isReturn)
                    if site.isReturn { returnSymbols.insert(fn) } else { probedSymbols.insert(fn) }
                } else if let site = batch.probe(e), site.symbol == nil,
                   let fb = fallbackAliases.firstIndex(where: { $0.eventName == name && $0.isReturn == site.isReturn }) {
                    // Index past the user's aliases: `aliasFor` addresses the concatenation.
                    aliasIndex = aliases.count + fb
                    found = rulesFor(symbol: fallbackAliases[fb].symbol, isReturn: site.isReturn)
                    if site.isReturn { returnSymbols.insert(fallbackAliases[fb].symbol) }
                    else { probedSymbols.insert(fallbackAliases[fb].symbol) }
                } else if let site = batch.probe(e), site.symbol == nil, Self.symbolFromAutoName(name) == nil {
                    if unresolvedProbes.count < 64 { unresolvedProbes.insert(name) }
                } else if let site = batch.probe(e), let sym = site.symbol ?? Self.symbolFromAutoName(name) {
                    found = rulesFor(symbol: sym, isReturn: site.isReturn)
                    if !found.isEmpty || site.symbol != nil {
                        if site.isReturn { returnSymbols.insert(sym) } else { probedSymbols.insert(sym) }
                    }
                }
            default:
                break
            }
        }
        lists.append(found)
        cache[raw] = Int32(lists.count)
        aliasFor[raw] = Int32(aliasIndex)
        return (lists.count - 1, aliasIndex)
    }

    @inline(__always) private mutating func commText(_ batch: EventBatch, _ e: Event) -> ShortText {
        let raw = Int(e.comm.rawValue)
        if raw < commTexts.count, commTexts[raw] != .none { return commTexts[raw] }
        if raw >= commTexts.count {
            commTexts.append(contentsOf: repeatElement(.none, count: max(raw + 1, commTexts.count * 2) - commTexts.count))
        }
        commTexts[raw] = ShortText(batch.comm(e))
        return commTexts[raw]
    }

    /// Appends the actions event `i` of `batch` stands for to `out`.
    public mutating func map(_ batch: EventBatch, _ i: Int, into out: inout [Action]) {
        let e = batch.events[i]
        switch e.kind {
        case .tracepoint, .kprobe, .kretprobe:
            let (list, alias) = resolve(batch, e)
            let ids = lists[list]
            if ids.isEmpty { return }
            scan.reset(batch.storage.bytes(e.payload))
            // No alias (nearly every event): nil, not an empty dictionary, which cost a lazy-static check and a
            // retain/release per event. The payload's `PayloadFields` is made only by the one source that needs it.
            let aliasArgs: [String: String]? = alias < 0 ? nil : alias < aliases.count ? aliases[alias].arguments
                : fallbackAliases[alias - aliases.count].arguments
            // The rule is borrowed from a fixed buffer: read from the `rules` array it was copied, retaining a dozen
            // strings per event.
            let table = ruleTable.base
            let comm = commText(batch, e)
            for id in ids where !apply(table + id, batch, e, i, aliasArgs, comm, into: &out) {
                let name = batch.name(e)
                if unreadable.count < 64 || unreadable[name] != nil { unreadable[name, default: 0] += 1 }
            }
        case .function, .functionGraphEntry, .functionGraphLeaf:
            // Function tracers print millions of lines of functions nobody maps: look them up by a hash of the
            // name's bytes, and make a String only the first time a name is seen.
            let bytes = batch.storage.bytes(e.payload)
            let h = Self.functionNameHash(bytes)
            guard h != 0 else { return }
            let slot = Int(truncatingIfNeeded: h >> 1) & (functionSlotKey.count - 1)
            var list = 0
            if functionSlotKey[slot] == h {
                list = Int(functionSlotList[slot])
            } else {
                if let c = functionCache[h] { list = c } else {
                    let fn = Self.functionName(bytes)
                    let ids = rulesFor(symbol: fn, isReturn: false)
                    if !ids.isEmpty {
                        probedSymbols.insert(fn)
                        functionLists.append(ids)
                        functionDetails.append(ids.map { ShortText(fn + " → " + rules[$0].verb.rawValue) })
                        list = functionLists.count
                    }
                    functionCache[h] = list
                }
                functionSlotKey[slot] = h
                functionSlotList[slot] = Int32(list)
            }
            if list == 0 { return }
            // The details are built once per function name, not per line.
            let details = functionDetails[list - 1]
            let comm = commText(batch, e)
            for d in details {
                out.append(Action(verb: .call, object: .task(e.pid), timestamp: e.timestamp, lineNumber: e.lineNumber,
                                  cpu: e.cpu, pid: e.pid, commText: comm, detailText: d, eventIndex: i))
            }
        default:
            return
        }
    }

    /// The kernel names an unnamed probe `p_<symbol>_<n>` / `r_<symbol>_<n>`: when the line shows only an address
    /// (trace-cmd), that name still says what was probed.
    static func symbolFromAutoName(_ name: String) -> String? {
        guard name.hasPrefix("p_") || name.hasPrefix("r_"), let us = name.lastIndex(of: "_"),
              name[name.index(after: us)...].allSatisfy(\.isNumber), us > name.index(name.startIndex, offsetBy: 2)
        else { return nil }
        return String(name[name.index(name.startIndex, offsetBy: 2)..<us])
    }

    static func functionNameHash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        var i = 0
        while i < b.count, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "|") { i += 1 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var n = 0
        while i < b.count, PayloadFields.isKeyByteLike(b[i]) {
            h = (h ^ UInt64(b[i])) &* 0x100_0000_01b3
            i += 1
            n += 1
        }
        return n == 0 ? 0 : h | 1
    }

    static func functionName(_ b: UnsafeRawBufferPointer) -> String {
        var i = 0
        while i < b.count, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "|") { i += 1 }
        var j = i
        while j < b.count, PayloadFields.isKeyByteLike(b[j]) { j += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<j]), as: UTF8.self)
    }

    /// Appends the rule's action; false when the key field could not be read (the caller counts it as unreadable).
    private func apply(_ rp: UnsafeMutablePointer<SemanticRule>, _ batch: EventBatch, _ e: Event, _ index: Int,
                       _ alias: [String: String]?, _ comm: ShortText, into out: inout [Action]) -> Bool {
        let id: UInt64
        var pluginState: TaskState?
        if let k = rp.pointee.key {
            var value = self.read(k, e, batch, alias)
            if value == nil, let p = rp.pointee.plugin, let (pid, st) = Self.pluginPid(p, batch.storage.bytes(e.payload)) {
                value = UInt64(bitPattern: Int64(pid))
                pluginState = st
            }
            guard let v = value else {
                // A probe line without the argument the table needs (user defined fewer args): keep the call.
                if e.kind == .kprobe || e.kind == .kretprobe {
                    out.append(Action(verb: .call, object: .task(e.pid), timestamp: e.timestamp,
                                      lineNumber: e.lineNumber, cpu: e.cpu, pid: e.pid, comm: comm.string,
                                      detail: rp.pointee.verb.rawValue + " (no argument)", eventIndex: index))
                }
                return false
            }
            id = v
        } else {
            id = UInt64(UInt32(bitPattern: e.pid))
        }
        var object = ObjectRef(rp.pointee.object, id)
        if rp.pointee.object == .task { object = .task(Int32(truncatingIfNeeded: Int64(bitPattern: id))) }
        if case .textHash = rp.pointee.key { object.sub = 1 }
        if let s = rp.pointee.sub { object.sub = self.read(s, e, batch, alias) ?? 0 }
        // Filled in place in `out`: building a local action and appending it copied it (retaining its strings).
        func fill(_ a: inout Action) {
            if e.flags.rawValue & (LatencyFlags.hardirq.rawValue | LatencyFlags.softirq.rawValue | LatencyFlags.nmi.rawValue) != 0 {
                a.context = e.flags.contains(.nmi) ? 3 : e.flags.contains(.hardirq) ? 2 : 1
            }
            if let ok = rp.pointee.otherKind, let os = rp.pointee.other, let v = self.read(os, e, batch, alias) {
                a.other = ok == .task && rp.pointee.verb == .fork ? .task(Int32(truncatingIfNeeded: Int64(bitPattern: v)))
                    : ObjectRef(ok, v)
            }
            if let vs = rp.pointee.value, let v = self.read(vs, e, batch, alias) { a.value = Int64(bitPattern: v) }
            if let vs = rp.pointee.value2, let v = self.read(vs, e, batch, alias) { a.value2 = Int64(bitPattern: v) }
            if let st = pluginState { a.state = st }
            if let sf = rp.pointee.stateField, let range = scan.find(sf, in: batch.storage.bytes(e.payload)) {
                let raw = UnsafeRawBufferPointer(rebasing: batch.storage.bytes(e.payload)[range])
                if let st = Self.stateLetters(raw) { a.state = st }
                else if let n = PayloadFields.parseInteger(raw) {
                    a.state = prevStateEncoding.decode(UInt64(bitPattern: n))
                }
            }
            switch rp.pointee.detail {
            case .none: break
            case .payload: a.detailText = ShortText(decoding: batch.storage.bytes(e.payload))
            case .field(let k):
                if let range = scan.find(k, in: batch.storage.bytes(e.payload)) {
                    var v = UnsafeRawBufferPointer(rebasing: batch.storage.bytes(e.payload)[range])
                    if v.count >= 2 && v.first == UInt8(ascii: "\"") && v.last == UInt8(ascii: "\"") {
                        v = UnsafeRawBufferPointer(rebasing: v[1..<(v.count - 1)])
                    }
                    a.detailText = ShortText(decoding: v)
                }
            case .freeWords(let skip): a.detailText = ShortText(Self.freeWords(batch.storage.bytes(e.payload), skip: skip,
                                                                 probe: e.kind == .kprobe || e.kind == .kretprobe))
            }
        }
        out.append(Action(verb: rp.pointee.verb, object: object, timestamp: e.timestamp, lineNumber: e.lineNumber, cpu: e.cpu,
                              pid: e.pid, commText: comm, eventIndex: index))
        fill(&out[out.count - 1])
        return true
    }

    func read(_ s: FieldSource, _ e: Event, _ batch: EventBatch, _ alias: [String: String]?) -> UInt64? {
        let payload = batch.storage.bytes(e.payload)
        switch s {
        case .int(let k):
            guard let r = scan.find(k, in: payload) else { return nil }
            return PayloadFields.parseInteger(UnsafeRawBufferPointer(rebasing: payload[r])).map { UInt64(bitPattern: $0) }
        case .hex(let k):
            guard let r = scan.find(k, in: payload) else { return nil }
            return PayloadFields.parseHex(UnsafeRawBufferPointer(rebasing: payload[r]))
        case .arg(let names, let position):
            for n in names {
                let key = alias?[n] ?? n
                if let r = scan.find(key, in: payload) {
                    let b = UnsafeRawBufferPointer(rebasing: payload[r])
                    // Typed arguments (`:s32`, `:u64`) print decimal; the default print is hex with `0x`.
                    if let v = PayloadFields.parseInteger(b).map({ UInt64(bitPattern: $0) }) ?? PayloadFields.parseHex(b) {
                        return v
                    }
                }
            }
            guard position > 0 else { return nil }
            guard let site = batch.probe(e) else { return nil }
            let b = batch.storage.bytes(e.payload)
            guard site.prefixLength < b.count else { return nil }
            let args = PayloadFields(storage: batch.storage,
                                     span: ByteSpan(start: Int(e.payload.start) + site.prefixLength,
                                                    count: b.count - site.prefixLength)).pairs
            guard position <= args.count else { return nil }
            var v = Substring(args[position - 1].value)
            if v.hasPrefix("0x") { v = v.dropFirst(2) }
            return UInt64(v, radix: 16)
        case .token(let n):
            let b = batch.storage.bytes(e.payload)
            var idx = 0, i = 0
            while i < b.count {
                while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
                let start = i
                while i < b.count, b[i] != UInt8(ascii: " ") { i += 1 }
                if start < i {
                    if idx == n { return PayloadFields.parseHex(UnsafeRawBufferPointer(rebasing: b[start..<i])) }
                    idx += 1
                }
            }
            return nil
        case .textHash(let k):
            guard let r = scan.find(k, in: payload) else { return nil }
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for c in UnsafeRawBufferPointer(rebasing: batch.storage.bytes(e.payload)[r]) {
                h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            }
            return h
        case .xlogDevice:
            // "dev 253:0 state ..."
            let t = batch.fields(e).positional
            guard t.count >= 2, t[0] == "dev" else { return nil }
            let mm = t[1].split(separator: ":")
            guard mm.count == 2, let ma = UInt64(mm[0]), let mi = UInt64(mm[1]) else { return nil }
            return ma << 20 | mi
        }
    }

    /// Reads `comm:pid [prio]` (and for the switched-out task the state letters before ` ==> `) from trace-cmd's
    /// plugin rendering. Its letter table is fixed and wrong for some kernels (idle shows `W`), but S and D —
    /// what hang analysis needs — are right.
    static func pluginPid(_ p: PluginPid, _ b: UnsafeRawBufferPointer) -> (Int32, TaskState?)? {
        let text = String(decoding: b, as: UTF8.self)
        let part: Substring
        var state: TaskState?
        switch p {
        case .switchPrev, .switchNext:
            guard let arrow = text.firstRange(of: " ==> ") else { return nil }
            if p == .switchNext { part = text[arrow.upperBound...] } else {
                let left = text[..<arrow.lowerBound]
                guard let sp = left.lastIndex(of: " ") else { return nil }
                state = TaskState.parseLetters(left[left.index(after: sp)...])
                part = left[..<sp]
            }
        case .wakeTarget:
            part = Substring(text)
        }
        guard let bracket = part.firstRange(of: " [") else { return nil }
        let head = part[..<bracket.lowerBound]
        guard let colon = head.lastIndex(of: ":"), let pid = Int32(head[head.index(after: colon)...]) else { return nil }
        return (pid, state)
    }

    /// `S`, `D|K`, `R+`, `I` straight from the bytes (what `TaskState.parseLetters` does, without Strings: this
    /// runs for every sched_switch). Nil for numbers and unknown letters.
    static func stateLetters(_ b: UnsafeRawBufferPointer) -> TaskState? {
        var st = TaskState.running
        guard !b.isEmpty else { return nil }
        for c in b {
            switch c {
            case UInt8(ascii: "R"), UInt8(ascii: "|"): break
            case UInt8(ascii: "+"): st.insert(.preempted)
            case UInt8(ascii: "S"): st.insert(.interruptible)
            case UInt8(ascii: "D"): st.insert(.uninterruptible)
            case UInt8(ascii: "T"): st.insert(.stopped)
            case UInt8(ascii: "t"): st.insert(.traced)
            case UInt8(ascii: "X"): st.insert(.dead)
            case UInt8(ascii: "Z"): st.insert(.zombie)
            case UInt8(ascii: "P"): st.insert(.parked)
            case UInt8(ascii: "I"): st.insert(.idle)
            case UInt8(ascii: "K"): st.insert(.wakekill)
            case UInt8(ascii: "W"): st.insert(.waking)
            case UInt8(ascii: "N"): st.insert(.noload)
            case UInt8(ascii: "x"): st.insert(.taskDead)
            case UInt8(ascii: "n"): st.insert(.new)
            default: return nil
            }
        }
        return st
    }

    /// The words of a payload that are not `key=value` pairs: `PUT rlq`, `LCFL WORK`.
    static func freeWords(_ b: UnsafeRawBufferPointer, skip: Int, probe: Bool) -> String {
        var words: [Substring] = []
        let text = String(decoding: b, as: UTF8.self)
        var body = Substring(text)
        if probe, body.hasPrefix("("), let close = body.firstIndex(of: ")") { body = body[body.index(after: close)...] }
        var skipped = 0
        for w in body.split(separator: " ") {
            if skipped < skip { skipped += 1; continue }
            if w.contains("=") { continue }
            words.append(w)
        }
        return words.joined(separator: " ")
    }
}

/// The rules in memory that never moves, so that the hot path can borrow one without copying it.
final class RuleTable {
    let base: UnsafeMutablePointer<SemanticRule>
    let count: Int

    init(_ rules: [SemanticRule]) {
        count = rules.count
        base = .allocate(capacity: max(1, rules.count))
        base.initialize(from: rules, count: rules.count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}

/// The `key=value` pairs of one payload, found in a single pass: lookups then compare keys at those places only
/// (the general `PayloadFields` lookup rescans the payload for every key). Values end at a space; a quoted value at
/// its closing quote. Good for the fields the table reads (pids, pointers, ids, states, flags, names).
///
/// The scan finds, eight bytes at a time, where each blank-separated token has its first `=` and where the token
/// (its value) ends; key bytes are compared only where a token's `=` sits at the looked-up key's length. Checking
/// every key byte against a table and calling memchr per value cost ~700 instructions per sched_switch. A token
/// whose would-be key holds a byte outside `[A-Za-z0-9_.]` is no pair: no valid key can equal it, and before a
/// quoted value (which may hold blanks) the key is checked byte by byte.
final class FieldScan {
    /// Per token with an `=`: its start, the `=`, the end of its value. Payloads hold a few dozen pairs at most;
    /// more are ignored. Scanning is lazy: a lookup reads on only until it meets its key, so `pid=` of a
    /// sched_waking never looks at `prio=` and `target_cpu=`.
    private static let capacity = 48
    private let slots = UnsafeMutablePointer<Int32>.allocate(capacity: 3 * FieldScan.capacity)
    private var count = 0
    private var position = 0
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The key-byte table, held here so that lookups do not go through the static's lazy initializer.
    private let isKey = FieldScan.keyByte

    deinit { slots.deallocate() }

    func reset(_ b: UnsafeRawBufferPointer) {
        count = 0
        position = 0
        bytes = b
    }

    /// Key bytes `[A-Za-z0-9_.]`, as a table.
    nonisolated(unsafe) private static let keyByte: UnsafeMutablePointer<Bool> = {
        let t = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
        for c in 0..<256 { t[c] = PayloadFields.isKeyByteLike(UInt8(c)) }
        return t
    }()

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    /// The high bit of each byte of `x` that is zero; the lowest set bit is exact (a borrow can only mark bytes
    /// above a true zero).
    @inline(__always) private static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- ones) & ~x & (ones &* 0x80)
    }

    /// The first index at or after `i` holding a blank, or (when `orEquals`) an `=`; `n` when none.
    @inline(__always) private static func find(blankOrEquals orEquals: Bool, _ p: UnsafePointer<UInt8>, from i: Int,
                                               _ n: Int) -> Int {
        var i = i
        while i + 8 <= n {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            var m = zeroBytes(w ^ (ones &* 0x20))
            if orEquals { m |= zeroBytes(w ^ (ones &* 0x3d)) }
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n && p[i] != 0x20 && !(orEquals && p[i] == 0x3d) { i += 1 }
        return i
    }

    /// Scans the next token that has an `=`; false at the end of the payload.
    private func next() -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var i = position
        while i < n && count < FieldScan.capacity {
            while i < n && p[i] == 0x20 { i += 1 }
            if i >= n { break }
            let t = i
            let stop = Self.find(blankOrEquals: true, p, from: t, n)
            guard stop < n && p[stop] == UInt8(ascii: "=") else {
                i = stop
                continue
            }
            let vs = stop + 1
            var j: Int
            if vs < n && p[vs] == UInt8(ascii: "\"") && validKey(p, t, stop) {
                j = vs + 1
                while j < n && p[j] != UInt8(ascii: "\"") { j += 1 }
                if j < n { j += 1 }
            } else {
                j = Self.find(blankOrEquals: false, p, from: vs, n)
            }
            let s = slots + 3 * count
            s[0] = Int32(t)
            s[1] = Int32(stop)
            s[2] = Int32(j)
            count += 1
            position = j
            return true
        }
        position = n
        return false
    }

    @inline(__always) private func validKey(_ p: UnsafePointer<UInt8>, _ a: Int, _ z: Int) -> Bool {
        guard z > a else { return false }
        for x in a..<z where !isKey[Int(p[x])] { return false }
        return true
    }

    /// The value's byte range of `key`, if the payload has it.
    func find(_ key: String, in b: UnsafeRawBufferPointer) -> Range<Int>? {
        var key = key
        return key.withUTF8 { k -> Range<Int>? in
            guard let kb = k.baseAddress, let base = bytes.baseAddress else { return nil }
            let kn = k.count
            let p = base.assumingMemoryBound(to: UInt8.self)
            var i = 0
            while true {
                if i == count && !next() { return nil }
                let s = slots + 3 * i
                let t = Int(s[0])
                if Int(s[1]) - t == kn && p[t] == kb[0] && memcmp(p + t, kb, kn) == 0 {
                    // Equal bytes: a pair only if they are key bytes (`$retval` names no pair).
                    return validKey(kb, 0, kn) ? (Int(s[1]) + 1)..<Int(s[2]) : nil
                }
                i += 1
            }
        }
    }
}

extension PayloadFields {
    @inline(__always) static func isKeyByteLike(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
