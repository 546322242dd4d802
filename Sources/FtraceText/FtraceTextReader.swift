import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads ftrace text in every form the kernel and trace-cmd print it: tracefs `trace` and `trace_pipe`,
/// `trace-cmd report` (default, `-N`, `-R`, `-t`, `-l`), the function and function_graph tracers, kprobes,
/// syscall events and trace_marker lines, across kernel eras (0/4/5 flag columns, TGID column, counter clocks).
///
/// Streaming: the input is read in chunks of `chunkSize` bytes; each chunk becomes one `EventBatch` whose events
/// point into the chunk. A chunk is cut before the last event "group" (an event plus the `<stack trace>` block
/// that follows it), which is carried to the next chunk, so stacks always stay with their event.
public struct FtraceTextReader: TraceSource {
    public static let defaultChunkSize = 4 << 20

    private let channel: InputChannel
    private let chunkSize: Int
    private var carry: [UInt8] = []
    private var parser: LineParser
    private var finished = false
    /// Bytes of a line too long to keep are being skipped until its newline.
    private var skippingLongLine = false

    public var description: TraceDescription { parser.description }
    public var name: String { channel.name }

    /// Reads a file, or standard input when `path` is `-`.
    public init(path: String, chunkSize: Int = FtraceTextReader.defaultChunkSize) throws {
        channel = try InputChannel(path: path)
        self.chunkSize = max(chunkSize, 256)
        parser = LineParser(firstLine: 1)
    }

    /// Reads `range` of a file whose boundaries were aligned with `FtraceTextReader.alignedSplits`. Line numbers
    /// start at `firstLine`; when unknown (parallel readers), pass 1 and rebase afterwards.
    public init(path: String, range: Range<Int64>, firstLine: Int = 1,
                chunkSize: Int = FtraceTextReader.defaultChunkSize) throws {
        channel = try InputChannel(path: path, range: range)
        self.chunkSize = max(chunkSize, 256)
        parser = LineParser(firstLine: firstLine)
        parser.baseOffset = range.lowerBound
    }

    public init(bytes: [UInt8], name: String = "<memory>", chunkSize: Int = FtraceTextReader.defaultChunkSize) {
        channel = InputChannel(bytes: bytes, name: name)
        self.chunkSize = max(chunkSize, 256)
        parser = LineParser(firstLine: 1)
    }

    public init(text: String, name: String = "<memory>", chunkSize: Int = FtraceTextReader.defaultChunkSize) {
        self.init(bytes: Array(text.utf8), name: name, chunkSize: chunkSize)
    }

    public mutating func nextBatch() throws -> EventBatch? {
        while !finished {
            if let batch = try readChunk() { return batch }
        }
        return nil
    }

    /// Reads one chunk; returns nil when the chunk produced nothing to hand out yet (a long line being skipped).
    private mutating func readChunk() throws -> EventBatch? {
        if useMapping, let (storage, atEnd) = channel.mapNext(length: chunkSize) {
            return mappedChunk(storage, atEnd: atEnd)
        }
        useMapping = false
        return try copiedChunk()
    }

    private var useMapping = true

    /// What to do with the bytes of a chunk.
    private enum ChunkPlan {
        /// The whole chunk is the rest of an over-long line being skipped.
        case skipAll
        /// Parse `begin..<cut`; the rest goes to the next chunk, unless `dropRest` (an over-long line starts at
        /// `cut` and is being skipped).
        case parse(begin: Int, cut: Int, dropRest: Bool)
    }

    /// Decides where a chunk's batch begins and ends: after the rest of a skipped line, and before the last
    /// (possibly incomplete) event group, which the next chunk re-reads.
    private mutating func plan(_ p: UnsafePointer<UInt8>, count: Int, eof: Bool, chunkStart: Int64) -> ChunkPlan {
        var begin = 0
        if skippingLongLine {
            guard let nl = memchr(p, Int32(UInt8(ascii: "\n")), count) else { return .skipAll }
            begin = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p + 1
            skippingLongLine = false
        }
        if eof { return .parse(begin: begin, cut: count, dropRest: false) }
        let cut = LineParser.groupCut(p, from: begin, to: count)
        if cut > begin { return .parse(begin: begin, cut: cut, dropRest: false) }
        if memchr(p + begin, Int32(UInt8(ascii: "\n")), count - begin) == nil {
            // Not one complete line in a whole chunk: too long to be ftrace text. Count it, skip to its end.
            parser.noteOverlongLine(at: chunkStart + Int64(begin), limit: chunkSize,
                                    excerpt: UnsafeRawBufferPointer(start: p + begin, count: min(80, count - begin)))
            skippingLongLine = true
            return .parse(begin: begin, cut: begin, dropRest: true)
        }
        // One group larger than a chunk (a huge stack): cut after its last complete line.
        return .parse(begin: begin, cut: LineParser.lastLineEnd(p, from: begin, to: count), dropRest: false)
    }

    /// The chunk is a mapped window of the file: the cut decides where the next window starts, nothing is copied.
    private mutating func mappedChunk(_ storage: ByteStorage, atEnd eof: Bool) -> EventBatch? {
        let count = storage.count
        let chunkStart = channel.offset
        if count == 0 {
            finished = true
            return parser.finish(storage: storage)
        }
        let p = UnsafePointer(storage.base.assumingMemoryBound(to: UInt8.self))
        switch plan(p, count: count, eof: eof, chunkStart: chunkStart) {
        case .skipAll:
            channel.consume(count)
            if eof { finished = true; return parser.finish(storage: storage) }
            return nil
        case .parse(let begin, let cut, let dropRest):
            channel.consume(dropRest ? count : cut)
            finished = eof
            storage.setCount(cut)
            return parser.parse(storage: storage, from: begin, to: cut, chunkOffset: chunkStart, isLast: finished)
        }
    }

    /// The chunk is read (stdin, memory): the bytes after the cut are carried into the next chunk's buffer.
    private mutating func copiedChunk() throws -> EventBatch? {
        let storage = ByteStorage(capacity: carry.count + chunkSize)
        if !carry.isEmpty {
            carry.withUnsafeBytes { storage.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        let carried = carry.count
        let chunkStart = channel.offset - Int64(carried)
        let got = try channel.read(into: storage.base + carried, capacity: chunkSize)
        let count = carried + got
        let eof = got == 0 || channel.atEOF
        carry.removeAll(keepingCapacity: true)
        let p = UnsafePointer(storage.base.assumingMemoryBound(to: UInt8.self))
        switch plan(p, count: count, eof: eof, chunkStart: chunkStart) {
        case .skipAll:
            if eof { finished = true; return parser.finish(storage: storage) }
            return nil
        case .parse(let begin, let cut, let dropRest):
            if !dropRest && cut < count {
                carry.append(contentsOf: UnsafeRawBufferPointer(start: p + cut, count: count - cut))
            }
            finished = eof
            storage.setCount(cut)
            return parser.parse(storage: storage, from: begin, to: cut, chunkOffset: chunkStart, isLast: finished)
        }
    }

    /// Split points for `parts` parallel readers of a file: each boundary moved to the start of an event group
    /// (never inside a `<stack trace>` block), so the readers together see every line exactly once.
    public static func alignedSplits(path: String, parts: Int) throws -> [Range<Int64>] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TraceInputError(path: path, message: "cannot stat") }
        let size = Int64(st.st_size)
        guard parts > 1, size > 1 << 20 else { return [0..<size] }
        var bounds: [Int64] = [0]
        let window = 1 << 16
        let buf = UnsafeMutableRawPointer.allocate(byteCount: window, alignment: 16)
        defer { buf.deallocate() }
        for k in 1..<parts {
            let guess = size * Int64(k) / Int64(parts)
            let n = pread(fd, buf, window, off_t(guess))
            guard n > 0 else { continue }
            let p = UnsafePointer(buf.assumingMemoryBound(to: UInt8.self))
            // first line start after `guess`, then skip continuation lines
            guard let nl = memchr(p, Int32(UInt8(ascii: "\n")), n) else { continue }
            var i = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p + 1
            while i < n {
                guard let e = memchr(p + i, Int32(UInt8(ascii: "\n")), n - i) else { break }
                let lineEnd = UnsafePointer<UInt8>(e.assumingMemoryBound(to: UInt8.self)) - p
                if !LineParser.isContinuation(p + i, lineEnd - i) { break }
                i = lineEnd + 1
            }
            let b = guess + Int64(i)
            if b > bounds.last! && b < size { bounds.append(b) }
        }
        bounds.append(size)
        return zip(bounds, bounds.dropFirst()).map { $0..<$1 }
    }
}
