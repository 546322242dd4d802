/// Where a kprobe, kretprobe or uprobe fired, read from the `(...)` that opens its payload. Analyses map probe
/// events by this symbol, never by the user's probe name: `p_d_splice_alias_0` and `dsplice` are the same probe.
public struct ProbeSite: Sendable, Equatable {
    /// The probed function: `d_splice_alias` in `(d_splice_alias+0x0/0x2a0)` and in
    /// `(proc_pid_lookup+0x83/0x130 <- d_splice_alias)`. Nil when the trace shows only addresses.
    public var symbol: String?
    public var offset: UInt64?
    public var size: UInt64?
    /// For a kretprobe: the caller the probed function returned to.
    public var caller: String?
    /// Raw addresses, when the trace printed them instead of symbols (`trace-cmd report`, uprobes).
    public var address: UInt64?
    public var callerAddress: UInt64?
    public var isReturn: Bool
    /// Byte length of the `(...)` prefix including the following space, so arguments start after it.
    public var prefixLength: Int

    public static func parse(_ b: UnsafeRawBufferPointer) -> ProbeSite? {
        guard b.count >= 3, b[0] == UInt8(ascii: "(") else { return nil }
        guard let close = b.firstIndex(of: UInt8(ascii: ")")) else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: b[1..<close])
        var prefix = close + 1
        if prefix < b.count && b[prefix] == UInt8(ascii: " ") { prefix += 1 }
        // kretprobe: "A <- B"
        if let arrow = find(inner, " <- ") {
            let left = UnsafeRawBufferPointer(rebasing: inner[..<arrow])
            let right = UnsafeRawBufferPointer(rebasing: inner[(arrow + 4)...])
            var site = ProbeSite(isReturn: true, prefixLength: prefix)
            let l = location(left), r = location(right)
            // The kernel prints (caller+off/size <- probed); trace-cmd prints (probed-address <- caller-address).
            if l.symbol != nil || r.symbol != nil {
                site.caller = l.symbol
                site.offset = l.offset
                site.size = l.size
                site.symbol = r.symbol
                site.address = r.address
                site.callerAddress = l.address
            } else {
                site.address = l.address
                site.callerAddress = r.address
            }
            return site
        }
        let loc = location(inner)
        guard loc.symbol != nil || loc.address != nil else { return nil }
        var site = ProbeSite(isReturn: false, prefixLength: prefix)
        site.symbol = loc.symbol
        site.offset = loc.offset
        site.size = loc.size
        site.address = loc.address
        return site
    }

    init(isReturn: Bool, prefixLength: Int) {
        self.isReturn = isReturn
        self.prefixLength = prefixLength
    }

    /// `sym+0x1b/0x1d`, `sym`, `0x48db60`, `ffffffff8b96e720`.
    static func location(_ b: UnsafeRawBufferPointer) -> (symbol: String?, offset: UInt64?, size: UInt64?,
                                                          address: UInt64?) {
        guard !b.isEmpty else { return (nil, nil, nil, nil) }
        if let plus = b.lastIndex(of: UInt8(ascii: "+")) {
            let sym = String(decoding: UnsafeRawBufferPointer(rebasing: b[..<plus]), as: UTF8.self)
            let rest = UnsafeRawBufferPointer(rebasing: b[(plus + 1)...])
            if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                return (sym, PayloadFields.parseHex(UnsafeRawBufferPointer(rebasing: rest[..<slash])),
                        PayloadFields.parseHex(UnsafeRawBufferPointer(rebasing: rest[(slash + 1)...])), nil)
            }
            return (sym, PayloadFields.parseHex(rest), nil, nil)
        }
        let isHexOnly = b.allSatisfy { LatencyFlags.hexValue($0) != nil || $0 == UInt8(ascii: "x") }
        if isHexOnly, let a = PayloadFields.parseHex(b) { return (nil, nil, nil, a) }
        let isSymbol = b.allSatisfy { PayloadFields.isKeyByte($0) }
        return isSymbol ? (String(decoding: b, as: UTF8.self), nil, nil, nil) : (nil, nil, nil, nil)
    }

    static func find(_ b: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let nb = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard b.count >= nb.count else { return nil }
        for i in 0...(b.count - nb.count) where b[i] == nb[0] {
            if UnsafeRawBufferPointer(rebasing: b[i..<(i + nb.count)]).elementsEqual(nb) { return i }
        }
        return nil
    }
}
