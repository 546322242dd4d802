import TraceModel

/// Reads a `TraceSource` to the end and hands every mapped action to `body`, with the batch it came from (for
/// evidence text). The one loop `timeline`, `objects` and `analyze` share.
public struct ActionStream {
    public var mapper: SemanticMapper

    public init(mapper: SemanticMapper = SemanticMapper()) {
        self.mapper = mapper
    }

    /// Per batch: `batchStart(batch)`, then `body(action, batch)` for each action in input order. Gaps are
    /// reported through `batchStart` (they live in the batch).
    public mutating func run<S: TraceSource>(_ source: inout S, batchStart: (EventBatch) -> Void = { _ in },
                                             _ body: (Action, EventBatch) -> Void) throws {
        var buffer: [Action] = []
        buffer.reserveCapacity(4)
        while let batch = try source.nextBatch() {
            batchStart(batch)
            for i in 0..<batch.events.count {
                buffer.removeAll(keepingCapacity: true)
                mapper.map(batch, i, into: &buffer)
                for a in buffer { body(a, batch) }
            }
        }
    }
}
