import FtraceText
import LTTngReader
import TraceDatReader
import TraceModel
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The facts `ksleuth stats` reports, accumulated batch by batch in bounded memory, and mergeable so that
/// several readers over parts of one file can work in parallel.
public struct TraceStatistics: Sendable {
    public var input: String
    public var description = TraceDescription()
    public var counts = LineCounts()
    public var events = 0
    public var bytes: Int64 = 0
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    /// Events whose timestamp is smaller than the previous one's (unsorted input, per-CPU merges).
    public var outOfOrder = 0
    public var eventsByName: [String: Int] = [:]
    public var eventsByKind: [String: Int] = [:]
    public var eventsByCPU: [Int32: Int] = [:]
    /// Events of each buffer instance (`Event.buffer`), by name; the top-level buffer has the rest. Empty when
    /// every event comes from the top-level buffer.
    public var eventsByInstance: [String: Int] = [:]
    public var tasks: [Int32: TaskTally] = [:]
    public var gaps: [TraceGap] = []
    public var gapCount = 0
    public var lostEvents: Int64 = 0
    public var kernelStacks = 0
    public var userStacks = 0
    public var flagColumnsSeen: Set<Int> = []
    public var prevState = PrevStateEvidence()
    public var unparsed: [UnparsedLine] = []
    public var elapsedSeconds: Double = 0
    public var threads = 1

    public static let gapSampleLimit = 100
    public static let unparsedSampleLimit = 20

    public struct TaskTally: Sendable, Equatable {
        public var comm: String
        public var events: Int
    }

    public init(input: String) { self.input = input }

    // Hot-loop counters indexed by symbol and pid (no hashing per event); turned into names by `finish`.
    private var nameCounts: [Int] = []
    private var instanceCounts: [UInt32: Int] = [:]
    private var pidEvents: [Int] = []
    private var pidComm: [UInt32] = []
    private var bigPids: [Int32: (comm: Symbol, events: Int)] = [:]
    private var flagColumnMask: UInt8 = 0
    /// prev_state spellings already seen, packed into 8 bytes, so only new ones cost a String.
    private var seenPrevStates: [UInt64] = []
    private var lastSymbols = SymbolTable()
    private static let pidTableLimit: Int32 = 1 << 22  // pid_max on 64-bit

    public mutating func add(_ batch: EventBatch) {
        counts.add(batch.counts)
        bytes += Int64(batch.storage.count)
        for u in batch.unparsed where unparsed.count < Self.unparsedSampleLimit { unparsed.append(u) }
        for g in batch.gaps {
            gapCount += 1
            lostEvents += g.lostEvents ?? 0
            if gaps.count < Self.gapSampleLimit { gaps.append(g) }
        }
        if nameCounts.count < batch.symbols.count {
            nameCounts += Array(repeating: 0, count: batch.symbols.count - nameCounts.count)
        }
        let switchName = batch.symbols.symbol(named: "sched_switch")
        var last = lastTimestamp ?? .min
        var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count)
        var cpuCounts = [Int](repeating: 0, count: 64)
        // The largest pid the table will index (larger ones, e.g. from a corrupt record, go to `bigPids`).
        if let maxPid = batch.events.lazy.map(\.pid).filter({ $0 < Self.pidTableLimit }).max(), maxPid >= 0,
           Int(maxPid) >= pidEvents.count {
            let n = max(Int(maxPid) + 1, pidEvents.count * 2, 1024)
            pidEvents += Array(repeating: 0, count: n - pidEvents.count)
            pidComm += Array(repeating: 0, count: n - pidComm.count)
        }
        var first = firstTimestamp
        var ooo = 0, kstacks = 0, ustacks = 0
        var mask = flagColumnMask
        var switchPayloads: [ByteSpan] = []
        // One uniqueness check per array and batch instead of one per event.
        nameCounts.withUnsafeMutableBufferPointer { names in
        pidEvents.withUnsafeMutableBufferPointer { pe in
        pidComm.withUnsafeMutableBufferPointer { pc in
        kindCounts.withUnsafeMutableBufferPointer { kinds in
        cpuCounts.withUnsafeMutableBufferPointer { cpus in
            for e in batch.events {
                names[Int(e.name.rawValue)] += 1
                kinds[Int(e.kind.rawValue)] += 1
                if e.cpu >= 0 && e.cpu < 64 { cpus[Int(e.cpu)] += 1 } else { eventsByCPU[e.cpu, default: 0] += 1 }
                if e.timestamp != Event.unknownTimestamp {
                    if first == nil { first = e.timestamp }
                    if e.timestamp < last { ooo += 1 } else { last = e.timestamp }
                }
                if e.pid >= 0 && e.pid < Self.pidTableLimit {
                    pe[Int(e.pid)] += 1
                    pc[Int(e.pid)] = e.comm.rawValue
                } else if e.pid != Event.unknownPID {
                    bigPids[e.pid, default: (e.comm, 0)].events += 1
                }
                if !e.kernelStack.isEmpty { kstacks += 1 }
                if !e.userStack.isEmpty { ustacks += 1 }
                mask |= 1 << UInt8(e.flags.columns & 7)
                if e.name == switchName { switchPayloads.append(e.payload) }
                if e.buffer != Event.topBuffer { instanceCounts[e.buffer.rawValue, default: 0] += 1 }
            }
        }}}}}
        for span in switchPayloads { notePrevState(batch.storage.bytes(span)) }
        firstTimestamp = first
        outOfOrder += ooo
        kernelStacks += kstacks
        userStacks += ustacks
        flagColumnMask = mask
        if last != .min { lastTimestamp = last }
        events += batch.events.count
        for (k, c) in kindCounts.enumerated() where c > 0 {
            eventsByKind[EventKind(rawValue: UInt8(k))!.description, default: 0] += c
        }
        for (cpu, c) in cpuCounts.enumerated() where c > 0 { eventsByCPU[Int32(cpu), default: 0] += c }
        lastSymbols = batch.symbols
    }

    private mutating func notePrevState(_ b: UnsafeRawBufferPointer) {
        let key: StaticString = "prev_state"
        guard let r = PayloadFields.valueRange(b, key: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) else {
            return
        }
        var end = r.lowerBound
        while end < r.upperBound && b[end] != UInt8(ascii: " ") { end += 1 }
        guard end - r.lowerBound <= 8 else {
            prevState.add(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: b[r.lowerBound..<end]), as: UTF8.self)))
            return
        }
        var packed: UInt64 = 0
        for i in r.lowerBound..<end { packed = packed << 8 | UInt64(b[i]) }
        if seenPrevStates.contains(packed) { return }
        if seenPrevStates.count < 256 { seenPrevStates.append(packed) }
        prevState.add(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: b[r.lowerBound..<end]), as: UTF8.self)))
    }

    /// Turns the per-symbol counters into names. Call once after the last batch.
    public mutating func finish(description: TraceDescription) {
        self.description = description
        for (i, c) in nameCounts.enumerated() where c > 0 {
            eventsByName[lastSymbols[Symbol(rawValue: UInt32(i))], default: 0] += c
        }
        nameCounts = []
        for (b, c) in instanceCounts { eventsByInstance[lastSymbols[Symbol(rawValue: b)], default: 0] += c }
        instanceCounts = [:]
        for c in 0..<8 where flagColumnMask & (1 << UInt8(c)) != 0 { flagColumnsSeen.insert(c) }
        var perPid = bigPids
        for (pid, n) in pidEvents.enumerated() where n > 0 {
            perPid[Int32(pid)] = (Symbol(rawValue: pidComm[pid]), n)
        }
        pidEvents = []
        pidComm = []
        bigPids = [:]
        for (pid, t) in perPid {
            let comm = lastSymbols[t.comm]
            // `<...>` means the comm was not in saved_cmdlines; keep a real name when another line gave one.
            if var tally = tasks[pid] {
                tally.events += t.events
                if tally.comm == "<...>" { tally.comm = comm }
                tasks[pid] = tally
            } else {
                tasks[pid] = TaskTally(comm: comm, events: t.events)
            }
        }
    }

    /// Appends the statistics of the part of the input that follows this one.
    public mutating func append(_ o: TraceStatistics) {
        let lineShift = counts.lines
        counts.add(o.counts)
        events += o.events
        bytes += o.bytes
        if firstTimestamp == nil { firstTimestamp = o.firstTimestamp }
        if let l = o.lastTimestamp { lastTimestamp = max(lastTimestamp ?? l, l) }
        outOfOrder += o.outOfOrder
        for (k, v) in o.eventsByName { eventsByName[k, default: 0] += v }
        for (k, v) in o.eventsByKind { eventsByKind[k, default: 0] += v }
        for (k, v) in o.eventsByCPU { eventsByCPU[k, default: 0] += v }
        for (k, v) in o.eventsByInstance { eventsByInstance[k, default: 0] += v }
        for (pid, t) in o.tasks {
            if var mine = tasks[pid] {
                mine.events += t.events
                if mine.comm == "<...>" { mine.comm = t.comm }
                tasks[pid] = mine
            } else {
                tasks[pid] = t
            }
        }
        for var g in o.gaps where gaps.count < Self.gapSampleLimit { g.lineNumber += lineShift; gaps.append(g) }
        gapCount += o.gapCount
        lostEvents += o.lostEvents
        kernelStacks += o.kernelStacks
        userStacks += o.userStacks
        flagColumnsSeen.formUnion(o.flagColumnsSeen)
        prevState.merge(o.prevState)
        for var u in o.unparsed where unparsed.count < Self.unparsedSampleLimit { u.lineNumber += lineShift; unparsed.append(u) }
        mergeDescription(o.description)
    }

    private mutating func mergeDescription(_ o: TraceDescription) {
        if description.format == "unknown" || description.format == "ftrace text (no header)" { description.format = o.format }
        description.tracer = description.tracer ?? o.tracer
        description.cpuCount = description.cpuCount ?? o.cpuCount
        description.flagColumns = description.flagColumns ?? o.flagColumns
        if o.clock == .counter { description.clock = .counter }
        description.timestampDigits = description.timestampDigits ?? o.timestampDigits
    }

    public var span: Int64? {
        guard let f = firstTimestamp, let l = lastTimestamp else { return nil }
        return l - f
    }

    public var topTasks: [(pid: Int32, tally: TaskTally)] {
        tasks.sorted { $0.value.events != $1.value.events ? $0.value.events > $1.value.events : $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }
}

/// Runs `TraceStatistics` over an input, in parallel over byte ranges of a regular file when it is large.
public enum StatsCollector {
    /// Files below this size are read by one reader: splitting costs more than it saves.
    public static let parallelThreshold: Int64 = 32 << 20

    public static func collect(path: String, threads: Int = 0, chunkSize: Int = FtraceTextReader.defaultChunkSize)
        throws -> TraceStatistics {
        let clock = Stopwatch()
        let format = try InputFormat.detect(path: path)
        switch format {
        case .ftraceText, .standardInput: break
        case .empty: throw TraceInputError(path: path, message: "empty input: no trace events")
        case .traceCmdDat, .ctf:
            var reader = try TraceReaders.open(path: path, format: format)
            var stats = try collect(&reader, input: path)
            stats.elapsedSeconds = clock.seconds
            guard stats.events > 0 else { throw TraceInputError(path: path, message: "\(format.name) with no events") }
            return stats
        case .compressed(let k):
            throw TraceInputError(path: path, message: "\(k)-compressed: decompress it first")
        case .binary(let why):
            throw TraceInputError(path: path, message: "binary data, not ftrace text (\(why))", byteOffset: 0)
        }
        let n = threads > 0 ? threads : SystemInfo.activeCPUs
        var stats: TraceStatistics
        if format == .ftraceText, n > 1, fileSize(path) >= parallelThreshold {
            stats = try collectParallel(path: path, threads: n, chunkSize: chunkSize)
        } else if n > 1 {
            // One reader (stdin, or a file too small to split): read ahead on a second core.
            var reader = PrefetchingSource(try FtraceTextReader(path: path, chunkSize: chunkSize))
            stats = try collect(&reader, input: path)
            stats.threads = 2
        } else {
            var reader = try FtraceTextReader(path: path, chunkSize: chunkSize)
            stats = try collect(&reader, input: path)
        }
        stats.elapsedSeconds = clock.seconds
        guard stats.events > 0 else {
            var msg = "no ftrace events found (\(stats.counts.lines) lines, \(stats.counts.unparsedLines) unparsed"
            if let u = stats.unparsed.first { msg += "; line \(u.lineNumber): \(u.reason)" }
            msg += ")"
            throw TraceInputError(path: path, message: msg)
        }
        return stats
    }

    public static func collect<S: TraceSource>(_ source: inout S, input: String) throws -> TraceStatistics {
        var stats = TraceStatistics(input: input)
        while let batch = try source.nextBatch() { stats.add(batch) }
        stats.finish(description: source.description)
        return stats
    }

    static func collectParallel(path: String, threads: Int, chunkSize: Int) throws -> TraceStatistics {
        let ranges = try FtraceTextReader.alignedSplits(path: path, parts: threads)
        let results = ResultSlots<Result<TraceStatistics, Error>>(count: ranges.count)
        DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
            results[i] = Result {
                var reader = try FtraceTextReader(path: path, range: ranges[i], chunkSize: chunkSize)
                return try collect(&reader, input: path)
            }
        }
        var merged = try results[0]!.get()
        for i in 1..<ranges.count { merged.append(try results[i]!.get()) }
        merged.threads = ranges.count
        return merged
    }

    static func fileSize(_ path: String) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int64(st.st_size)
    }
}

/// Slots written by concurrent workers, one each, read after they all finished.
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLockLite()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.withLock { slots[i] } }
        set { lock.withLock { slots[i] = newValue } }
    }
}

/// A pthread mutex, to avoid pulling Foundation into the library for one lock.
final class NSLockLite: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

struct Stopwatch {
    private let start: timespec
    init() {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        start = t
    }
    var seconds: Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec - start.tv_sec) + Double(t.tv_nsec - start.tv_nsec) / 1e9
    }
}

/// Named apart from Foundation.ProcessInfo, which other files of this module see.
enum SystemInfo {
    static var activeCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
