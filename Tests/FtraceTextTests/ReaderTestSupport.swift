import XCTest
@testable import TestSupport
import FtraceText
import TraceModel

/// Everything a reader produced for one input, flattened for assertions.
struct ReadResult {
    var batches: [EventBatch] = []
    var events: [(batch: Int, event: Event)] = []
    var gaps: [TraceGap] = []
    var unparsed: [UnparsedLine] = []
    var counts = LineCounts()
    var description = TraceDescription()

    func name(_ i: Int) -> String { batches[events[i].batch].name(events[i].event) }
    func comm(_ i: Int) -> String { batches[events[i].batch].comm(events[i].event) }
    func payload(_ i: Int) -> String { batches[events[i].batch].payloadText(events[i].event) }
    func fields(_ i: Int) -> PayloadFields { batches[events[i].batch].fields(events[i].event) }
    func stack(_ i: Int) -> [String] { batches[events[i].batch].kernelStack(events[i].event) }
    func userStack(_ i: Int) -> [String] { batches[events[i].batch].userStack(events[i].event) }
    func probe(_ i: Int) -> ProbeSite? { batches[events[i].batch].probe(events[i].event) }
    subscript(i: Int) -> Event { events[i].event }
    var count: Int { events.count }
}

func read(_ text: String, chunkSize: Int = FtraceTextReader.defaultChunkSize) throws -> ReadResult {
    var reader = FtraceTextReader(text: text, chunkSize: chunkSize)
    return try drain(&reader)
}

func drain<S: TraceSource>(_ reader: inout S) throws -> ReadResult {
    var r = ReadResult()
    while let b = try reader.nextBatch() {
        let bi = r.batches.count
        r.batches.append(b)
        for e in b.events { r.events.append((bi, e)) }
        r.gaps += b.gaps
        r.unparsed += b.unparsed
        r.counts.add(b.counts)
    }
    r.description = reader.description
    return r
}
