import XCTest
@testable import TestSupport
import Foundation
import FtraceText
@testable import Timelines
import TraceModel

/// `ActionStream` maps events on two threads (segments either thread may claim). These tests check on a real
/// trace that the actions still arrive in input order, exactly as one thread mapping everything would produce
/// them, whichever thread is the slow one, and that the reading thread stays a bounded number of batches ahead.
final class ActionStreamTests: XCTestCase {
    /// What identifies an action in these comparisons (everything a detector or a report reads).
    struct Key: Equatable {
        var line: Int, index: Int, summary: String, comm: String, pid: Int32, ts: Int64, ctx: UInt8
        init(_ a: Action) {
            line = a.lineNumber; index = a.eventIndex; summary = a.summary; comm = a.comm; pid = a.pid
            ts = a.timestamp; ctx = a.context
        }
    }

    static let path = Repo.fixture("demo/lostwake-6.1.trace").path
    /// Small chunks: the 3 300-event demo trace becomes dozens of batches.
    static let chunk = 8 << 10

    static func mapper() -> SemanticMapper {
        var m = SemanticMapper()
        m.fallbackAliases = [ProbeAlias(eventName: "ksleuth/ptw", symbol: "prepare_to_wait")]
        return m
    }

    /// The reference: one thread, one mapper, event after event.
    func serial() throws -> (keys: [Key], batches: Int, mapper: SemanticMapper) {
        var reader = try FtraceTextReader(path: Self.path, chunkSize: Self.chunk)
        var m = Self.mapper()
        var keys: [Key] = []
        var batches = 0
        while let b = try reader.nextBatch() {
            batches += 1
            var out: [Action] = []
            for i in 0..<b.events.count { m.map(b, i, into: &out) }
            keys += out.map(Key.init)
        }
        return (keys, batches, m)
    }

    /// A reader that can be slowed down and that counts the batches it has handed out.
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var produced = 0
    }
    struct Throttled: TraceSource {
        var inner: FtraceTextReader
        let counter: Counter
        let delay: TimeInterval
        mutating func nextBatch() throws -> EventBatch? {
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            guard let b = try inner.nextBatch() else { return nil }
            counter.lock.lock(); counter.produced += 1; counter.lock.unlock()
            return b
        }
        var description: TraceDescription { inner.description }
    }

    func run(segmentSize: Int, lookahead: Int, readDelay: TimeInterval, observeDelay: TimeInterval)
        throws -> (keys: [Key], stream: ActionStream, maxAhead: Int, batches: Int) {
        let counter = Counter()
        var source = Throttled(inner: try FtraceTextReader(path: Self.path, chunkSize: Self.chunk), counter: counter,
                               delay: readDelay)
        var stream = ActionStream(mapper: Self.mapper())
        stream.segmentSize = segmentSize
        stream.lookahead = lookahead
        var keys: [Key] = []
        var consumed = 0
        var maxAhead = 0
        var lastBatch: EventBatch?
        try stream.run(&source, batchStart: { b in
            consumed += 1
            lastBatch = b
            if observeDelay > 0 { Thread.sleep(forTimeInterval: observeDelay) }
            counter.lock.lock(); maxAhead = max(maxAhead, counter.produced - consumed); counter.lock.unlock()
        }) { a, b in
            XCTAssertTrue(b.storage === lastBatch?.storage, "an action arrives with the batch it came from")
            keys.append(Key(a))
        }
        return (keys, stream, maxAhead, consumed)
    }

    func testActionsArriveInInputOrderWhicheverThreadIsSlow() throws {
        let reference = try serial()
        XCTAssertGreaterThan(reference.batches, 20)
        XCTAssertGreaterThan(reference.keys.count, 1000)
        // Reading slow (the observer ends up mapping), observing slow (the reader maps nearly all), neither.
        for (readDelay, observeDelay) in [(0.003, 0.0), (0.0, 0.003), (0.0, 0.0)] {
            for segmentSize in [1, 7, 64, 4096] {
                let r = try run(segmentSize: segmentSize, lookahead: 2, readDelay: readDelay, observeDelay: observeDelay)
                XCTAssertEqual(r.batches, reference.batches)
                XCTAssertEqual(r.keys.count, reference.keys.count, "segment \(segmentSize)")
                XCTAssertTrue(r.keys == reference.keys, "same actions in the same order (segment \(segmentSize), "
                              + "read delay \(readDelay), observe delay \(observeDelay))")
                // Coverage merged from both mappers equals one mapper's.
                XCTAssertEqual(r.stream.mapper.probedSymbols, reference.mapper.probedSymbols)
                XCTAssertEqual(r.stream.mapper.unreadable, reference.mapper.unreadable)
                XCTAssertEqual(r.stream.mapper.unresolvedProbes, reference.mapper.unresolvedProbes)
                XCTAssertLessThanOrEqual(r.maxAhead, 2 + 1, "the reader is at most lookahead + 1 batches ahead")
                if readDelay > 0 && segmentSize == 7 {
                    XCTAssertGreaterThan(r.stream.lastRun.mappedByObserver, 0,
                                         "with a slow reader the observing thread maps segments itself")
                }
                if observeDelay > 0 && segmentSize == 7 {
                    XCTAssertLessThan(r.stream.lastRun.mappedByObserver, r.stream.lastRun.segments,
                                      "with a slow observer the reading thread maps ahead")
                }
            }
        }
    }

    func testSegmentsMappedOutOfOrderAreTakenInOrder() throws {
        var reader = try FtraceTextReader(path: Self.path)
        let batch = try XCTUnwrap(reader.nextBatch())
        var m = Self.mapper()
        var expected: [Action] = []
        for i in 0..<batch.events.count { m.map(batch, i, into: &expected) }

        let work = MappingWork(batch, segmentSize: 100)
        XCTAssertGreaterThan(work.segmentCount, 5)
        // Another thread claims segment 0 and finishes it last; this thread maps every later segment first.
        let first = try XCTUnwrap(work.claimNext())
        XCTAssertEqual(first, 0)
        let started = DispatchSemaphore(value: 0)
        let box = UncheckedBox(Self.mapper())
        box.value.separateScratch()
        Thread {
            started.wait()
            work.map(first, with: &box.value)
        }.start()
        var here = Self.mapper()
        while let s = work.claimNext() { work.map(s, with: &here) }
        XCTAssertFalse(work.isDone(0))
        started.signal()
        var got: [Action] = []
        for s in 0..<work.segmentCount {
            work.waitDone(s)
            got += work.take(s)
            XCTAssertTrue(work.take(s).isEmpty, "a taken segment is freed")
        }
        XCTAssertTrue(got.map(Key.init) == expected.map(Key.init))
    }

    /// A source's resources (a CTF reader's babeltrace2 graph, whose plugins are shared objects) must be released by
    /// the caller, not by the reading thread whenever it drops its block: a release racing the process's exit
    /// segfaulted. Once `run` returns, the stream must hold no reference to the source.
    final class Resource {}
    struct Owning: TraceSource {
        var inner: FtraceTextReader
        let resource: Resource
        mutating func nextBatch() throws -> EventBatch? {
            // Slow the last read a little, so that the reading thread is still busy when the end arrives.
            guard let b = try inner.nextBatch() else { Thread.sleep(forTimeInterval: 0.01); return nil }
            return b
        }
        var description: TraceDescription { inner.description }
    }

    func testTheCallerHoldsTheLastReferenceToTheSourceOnceRunReturns() throws {
        for _ in 0..<60 {
            weak var watched: Resource?
            do {
                let r = Resource()
                watched = r
                var source = Owning(inner: try FtraceTextReader(path: Self.path, chunkSize: Self.chunk), resource: r)
                var stream = ActionStream(mapper: Self.mapper())
                var n = 0
                try stream.run(&source) { _, _ in n += 1 }
                XCTAssertGreaterThan(n, 0)
            }
            XCTAssertNil(watched, "the reading thread still held the source after run returned")
        }
    }
}
