/// A dictionary keyed by pid for the detectors' per-task tables. `Int32` keys hash through a seeded `Hasher`
/// (≈ 75 instructions a lookup, ≈ 150 k lookups per 20 MB on the serial observing thread); `Pid` hashes with one
/// finalizer mix, as `ObjectRef` does. Pids are kernel ids, not attacker-chosen, so a fixed mix is enough. Only what
/// the detectors use is offered; iteration order is unspecified, as a dictionary's (callers sort when it matters).
struct PidMap<Value>: Sequence, ExpressibleByDictionaryLiteral {
    struct Pid: Hashable {
        var value: Int32

        func hash(into hasher: inout Hasher) { hasher.combine(value) }

        func _rawHashValue(seed: Int) -> Int {
            var x = UInt64(UInt32(bitPattern: value)) ^ UInt64(bitPattern: Int64(seed))
            x = (x ^ (x >> 33)) &* 0xff51_afd7_ed55_8ccd
            x = (x ^ (x >> 33)) &* 0xc4ce_b9fe_1a85_ec53
            return Int(bitPattern: UInt(truncatingIfNeeded: x ^ (x >> 33)))
        }
    }

    private var table: [Pid: Value] = [:]

    init(dictionaryLiteral elements: (Int32, Value)...) {
        for (k, v) in elements { table[Pid(value: k)] = v }
    }

    subscript(_ pid: Int32) -> Value? {
        get { table[Pid(value: pid)] }
        _modify { yield &table[Pid(value: pid)] }
    }

    subscript(_ pid: Int32, default d: @autoclosure () -> Value) -> Value {
        get { table[Pid(value: pid), default: d()] }
        _modify { yield &table[Pid(value: pid), default: d()] }
    }

    @discardableResult mutating func removeValue(forKey pid: Int32) -> Value? { table.removeValue(forKey: Pid(value: pid)) }
    @discardableResult mutating func updateValue(_ v: Value, forKey pid: Int32) -> Value? {
        table.updateValue(v, forKey: Pid(value: pid))
    }

    var isEmpty: Bool { table.isEmpty }
    var count: Int { table.count }
    var values: Dictionary<Pid, Value>.Values { table.values }

    func makeIterator() -> AnyIterator<(key: Int32, value: Value)> {
        var it = table.makeIterator()
        return AnyIterator { it.next().map { (key: $0.key.value, value: $0.value) } }
    }
}
