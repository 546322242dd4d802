import Dispatch
import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a `TraceSource` to the end and hands every mapped action to `body`, with the batch it came from (for
/// evidence text). The one loop `timeline`, `objects` and `analyze` share.
///
/// Two threads share the work. The reading thread reads a batch, queues it (at most `lookahead` batches ahead, so
/// memory stays bounded by `lookahead + 1` batches), then maps its events to actions. Mapping is pure per event, so
/// a batch is cut into segments that either thread may map: the caller's thread, once it reaches a batch, maps the
/// segments the reading thread has not claimed yet instead of waiting for them. Whichever thread is the slower one
/// thus sheds mapping to the other (on the bench trace reading + mapping was 1.6× the observing work and kept one
/// core idle a third of the time). Actions still reach `body` in input order: segments are observed in order,
/// whoever mapped them.
public struct ActionStream {
    public var mapper: SemanticMapper
    public var lookahead = 2
    /// Events per mapping segment: small enough that the observing thread rarely waits for a segment the reading
    /// thread is still mapping, large enough that claiming one (a mutex round trip) is noise.
    public var segmentSize = 2048
    /// Of the last run: segments in all, and how many of them the observing thread mapped (for tests).
    private(set) var lastRun = (segments: 0, mappedByObserver: 0)

    public init(mapper: SemanticMapper = SemanticMapper()) {
        self.mapper = mapper
    }

    /// Per batch: `batchStart(batch)`, then `body(action, batch)` for each action in input order. Gaps are
    /// reported through `batchStart` (they live in the batch). `body` runs on the caller's thread.
    public mutating func run<S: TraceSource>(_ source: inout S, batchStart: (EventBatch) -> Void = { _ in },
                                             _ body: (Action, EventBatch) -> Void) throws {
        let pipe = BatchPipe(capacity: max(1, lookahead))
        // Each thread maps with its own mapper (its caches and coverage counts are mutable); the counts are merged
        // at the end, and the caches are per event name, so either mapper maps an event the same way.
        var localMapper = mapper
        localMapper.separateScratch()
        let box = UncheckedBox<(S, SemanticMapper)?>((source, mapper))
        let segmentSize = max(1, self.segmentSize)
        let producerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { producerDone.signal() }
            do {
                while let b = try box.value!.0.nextBatch() {
                    let work = MappingWork(b, segmentSize: segmentSize)
                    pipe.put(.batch(b, work))
                    while let s = work.claimNext() { work.map(s, with: &box.value!.1) }
                }
                pipe.put(.end)
            } catch {
                pipe.put(.failed(error))
            }
        }
        var segments = 0, mappedHere = 0
        defer {
            // Take the source back only once the reading thread is past its last use of it, and leave the box
            // empty: the box is released whenever the dispatch worker drops the block, and if it still held the
            // source, the source's last release (a CTF reader's babeltrace2 graph, whose plugins live in shared
            // objects) could run on that worker while the process exits and unloads them — an intermittent
            // segfault seen on a corpus CTF trace.
            producerDone.wait()
            (source, mapper) = box.value!
            box.value = nil
            mapper.absorbCounts(of: localMapper)
            lastRun = (segments, mappedHere)
        }
        while true {
            switch pipe.take() {
            case .end:
                return
            case .failed(let e):
                throw e
            case .batch(let batch, let work):
                batchStart(batch)
                segments += work.segmentCount
                for s in 0..<work.segmentCount {
                    // Map it here if nobody has; while the reading thread maps it, map a later segment meanwhile.
                    while !work.isDone(s) {
                        if let c = work.claimNext() {
                            work.map(c, with: &localMapper)
                            mappedHere += 1
                        } else {
                            work.waitDone(s)
                        }
                    }
                    let actions = work.take(s)
                    for a in actions { body(a, batch) }
                }
            }
        }
    }
}

/// Hands the source to the reading thread. Only that thread touches it until `run` has seen the end.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}

/// One batch's mapping, cut into segments of events. Segments are claimed in increasing order by either thread
/// (under a mutex); each segment's actions live in their own slot, written by the thread that claimed it and read
/// by the observing thread once the segment is marked done (the mutex orders the two).
final class MappingWork: @unchecked Sendable {
    let batch: EventBatch
    let segmentSize: Int
    let segmentCount: Int
    /// Allocated, not stored properties: pthread objects must not move, and Swift does not promise a stable address
    /// for a stored property passed as `&property`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The first segment nobody has claimed.
    private var next = 0
    private let done: UnsafeMutablePointer<Bool>
    /// Raw slots, not a Swift array: two threads write different slots at once, which an array's accessors (and
    /// exclusivity checks) do not allow.
    private let slots: UnsafeMutablePointer<[Action]>

    init(_ batch: EventBatch, segmentSize: Int) {
        self.batch = batch
        self.segmentSize = segmentSize
        segmentCount = (batch.events.count + segmentSize - 1) / segmentSize
        done = .allocate(capacity: max(1, segmentCount))
        done.initialize(repeating: false, count: max(1, segmentCount))
        slots = .allocate(capacity: max(1, segmentCount))
        slots.initialize(repeating: [], count: max(1, segmentCount))
        mutex.initialize(to: pthread_mutex_t())
        finished.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(finished, nil)
    }

    deinit {
        slots.deinitialize(count: max(1, segmentCount))
        slots.deallocate()
        done.deallocate()
        pthread_cond_destroy(finished)
        pthread_mutex_destroy(mutex)
        finished.deallocate()
        mutex.deallocate()
    }

    /// The next unclaimed segment, claimed; nil when all are.
    func claimNext() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard next < segmentCount else { return nil }
        next += 1
        return next - 1
    }

    func map(_ s: Int, with mapper: inout SemanticMapper) {
        var out: [Action] = []
        let lo = s * segmentSize, hi = min(batch.events.count, lo + segmentSize)
        out.reserveCapacity((hi - lo) + (hi - lo) / 2)
        for i in lo..<hi { mapper.map(batch, i, into: &out) }
        (slots + s).pointee = out
        pthread_mutex_lock(mutex)
        done[s] = true
        pthread_cond_broadcast(finished)
        pthread_mutex_unlock(mutex)
    }

    func isDone(_ s: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return done[s]
    }

    /// Waits until segment `s` (claimed by the other thread) is mapped.
    func waitDone(_ s: Int) {
        pthread_mutex_lock(mutex)
        while !done[s] { pthread_cond_wait(finished, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// The actions of a done segment; its slot is emptied, so that they are freed as soon as they are observed.
    func take(_ s: Int) -> [Action] {
        let a = (slots + s).pointee
        (slots + s).pointee = []
        return a
    }
}

/// A bounded single-producer single-consumer queue of batches.
final class BatchPipe: @unchecked Sendable {
    enum Item { case batch(EventBatch, MappingWork), end, failed(any Error) }
    private var items: [Item] = []
    private let lock = DispatchSemaphore(value: 1)
    private let slots: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)

    init(capacity: Int) { slots = DispatchSemaphore(value: capacity) }

    func put(_ i: Item) {
        slots.wait()
        lock.wait()
        items.append(i)
        lock.signal()
        filled.signal()
    }

    func take() -> Item {
        filled.wait()
        lock.wait()
        let i = items.removeFirst()
        lock.signal()
        slots.signal()
        return i
    }
}
