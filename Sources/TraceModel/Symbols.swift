/// The strings behind `Symbol`s. Value type and append-only: a batch carries the table as it was when the batch
/// was cut, so a consumer on another thread resolves names without locks; copies share storage until the reader
/// appends.
public struct SymbolTable: Sendable {
    public private(set) var names: [String] = []

    public init() {}

    public subscript(symbol: Symbol) -> String {
        let i = Int(symbol.rawValue)
        return i < names.count ? names[i] : "?"
    }

    public var count: Int { names.count }

    mutating func append(_ name: String) -> Symbol {
        names.append(name)
        return Symbol(rawValue: UInt32(names.count - 1))
    }

    /// The symbol of `name`, if the reader interned it. Linear: meant for setting up a consumer, not per event.
    public func symbol(named name: String) -> Symbol? {
        names.firstIndex(of: name).map { Symbol(rawValue: UInt32($0)) }
    }
}

/// Interns byte strings (comms, event names) on the reader's hot path without creating a `String` per line:
/// open addressing over a hash of the bytes, with the bytes kept in an arena for comparison.
public struct ByteInterner {
    private var arena: [UInt8] = []
    private var entries: [(start: Int32, count: Int32)] = []
    private var slots: [Int32]
    private var mask: Int
    public private(set) var table = SymbolTable()

    public init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = Array(repeating: -1, count: n)
        mask = n - 1
    }

    public var count: Int { entries.count }

    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> Int {
        // Names are short (comms ≤ 15 bytes, event names ≤ ~40): mix 8 bytes at a time, then the tail.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        while i < n {
            tail = tail << 8 | UInt64(p.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    public mutating func intern(_ p: UnsafeRawPointer, _ n: Int) -> Symbol {
        var i = ByteInterner.hash(p, n) & mask
        while true {
            let e = slots[i]
            if e < 0 { break }
            let entry = entries[Int(e)]
            if Int(entry.count) == n {
                let same = arena.withUnsafeBytes { a in memcmp(a.baseAddress! + Int(entry.start), p, n) == 0 }
                if same { return Symbol(rawValue: UInt32(e)) }
            }
            i = (i + 1) & mask
        }
        let start = arena.count
        arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        entries.append((Int32(start), Int32(n)))
        slots[i] = Int32(entries.count - 1)
        let sym = table.append(String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self))
        if entries.count * 2 > slots.count { grow() }
        return sym
    }

    public mutating func intern(_ s: String) -> Symbol {
        var s = s
        return s.withUTF8 { b in
            // An empty buffer may have a nil base; any valid pointer works for zero bytes.
            guard let base = b.baseAddress else { return withUnsafeBytes(of: 0) { intern($0.baseAddress!, 0) } }
            return intern(UnsafeRawPointer(base), b.count)
        }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = Array(repeating: -1, count: n)
        mask = n - 1
        arena.withUnsafeBytes { a in
            for (idx, e) in entries.enumerated() {
                var i = ByteInterner.hash(a.baseAddress! + Int(e.start), Int(e.count)) & mask
                while slots[i] >= 0 { i = (i + 1) & mask }
                slots[i] = Int32(idx)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
