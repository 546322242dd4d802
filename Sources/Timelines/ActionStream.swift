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
    /// reported through `batchStart` (they live in the batch).
    public mutating func run<S: TraceSource>(_ source: inout S, batchStart: (EventBatch) -> Void = { _ in },
                                             _ body: (Action, EventBatch) -> Void) throws {
        var buffer: [Action] = []
        buffer.reserveCapacity(4)
        let pipe = BatchPipe(capacity: max(1, lookahead))
        let box = UncheckedBox(source)
        DispatchQueue.global().async {
            do {
                while let b = try box.value.nextBatch() { pipe.put(.batch(b)) }
                pipe.put(.end)
            } catch {
                pipe.put(.failed(error))
            }
        }
        defer { source = box.value }
        while true {
            switch pipe.take() {
            case .end:
                return
            case .failed(let e):
                throw e
            case .batch(let batch):
                batchStart(batch)
                for i in 0..<batch.events.count {
                    buffer.removeAll(keepingCapacity: true)
                    mapper.map(batch, i, into: &buffer)
                    for a in buffer { body(a, batch) }
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

/// A bounded single-producer single-consumer queue of batches.
final class BatchPipe: @unchecked Sendable {
    enum Item { case batch(EventBatch), end, failed(any Error) }
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
