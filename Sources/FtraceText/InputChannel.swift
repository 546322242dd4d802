import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the input in bounded chunks: a file (optionally a byte range of it, for parallel readers), standard
/// input, or bytes in memory. Memory stays bounded whatever the input size.
final class InputChannel {
    enum Source {
        case fd(Int32, ownsFD: Bool)
        case memory([UInt8])
    }

    let name: String
    private var source: Source
    private var position: Int64
    private let end: Int64?
    private(set) var atEOF = false

    init(path: String) throws {
        name = path
        if path == "-" {
            source = .fd(0, ownsFD: false)
            position = 0
            end = nil
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw TraceInputError(path: path, message: "is a directory, not a text trace")
        }
        source = .fd(fd, ownsFD: true)
        position = 0
        end = nil
    }

    /// A byte range of a file, for one of several parallel readers.
    init(path: String, range: Range<Int64>) throws {
        name = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        source = .fd(fd, ownsFD: true)
        position = range.lowerBound
        end = range.upperBound
    }

    init(bytes: [UInt8], name: String) {
        self.name = name
        source = .memory(bytes)
        position = 0
        end = nil
    }

    deinit {
        if case .fd(let fd, true) = source { close(fd) }
    }

    /// The input offset of the next byte `read` returns.
    var offset: Int64 { position }

    /// A regular file can be mapped window by window instead of copied.
    private(set) lazy var mappableFD: Int32? = {
        guard case .fd(let fd, true) = source else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        fileSize = Int64(st.st_size)
        return fd
    }()
    private var fileSize: Int64 = 0

    /// Maps the next at most `length` bytes (within the range and the file) without consuming them; nil when the
    /// input cannot be mapped. `consume` moves past them.
    func mapNext(length: Int) -> (ByteStorage, atEnd: Bool)? {
        guard let fd = mappableFD else { return nil }
        let limit = min(end ?? fileSize, fileSize)
        let n = Int(min(Int64(length), max(0, limit - position)))
        if n == 0 { return (ByteStorage(capacity: 1), true) }
        guard let storage = ByteStorage(mapping: fd, offset: position, length: n) else { return nil }
        return (storage, position + Int64(n) >= limit)
    }

    func consume(_ n: Int) {
        position += Int64(n)
        if let end, position >= end { atEOF = true }
    }

    /// Fills `buffer` from `at` up to `capacity`; returns the number of bytes added (0 at end of input).
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        var want = capacity
        if let end { want = Int(min(Int64(want), max(0, end - position))) }
        guard want > 0 else { atEOF = true; return 0 }
        switch source {
        case .memory(let bytes):
            let n = min(want, bytes.count - Int(position))
            if n <= 0 { atEOF = true; return 0 }
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + Int(position), byteCount: n) }
            position += Int64(n)
            return n
        case .fd(let fd, let owns):
            var got = 0
            while got < want {
                let r = owns
                    ? pread(fd, buffer + got, want - got, off_t(position + Int64(got)))
                    : Glibc.read(fd, buffer + got, want - got)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw TraceInputError(path: name, message: "read failed: \(String(cString: strerror(errno)))",
                                          byteOffset: position + Int64(got))
                }
                if r == 0 { atEOF = true; break }
                got += r
            }
            position += Int64(got)
            return got
        }
    }
}
