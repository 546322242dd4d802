#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A string an `Action` carries (the actor's comm, the detail), stored so that actions stay trivially copyable:
/// with `String` fields every copy of an action (into a timeline ring, out of a mapped segment) retained and released
/// two strings, and freeing a segment walked its actions, ≈ 40 M instructions per 20 MB on the serial observing
/// thread (measured: an optional `String` for the long texts alone brought back 85 M). Up to 15 UTF-8 bytes (every
/// comm, most details) are kept inline; longer texts live in `TextPool`, a bounded ring, so two `ShortText`s are
/// equal exactly when their strings are.
public struct ShortText: Hashable, Sendable {
    /// Bytes 0–14: the text; byte 15: its length, or `pooled` (then `lo` is the pool slot and its generation).
    private var lo: UInt64 = 0
    private var hi: UInt64 = 0
    private static let pooled: UInt64 = 0xff
    private static let noneTag: UInt64 = 0xfe

    public init() {}

    /// Equal to no text: a "not seen yet" marker (computed, not a lazily initialized static, on the hot path).
    public static var none: ShortText {
        var t = ShortText()
        t.hi = noneTag << 56
        return t
    }

    public init(_ s: String) {
        var s = s
        self = s.withUTF8 { ShortText(validUTF8: $0) }
    }

    /// Bytes already known to be valid UTF-8 (a String's).
    private init(validUTF8 b: UnsafeBufferPointer<UInt8>) {
        if b.count <= 15 {
            self.init(inline: UnsafeRawBufferPointer(b))
        } else {
            self.init()
            lo = TextPool.shared.intern(String(decoding: b, as: UTF8.self))
            hi = Self.pooled << 56
        }
    }

    private init(inline b: UnsafeRawBufferPointer) {
        self.init()
        withUnsafeMutableBytes(of: &self) { out in
            if b.count > 0 { out.baseAddress!.copyMemory(from: b.baseAddress!, byteCount: b.count) }
            out[15] = UInt8(b.count)
        }
    }

    /// Raw bytes from a trace, decoded as `String(decoding:as:)` decodes them (invalid UTF-8 repaired).
    public init(decoding b: UnsafeRawBufferPointer) {
        var ascii = b.count <= 15
        if ascii { for c in b where c >= 0x80 { ascii = false; break } }
        if ascii { self.init(inline: b) } else { self.init(String(decoding: b, as: UTF8.self)) }
    }

    public var isEmpty: Bool { lo == 0 && hi == 0 }
    /// The text is held in the value itself (up to 15 bytes), not in the pool, so it can never be evicted.
    public var isInline: Bool { hi >> 56 <= 15 }

    public var string: String {
        let tag = hi >> 56
        if tag == Self.pooled { return TextPool.shared[lo] }
        if tag == Self.noneTag { return "" }
        return withUnsafeBytes(of: self) { b in
            String(decoding: UnsafeRawBufferPointer(rebasing: b[0..<Int(tag)]), as: UTF8.self)
        }
    }

    /// The first byte of the text, if any.
    public var firstByte: UInt8? {
        let tag = hi >> 56
        if tag == Self.pooled { return TextPool.shared[lo].utf8.first }
        return tag == 0 || tag == Self.noneTag ? nil : UInt8(truncatingIfNeeded: lo)
    }
}

/// The long texts of actions (long dentry names, console lines, lock classes, function-tracer details), each kept
/// once. Traces are unbounded and may hold millions of distinct names, so the pool is a ring of `capacity` slots:
/// once full, a new text takes the oldest slot. A reference carries its slot's generation, so a text that was
/// overwritten reads as `evicted`, never as another text. Detectors read an action's text while it is being observed,
/// at most a few batches (a few hundred thousand actions) after it was made, which the default capacity exceeds;
/// only an old timeline entry shown in a report can lose its text, and then says so. Shared by every thread that
/// maps, so behind a mutex; reads are rare (a long detail is read when a detector or a report looks at it).
final class TextPool: @unchecked Sendable {
    static let shared = TextPool(capacity: 1 << 19)
    static let evicted = "(text no longer kept: over \(TextPool.shared.capacity) distinct long texts since)"
    let capacity: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var texts: [String] = []
    private var generations: [UInt32] = []
    private var index: [String: Int] = [:]
    /// The next slot to (re)use once the ring is full.
    private var cursor = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A reference to `s`: its slot in the low 32 bits, the slot's generation in the high 32.
    func intern(_ s: String) -> UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let slot: Int
        if let i = index[s] {
            slot = i
        } else if texts.count < capacity {
            texts.append(s)
            generations.append(0)
            slot = texts.count - 1
            index[s] = slot
        } else {
            slot = cursor
            cursor = (cursor + 1) % capacity
            index[texts[slot]] = nil
            texts[slot] = s
            generations[slot] &+= 1
            index[s] = slot
        }
        return UInt64(slot) | UInt64(generations[slot]) << 32
    }

    subscript(_ ref: UInt64) -> String {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let slot = Int(ref & 0xffff_ffff)
        guard slot < texts.count, generations[slot] == UInt32(truncatingIfNeeded: ref >> 32) else {
            return Self.evicted
        }
        return texts[slot]
    }
}
