import Dispatch
import TraceModel

/// Reads a `TraceSource` to the end and hands every mapped action to `body`, with the batch it came from (for
/// evidence text). The one loop `timeline`, `objects` and `analyze` share.
///
/// The source is read on a second thread and mapped on a third, each at most `lookahead` batches ahead, so reading,
/// mapping and analysis overlap; batches still arrive in input order. Memory stays bounded by `2 × lookahead + 3`
/// batches.
public struct ActionStream {
    public var mapper: SemanticMapper
    public var lookahead = 2

    public init(mapper: SemanticMapper = SemanticMapper()) {
        self.mapper = mapper
    }

    /// Per batch: `batchStart(batch)`, then `body(action, batch)` for each action in input order. Gaps are
    /// reported through `batchStart` (they live in the batch). Reading and mapping (pure per event) run on two
    /// more threads; `body` runs on the caller's.
    public mutating func run<S: TraceSource>(_ source: inout S, batchStart: (EventBatch) -> Void = { _ in },
                                             _ body: (Action, EventBatch) -> Void) throws {
        // Three stages: read → map → observe. Reading and mapping each cost about as much as the detectors, so
        // one thread per stage keeps both cores busy (two stages left the reading thread the bottleneck).
        let read = BatchPipe(capacity: max(1, lookahead))
        let pipe = BatchPipe(capacity: max(1, lookahead))
        let sourceBox = UncheckedBox(source)
        let mapperBox = UncheckedBox(mapper)
        DispatchQueue.global().async {
            do {
                while let b = try sourceBox.value.nextBatch() { read.put(.batch(b, [])) }
                read.put(.end)
            } catch {
                read.put(.failed(error))
            }
        }
        DispatchQueue.global().async {
            while true {
                switch read.take() {
                case .batch(let b, _):
                    var actions: [Action] = []
                    actions.reserveCapacity(b.events.count + b.events.count / 2)
                    for i in 0..<b.events.count { mapperBox.value.map(b, i, into: &actions) }
                    pipe.put(.batch(b, actions))
                case .end:
                    pipe.put(.end)
                    return
                case .failed(let e):
                    pipe.put(.failed(e))
                    return
                }
            }
        }
        // Both threads have finished with the boxes once `.end` or `.failed` reached this one: the reader put it
        // last, the mapper forwarded it last.
        defer { source = sourceBox.value; mapper = mapperBox.value }
        while true {
            switch pipe.take() {
            case .end:
                return
            case .failed(let e):
                throw e
            case .batch(let batch, let actions):
                batchStart(batch)
                for a in actions { body(a, batch) }
            }
        }
    }
}

/// Hands the source to the reading thread. Only that thread touches it until `run` has seen the end.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}

/// A bounded single-producer single-consumer queue of batches.
final class BatchPipe: @unchecked Sendable {
    enum Item { case batch(EventBatch, [Action]), end, failed(any Error) }
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
