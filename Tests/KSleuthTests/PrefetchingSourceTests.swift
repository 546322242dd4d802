import XCTest
@testable import TestSupport
import FtraceText
import KSleuth
import TraceModel

final class PrefetchingSourceTests: XCTestCase {
    func testPrefetchedBatchesAreTheReadersBatchesInOrder() throws {
        let path = Repo.fixture("demo/lostwake-6.1.trace").path
        var direct = try FtraceTextReader(path: path, chunkSize: 16 << 10)
        var expected: [(Int, Int)] = []
        while let b = try direct.nextBatch() { expected += b.events.map { ($0.lineNumber, Int($0.pid)) } }

        var prefetched = PrefetchingSource(try FtraceTextReader(path: path, chunkSize: 16 << 10), depth: 2)
        var got: [(Int, Int)] = []
        var batches = 0
        while let b = try prefetched.nextBatch() {
            batches += 1
            got += b.events.map { ($0.lineNumber, Int($0.pid)) }
        }
        XCTAssertGreaterThan(batches, 10)
        XCTAssertEqual(got.map(\.0), expected.map(\.0))
        XCTAssertEqual(got.map(\.1), expected.map(\.1))
        XCTAssertEqual(prefetched.description, direct.description)
        XCTAssertNil(try prefetched.nextBatch(), "stays at the end")
    }

    func testErrorsOfTheReaderReachTheConsumer() throws {
        struct Failing: TraceSource {
            var n = 0
            mutating func nextBatch() throws -> EventBatch? {
                n += 1
                if n == 3 { throw TraceInputError(path: "x", message: "boom", byteOffset: 42) }
                return EventBatch(storage: ByteStorage(capacity: 1), symbols: SymbolTable())
            }
            var description: TraceDescription { TraceDescription() }
        }
        var s = PrefetchingSource(Failing())
        XCTAssertNotNil(try s.nextBatch())
        XCTAssertNotNil(try s.nextBatch())
        XCTAssertThrowsError(try s.nextBatch()) { XCTAssertEqual("\($0)", "x (byte 42): boom") }
    }

    func testDroppingTheConsumerEarlyStopsTheReader() throws {
        final class Counting: @unchecked Sendable { var produced = 0 }
        let counter = Counting()
        struct Endless: TraceSource {
            let counter: Counting
            mutating func nextBatch() throws -> EventBatch? {
                counter.produced += 1
                return EventBatch(storage: ByteStorage(capacity: 1), symbols: SymbolTable())
            }
            var description: TraceDescription { TraceDescription() }
        }
        do {
            var s = PrefetchingSource(Endless(counter: counter), depth: 2)
            _ = try s.nextBatch()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let after = counter.produced
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(counter.produced, after, "the reader thread stopped")
        XCTAssertLessThanOrEqual(after, 5, "bounded by the queue depth")
    }
}
