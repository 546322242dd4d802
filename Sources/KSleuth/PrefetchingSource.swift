import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TraceModel

/// Runs a `TraceSource` on its own thread and hands its batches over through a bounded queue, so that reading
/// the next batch overlaps with analysing the current one. At most `depth` batches wait in the queue, which keeps
/// memory bounded (depth × chunk size) however fast the reader is. Dropping the source stops the reader.
public final class PrefetchingSource: TraceSource {
    private let channel: Channel
    private var last = TraceDescription()
    private var done = false

    public init<S: TraceSource>(_ source: S, depth: Int = 3) {
        let channel = Channel(depth: depth)
        self.channel = channel
        let box = SourceBox(source)
        Thread { channel.produce(box) }.start()
    }

    public func nextBatch() throws -> EventBatch? {
        if done { return nil }
        switch channel.take() {
        case .batch(let b, let d):
            last = d
            return b
        case .end(let d):
            last = d
            done = true
            return nil
        case .failure(let e):
            done = true
            throw e
        }
    }

    public var description: TraceDescription { last }

    deinit { channel.cancel() }
}

private enum Item: @unchecked Sendable {
    case batch(EventBatch, TraceDescription)
    case end(TraceDescription)
    case failure(Error)
}

/// The bounded queue between the reader thread and the consumer (a mutex and a condition variable:
/// libdispatch semaphores trap when released below their initial value, which cancellation does). The mutex and
/// condition live in allocated memory: pthread objects must not move, and Swift does not promise a stable address
/// for a stored property passed as `&property`.
private final class Channel: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Item] = []
    private var cancelled = false
    private let depth: Int

    init(depth: Int) {
        self.depth = max(1, depth)
        mutex.initialize(to: pthread_mutex_t())
        changed.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    func produce<S: TraceSource>(_ box: SourceBox<S>) {
        while true {
            pthread_mutex_lock(mutex)
            while queue.count >= depth && !cancelled { pthread_cond_wait(changed, mutex) }
            let stop = cancelled
            pthread_mutex_unlock(mutex)
            if stop { return }
            let item: Item
            do {
                if let b = try box.source.nextBatch() { item = .batch(b, box.source.description) }
                else { item = .end(box.source.description) }
            } catch {
                item = .failure(error)
            }
            pthread_mutex_lock(mutex)
            queue.append(item)
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            guard case .batch = item else { return }
        }
    }

    func take() -> Item {
        pthread_mutex_lock(mutex)
        while queue.isEmpty { pthread_cond_wait(changed, mutex) }
        let item = queue.removeFirst()
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        return item
    }

    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        queue.removeAll()
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }
}

private final class SourceBox<S: TraceSource>: @unchecked Sendable {
    var source: S
    init(_ s: S) { source = s }
}
