/// The latency-format flag columns of an ftrace line (`trace_print_lat_fmt` in kernel/trace/trace_output.c):
/// irqs-off / BH-off, need-resched, hardirq / softirq / NMI context, preempt depth and, since the 5.1x kernels,
/// migrate-disable depth. Packed into 32 bits so `Event` stays small.
public struct LatencyFlags: Sendable, Equatable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let none = LatencyFlags(rawValue: 0)

    // Bits 0-9: booleans. Bits 12-15: preempt depth, 16-19: migrate-disable depth. Bits 24-26: how many flag
    // columns the line had (0, 4 or 5), so that "unknown" and "zero" are told apart.
    public static let irqsOff = LatencyFlags(rawValue: 1 << 0)
    public static let bhOff = LatencyFlags(rawValue: 1 << 1)
    public static let irqsOffUnsupported = LatencyFlags(rawValue: 1 << 2)
    public static let needReschedTIF = LatencyFlags(rawValue: 1 << 3)
    public static let needReschedPreempt = LatencyFlags(rawValue: 1 << 4)
    public static let hardirq = LatencyFlags(rawValue: 1 << 5)
    public static let softirq = LatencyFlags(rawValue: 1 << 6)
    public static let nmi = LatencyFlags(rawValue: 1 << 7)

    public func contains(_ other: LatencyFlags) -> Bool { rawValue & other.rawValue == other.rawValue }
    public mutating func insert(_ other: LatencyFlags) { rawValue |= other.rawValue }

    public var preemptDepth: Int { Int((rawValue >> 12) & 0xF) }
    public var migrateDisableDepth: Int { Int((rawValue >> 16) & 0xF) }
    /// 0 when the line printed no flag columns (flags unknown), else 4 or 5.
    public var columns: Int { Int((rawValue >> 24) & 0x7) }

    public mutating func setPreemptDepth(_ depth: Int) {
        rawValue = (rawValue & ~(0xF << 12)) | (UInt32(depth & 0xF) << 12)
    }
    public mutating func setMigrateDisableDepth(_ depth: Int) {
        rawValue = (rawValue & ~(0xF << 16)) | (UInt32(depth & 0xF) << 16)
    }
    public mutating func setColumns(_ n: Int) {
        rawValue = (rawValue & ~(0x7 << 24)) | (UInt32(n & 0x7) << 24)
    }

    /// Decodes one flag column string such as `d..2`, `dNh1.`, `D.s..`. Returns nil when a character is not a
    /// flag the kernel prints, so a caller can tell flags from a timestamp. PREEMPT_RT kernels print 6 or 7
    /// columns (need-resched-lazy after need-resched, preempt-lazy-depth after preempt-depth); the lazy columns
    /// are checked but not kept.
    public static func decode(_ chars: UnsafeRawBufferPointer) -> LatencyFlags? {
        let roles: [FlagColumn]
        switch chars.count {
        case 4: roles = FlagColumn.four
        case 5: roles = FlagColumn.five
        case 6: roles = FlagColumn.sixRT
        case 7: roles = FlagColumn.sevenRT
        default: return nil
        }
        var f = LatencyFlags.none
        for (role, c) in zip(roles, chars) {
            if c == UInt8(ascii: ".") { continue }
            switch (role, c) {
            case (.irqs, UInt8(ascii: "d")): f.insert(.irqsOff)
            case (.irqs, UInt8(ascii: "D")): f.insert(.irqsOff); f.insert(.bhOff)
            case (.irqs, UInt8(ascii: "b")): f.insert(.bhOff)
            case (.irqs, UInt8(ascii: "X")): f.insert(.irqsOffUnsupported)
            case (.resched, UInt8(ascii: "N")): f.insert(.needReschedTIF); f.insert(.needReschedPreempt)
            case (.resched, UInt8(ascii: "n")): f.insert(.needReschedTIF)
            case (.resched, UInt8(ascii: "p")): f.insert(.needReschedPreempt)
            // Lazy-preemption letters (6.13+ mainline, RT): a reschedule is pending; which flavour does not matter.
            case (.resched, UInt8(ascii: "L")), (.resched, UInt8(ascii: "l")), (.resched, UInt8(ascii: "B")),
                (.resched, UInt8(ascii: "b")):
                f.insert(.needReschedTIF)
            case (.lazy, UInt8(ascii: "L")), (.lazy, UInt8(ascii: "l")): break
            case (.context, UInt8(ascii: "Z")): f.insert(.nmi); f.insert(.hardirq)
            case (.context, UInt8(ascii: "z")): f.insert(.nmi)
            case (.context, UInt8(ascii: "H")): f.insert(.hardirq); f.insert(.softirq)
            case (.context, UInt8(ascii: "h")): f.insert(.hardirq)
            case (.context, UInt8(ascii: "s")): f.insert(.softirq)
            case (.preempt, let d):
                guard let v = hexValue(d) else { return nil }
                f.setPreemptDepth(v)
            case (.migrate, let d):
                guard let v = hexValue(d) else { return nil }
                f.setMigrateDisableDepth(v)
            case (.lazyDepth, let d):
                guard hexValue(d) != nil else { return nil }
            default: return nil
            }
        }
        f.setColumns(chars.count)
        return f
    }

    public static func decode(_ text: String) -> LatencyFlags? {
        var t = text
        return t.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    enum FlagColumn {
        case irqs, resched, lazy, context, preempt, lazyDepth, migrate
        static let four: [FlagColumn] = [.irqs, .resched, .context, .preempt]
        static let five: [FlagColumn] = [.irqs, .resched, .context, .preempt, .migrate]
        static let sixRT: [FlagColumn] = [.irqs, .resched, .lazy, .context, .preempt, .lazyDepth]
        static let sevenRT: [FlagColumn] = [.irqs, .resched, .lazy, .context, .preempt, .lazyDepth, .migrate]
    }

    @inline(__always) public static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c &- 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c &- 87)
        default: nil
        }
    }

    /// The flags as the kernel would print them (`d..2.`), for reports.
    public var text: String {
        let n = columns
        guard n > 0 else { return "" }
        var s = ""
        s += contains(.irqsOff) && contains(.bhOff) ? "D" : contains(.irqsOff) ? "d" : contains(.bhOff) ? "b"
            : contains(.irqsOffUnsupported) ? "X" : "."
        s += contains(.needReschedTIF) && contains(.needReschedPreempt) ? "N" : contains(.needReschedTIF) ? "n"
            : contains(.needReschedPreempt) ? "p" : "."
        s += contains(.nmi) && contains(.hardirq) ? "Z" : contains(.nmi) ? "z"
            : contains(.hardirq) && contains(.softirq) ? "H" : contains(.hardirq) ? "h" : contains(.softirq) ? "s" : "."
        s += preemptDepth == 0 ? "." : String(preemptDepth, radix: 16)
        if n >= 5 { s += migrateDisableDepth == 0 ? "." : String(migrateDisableDepth) }
        return s
    }
}
