import Foundation

/// `sched_switch` and `sched_wakeup`/`sched_waking`/`sched_wakeup_new` payloads, decoded the same way whichever
/// tool printed them, so that analyses never learn the format:
///
/// - the kernel's print fmt (tracefs, `trace-cmd report -N`):
///   `prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120`
/// - `trace-cmd report -R`: the same keys without `==>`, `prev_state` as a number
/// - trace-cmd's default plugin output: `a:1 [120] S ==> b:2 [120]` and `b:2 [120] CPU:001`
///   (its state letters come from a fixed table that is wrong for some kernels: `stateIsApproximate`).
public struct SchedSwitch: Sendable, Equatable {
    public var prevComm: String
    public var prevPid: Int32
    public var prevPrio: Int32
    /// The state as printed (`S`, `D|K`, `R+`, `2048`).
    public var prevStateText: String
    /// Decoded state; nil for a number when no encoding was given.
    public var prevState: TaskState?
    public var nextComm: String
    public var nextPid: Int32
    public var nextPrio: Int32
    public var stateIsApproximate: Bool

    /// `encoding` decodes a numeric `prev_state`; letters decode without it.
    public static func decode(_ b: UnsafeRawBufferPointer, encoding: PrevStateEncoding? = nil) -> SchedSwitch? {
        if PayloadFields.valueRange(b, key: Keys.prevPid) != nil {
            guard let prevPid = int(b, Keys.prevPid), let nextPid = int(b, Keys.nextPid) else { return nil }
            let stateText = text(b, Keys.prevState).map { firstToken($0) } ?? "R"
            return SchedSwitch(
                prevComm: text(b, Keys.prevComm) ?? "", prevPid: Int32(truncatingIfNeeded: prevPid),
                prevPrio: Int32(truncatingIfNeeded: int(b, Keys.prevPrio) ?? 0), prevStateText: stateText,
                prevState: state(stateText, encoding), nextComm: text(b, Keys.nextComm) ?? "",
                nextPid: Int32(truncatingIfNeeded: nextPid), nextPrio: Int32(truncatingIfNeeded: int(b, Keys.nextPrio) ?? 0),
                stateIsApproximate: false)
        }
        // Plugin form: `comm:pid [prio] STATE ==> comm:pid [prio]`.
        let s = String(decoding: b, as: UTF8.self)
        guard let arrow = s.range(of: " ==> ") else { return nil }
        let left = s[..<arrow.lowerBound], right = s[arrow.upperBound...]
        guard let prioOpen = left.range(of: " [", options: .backwards),
              let prioClose = left[prioOpen.upperBound...].firstIndex(of: "]"),
              let prev = task(left[..<prioOpen.lowerBound]), let next = task(taskPart(right)) else { return nil }
        let stateText = String(left[left.index(after: prioClose)...].drop(while: { $0 == " " }))
        return SchedSwitch(
            prevComm: prev.comm, prevPid: prev.pid, prevPrio: Int32(left[prioOpen.upperBound..<prioClose]) ?? 0,
            prevStateText: stateText, prevState: state(stateText, encoding), nextComm: next.comm, nextPid: next.pid,
            nextPrio: bracketedPrio(right) ?? 0, stateIsApproximate: true)
    }

    static func state(_ text: String, _ encoding: PrevStateEncoding?) -> TaskState? {
        if let v = UInt64(text) ?? (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil) {
            return encoding?.decode(v)
        }
        return TaskState.parseLetters(Substring(text))
    }
}

public struct SchedWakeup: Sendable, Equatable {
    public var comm: String
    public var pid: Int32
    public var prio: Int32
    public var targetCPU: Int32?
    /// Printed up to 4.2 (`success=`); nil after.
    public var success: Bool?

    public static func decode(_ b: UnsafeRawBufferPointer) -> SchedWakeup? {
        if let pid = int(b, Keys.pid) {
            return SchedWakeup(comm: text(b, Keys.comm) ?? "", pid: Int32(truncatingIfNeeded: pid),
                               prio: Int32(truncatingIfNeeded: int(b, Keys.prio) ?? 0),
                               targetCPU: int(b, Keys.targetCPU).map { Int32(truncatingIfNeeded: $0) },
                               success: int(b, Keys.success).map { $0 != 0 })
        }
        // Plugin form: `comm:pid [prio] CPU:001` or `comm:pid [prio] success=1 CPU:000`.
        let s = String(decoding: b, as: UTF8.self)
        guard let t = task(taskPart(Substring(s))) else { return nil }
        var cpu: Int32?
        if let c = s.range(of: "CPU:") { cpu = Int32(s[c.upperBound...].prefix(while: \.isNumber)) }
        var success: Bool?
        if let c = s.range(of: "success=") { success = s[c.upperBound...].first == "1" }
        return SchedWakeup(comm: t.comm, pid: t.pid, prio: bracketedPrio(Substring(s)) ?? 0, targetCPU: cpu, success: success)
    }
}

// MARK: - shared pieces

/// Field names as byte buffers over static strings: no allocation per lookup.
private enum Keys {
    static var prevComm: UnsafeRawBufferPointer { raw("prev_comm") }
    static var prevPid: UnsafeRawBufferPointer { raw("prev_pid") }
    static var prevPrio: UnsafeRawBufferPointer { raw("prev_prio") }
    static var prevState: UnsafeRawBufferPointer { raw("prev_state") }
    static var nextComm: UnsafeRawBufferPointer { raw("next_comm") }
    static var nextPid: UnsafeRawBufferPointer { raw("next_pid") }
    static var nextPrio: UnsafeRawBufferPointer { raw("next_prio") }
    static var comm: UnsafeRawBufferPointer { raw("comm") }
    static var pid: UnsafeRawBufferPointer { raw("pid") }
    static var prio: UnsafeRawBufferPointer { raw("prio") }
    static var targetCPU: UnsafeRawBufferPointer { raw("target_cpu") }
    static var success: UnsafeRawBufferPointer { raw("success") }
    static func raw(_ s: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }
}

private func int(_ b: UnsafeRawBufferPointer, _ k: UnsafeRawBufferPointer) -> Int64? {
    guard let r = PayloadFields.valueRange(b, key: k) else { return nil }
    return PayloadFields.parseInteger(UnsafeRawBufferPointer(rebasing: b[r]))
}

private func text(_ b: UnsafeRawBufferPointer, _ k: UnsafeRawBufferPointer) -> String? {
    guard let r = PayloadFields.valueRange(b, key: k) else { return nil }
    return String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)
}

private func firstToken(_ s: String) -> String { String(s.prefix(while: { $0 != " " })) }

/// `comm:pid` — the comm may contain `:` and spaces, so split at the last `:`.
private func task(_ s: Substring) -> (comm: String, pid: Int32)? {
    guard let colon = s.lastIndex(of: ":"), let pid = Int32(s[s.index(after: colon)...]) else { return nil }
    return (String(s[..<colon]), pid)
}

/// The `comm:pid` before ` [prio]`.
private func taskPart(_ s: Substring) -> Substring {
    guard let open = s.range(of: " [", options: .backwards) else { return s }
    return s[..<open.lowerBound]
}

private func bracketedPrio(_ s: Substring) -> Int32? {
    guard let open = s.range(of: " [", options: .backwards), let close = s[open.upperBound...].firstIndex(of: "]")
    else { return nil }
    return Int32(s[open.upperBound..<close])
}
