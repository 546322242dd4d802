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
/// thread. Up to 15 UTF-8 bytes (every comm, most details) are kept inline; longer texts are interned in
/// `TextPool`, so two `ShortText`s are equal exactly when their strings are.
public struct ShortText: Hashable, Sendable {
    /// Bytes 0–14: the text; byte 15: its length, or `pooled` (then `lo` is the pool index).
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
            lo = UInt64(TextPool.shared.intern(String(decoding: b, as: UTF8.self)))
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

    public var string: String {
        let tag = hi >> 56
        if tag == Self.pooled { return TextPool.shared[Int(lo)] }
        if tag == Self.noneTag { return "" }
        return withUnsafeBytes(of: self) { b in
            String(decoding: UnsafeRawBufferPointer(rebasing: b[0..<Int(tag)]), as: UTF8.self)
        }
    }

    /// The first byte of the text, if any.
    public var firstByte: UInt8? {
        let tag = hi >> 56
        if tag == Self.pooled { return TextPool.shared[Int(lo)].utf8.first }
        return tag == 0 || tag == Self.noneTag ? nil : UInt8(truncatingIfNeeded: lo)
    }
}

/// The long texts of actions, interned once per distinct text for the life of the process (function-tracer
/// details, lock class names, console lines: few distinct values). Shared by every thread that maps, so behind a
/// mutex; reads are rare (a long detail is read when a detector or a report looks at it).
final class TextPool: @unchecked Sendable {
    static let shared = TextPool()
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var texts: [String] = []
    private var index: [String: Int] = [:]

    private init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    func intern(_ s: String) -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let i = index[s] { return i }
        texts.append(s)
        index[s] = texts.count - 1
        return texts.count - 1
    }

    subscript(_ i: Int) -> String {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return texts[i]
    }
}
