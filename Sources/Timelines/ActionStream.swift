import Dispatch
import TraceModel

/// Reads a `TraceSource` to the end and hands every mapped action to `body`, with the batch it came from (for
/// evidence text). The one loop `timeline`, `objects` and `analyze` share.
///
/// The source is read on a second thread, at most `lookahead` batches ahead, so reading and analysis overlap;
/// batches still arrive in input order. Memory stays bounded by `lookahead + 1` batches.
public struct ActionStream {
    public var mapper: SemanticMapper
    public var lookahead = 2

    public init(mapper: SemanticMapper = SemanticMapper()) {
        self.mapper = mapper
    }

    /// Per batch: `batchStart(batch)`, then `body(action, batch)` for each action in input order. Gaps are
    /// reported through `batchStart` (they live in the batch). Reading and mapping (pure per event) run on a
    /// second thread; `body` runs on the caller's.
    public mutating func run<S: TraceSource>(_ source: inout S, batchStart: (EventBatch) -> Void = { _ in },
                                             _ body: (Action, EventBatch) -> Void) throws {
        let pipe = BatchPipe(capacity: max(1, lookahead))
        let box = UncheckedBox((source, mapper))
        DispatchQueue.global().async {
            do {
                while let b = try box.value.0.nextBatch() {
                    var actions: [Action] = []
                    actions.reserveCapacity(b.events.count + b.events.count / 2)
                    for i in 0..<b.events.count { box.value.1.map(b, i, into: &actions) }
                    pipe.put(.batch(b, actions))
                }
                pipe.put(.end)
            } catch {
                pipe.put(.failed(error))
            }
        }
        // The producer has finished with the box once it put `.end` or `.failed`.
        defer { (source, mapper) = box.value }
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
