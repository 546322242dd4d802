/// A block of bytes read from the input: the text every event of a batch points into. Written once by the reader
/// before the batch is handed out, read-only afterwards — hence the unchecked Sendable.
public final class ByteStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    public internal(set) var count: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        count = 0
    }

    public convenience init(bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        bytes.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count = bytes.count
    }

    deinit { base.deallocate() }

    /// For readers filling the block; not part of the consumer API.
    public func setCount(_ n: Int) { count = n }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always) public func bytes(_ span: ByteSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + Int(span.start), count: Int(span.count))
    }

    public func string(_ span: ByteSpan) -> String {
        String(decoding: bytes(span), as: UTF8.self)
    }
}
