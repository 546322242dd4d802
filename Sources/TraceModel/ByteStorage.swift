/// A block of bytes read from the input: the text every event of a batch points into. Written once by the reader
/// before the batch is handed out, read-only afterwards — hence the unchecked Sendable.
public final class ByteStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    public internal(set) var count: Int
    /// How the bytes are released: freed, or unmapped when they are a window of a memory-mapped file.
    private let release: Release

    private enum Release {
        case free
        case unmap(UnsafeMutableRawPointer, Int)
    }

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        count = 0
        release = .free
    }

    /// A read-only window `[offset, offset + length)` of the file open on `fd`, mapped rather than copied: the
    /// page cache is read in place and the window is unmapped when the last batch using it goes away.
    public init?(mapping fd: Int32, offset: Int64, length: Int) {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        let aligned = offset - offset % page
        let lead = Int(offset - aligned)
        guard length > 0,
              let m = mmap(nil, length + lead, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(aligned)),
              m != MAP_FAILED else { return nil }
        base = m + lead
        capacity = length
        count = length
        release = .unmap(m, length + lead)
    }

    public convenience init(bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        bytes.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count = bytes.count
    }

    deinit {
        switch release {
        case .free: base.deallocate()
        case .unmap(let m, let n): munmap(m, n)
        }
    }

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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
