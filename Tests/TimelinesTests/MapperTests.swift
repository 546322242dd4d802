import XCTest
import TraceModel
@testable import Timelines

/// Builds a small `EventBatch` directly: payloads concatenated in one storage, names and comms interned.
func makeBatch(_ rows: [(comm: String, pid: Int32, name: String, kind: EventKind, payload: String)]) -> EventBatch {
    var bytes: [UInt8] = []
    var interner = ByteInterner()
    var events: [Event] = []
    for (i, r) in rows.enumerated() {
        let start = bytes.count
        bytes.append(contentsOf: Array(r.payload.utf8))
        bytes.append(10)
        events.append(Event(timestamp: Int64(1_000_000 * (i + 1)), lineNumber: i + 1, byteOffset: Int64(start), cpu: 0,
                            pid: r.pid, comm: interner.intern(r.comm), name: interner.intern(r.name), kind: r.kind,
                            payload: ByteSpan(start: start, count: r.payload.utf8.count)))
    }
    return EventBatch(storage: ByteStorage(bytes: bytes), events: events, symbols: interner.table)
}

func actions(_ batch: EventBatch, _ mapper: inout SemanticMapper) -> [Action] {
    var out: [Action] = []
    for i in 0..<batch.count { mapper.map(batch, i, into: &out) }
    return out
}

final class MapperTests: XCTestCase {
    func testSchedSwitchIsTwoActionsWithTheStateDecoded() {
        let b = makeBatch([("lw_waiter", 139, "sched_switch", .tracepoint,
                            "prev_comm=lw_waiter prev_pid=139 prev_prio=120 prev_state=D ==> next_comm=init next_pid=141 next_prio=120")])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a.map(\.verb), [.switchOut, .switchIn])
        XCTAssertEqual(a[0].object, .task(139))
        XCTAssertTrue(a[0].state.isUninterruptibleSleep)
        XCTAssertEqual(a[1].object, .task(141))
    }

    func testNumericPrevStateUsesTheEraEncoding() {
        let b = makeBatch([("x", 5, "sched_switch", .tracepoint,
                            "prev_comm=x prev_pid=5 prev_prio=120 prev_state=4096 ==> next_comm=y next_pid=6 next_prio=120")])
        var m = SemanticMapper()
        m.prevStateEncoding = .v4_8
        XCTAssertEqual(actions(b, &m)[0].state, .preempted, "4096 is the preempt bit of 4.8–4.13: runnable")
    }

    func testProbesAreMappedByProbedSymbolNotByName() {
        let b = makeBatch([
            ("ls", 4120, "p_d_splice_alias_0", .kprobe, "(d_splice_alias+0x0/0x2a0) inode=0xffff1 dentry=0xffff88003d9a6cc0"),
            ("ls", 4121, "whatever", .kprobe, "(d_splice_alias+0x0/0x2a0) inode=0xffff2 dentry=0xffff88003d9a6cc0"),
            ("ls", 4121, "mydrop", .kprobe, "(__d_drop+0x0/0x70) dentry=0xffff88003d9a6cc0"),
            ("ls", 4121, "dsplice_ret", .kretprobe, "(nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0"),
        ])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a.map(\.verb), [.splice, .splice, .drop, .spliceReturn])
        XCTAssertEqual(Set(a.prefix(3).map(\.object)), [ObjectRef(.dentry, 0xffff88003d9a6cc0)])
        XCTAssertEqual(a[3].value, 0)
        XCTAssertEqual(m.probedSymbols, ["d_splice_alias", "__d_drop"])
    }

    func testArgumentsByPositionWhenTheUserNamedThemDifferently() {
        // x86_64: d_splice_alias(inode=%di, dentry=%si): the dentry is the second argument whatever its name.
        let b = makeBatch([("ls", 1, "ds", .kprobe, "(d_splice_alias+0x0/0x2a0) a=0xaaaa b=0xbbbb")])
        var m = SemanticMapper()
        XCTAssertEqual(actions(b, &m).first?.object, ObjectRef(.dentry, 0xbbbb))
    }

    func testProbeMapFileRenamesArguments() throws {
        let map = try ProbeAlias.parseFile("""
            # my probes
            probe mysplice d_splice_alias dentry=dp
            """)
        XCTAssertEqual(map, [ProbeAlias(eventName: "mysplice", symbol: "d_splice_alias", arguments: ["dentry": "dp"])])
        // A trace whose probe line shows only an address (trace-cmd): the map supplies the symbol.
        let b = makeBatch([("ls", 1, "mysplice", .kprobe, "(ffffffff8132a4f0) ip=0x1 dp=0xcafe")])
        var m = SemanticMapper(aliases: map)
        XCTAssertEqual(actions(b, &m).first?.object, ObjectRef(.dentry, 0xcafe))
        XCTAssertThrowsError(try ProbeAlias.parseFile("probe onlyname"))
    }

    func testFscacheEraOneAndThreeShareRulesButKeepTheirWords() {
        let b = makeBatch([
            ("kw", 77, "fscache_osm", .tracepoint, "c=00000000a3f1c2d4 o=0000000077e6b0a1 LCFL WORK ev=2"),
            ("um", 9, "fscache_cookie", .tracepoint, "PUT rlq c=000000004b7d1e20 u=1 p=000000005e2b11c0 Nc=0 Na=0 f=38"),
            ("um", 9, "fscache_cookie", .tracepoint, "c=00000003 PUT relnq r=1"),
            ("kw", 77, "fscache_access", .tracepoint, "c=00000003 BEGIN inval   r=2 a=1"),
        ])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a[0].object, ObjectRef(.fscacheObject, 0x77e6b0a1))
        XCTAssertEqual(a[0].other, ObjectRef(.cookie, 0xa3f1c2d4))
        XCTAssertEqual(a[0].detail, "LCFL WORK")
        XCTAssertEqual(a[1].detail, "PUT rlq")
        XCTAssertEqual(a[1].value, 0x38)
        XCTAssertEqual(a[1].value2, 0, "Na=0")
        XCTAssertEqual(a[2].object, ObjectRef(.cookie, 3))
        XCTAssertEqual(a[2].detail, "PUT relnq")
        XCTAssertEqual(a[3].detail, "BEGIN inval")
    }

    func testLockAndNetfsEvents() {
        let b = makeBatch([
            ("h", 7, "lock_acquire", .tracepoint, "ffff88810c81d730 try read mapping.invalidate_lock#3"),
            ("h", 7, "lock_release", .tracepoint, "ffff88810c81d730 mapping.invalidate_lock#3"),
            ("h", 7, "netfs_read", .tracepoint, "R=0000002a READPAGE c=00000007 s=0 1000"),
            ("h", 7, "netfs_rreq", .tracepoint, "R=0000002a WRITE  f=03"),
        ])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a.map(\.verb), [.lockAcquire, .lockRelease, .netfsRead, .netfsRequest])
        XCTAssertEqual(a[0].object, ObjectRef(.lock, 0xffff88810c81d730))
        XCTAssertEqual(a[0].detail, "try read mapping.invalidate_lock#3")
        XCTAssertEqual(a[2].object, ObjectRef(.netfsRequest, 0x2a))
        XCTAssertEqual(a[2].other, ObjectRef(.cookie, 7))
        XCTAssertEqual(a[3].detail, "WRITE")
    }

    func testWaitKeysPairWordAndBit() {
        let b = makeBatch([
            ("cat", 1, "waitbit", .kprobe, "(out_of_line_wait_on_bit+0x0/0x90) word=0xffff8f0a3c1e2dc8 bit=0x0 mode=0x1"),
            ("kw", 2, "wakebit", .kprobe, "(wake_up_bit+0x0/0x40) word=0xffff8f0a3c1e2dc8 bit=0x3"),
        ])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a[0].object, ObjectRef(.waitKey, 0xffff8f0a3c1e2dc8, sub: 0))
        XCTAssertEqual(a[1].object, ObjectRef(.waitKey, 0xffff8f0a3c1e2dc8, sub: 3))
        XCTAssertNotEqual(a[0].object, a[1].object, "another bit of the same word is another key")
    }

    func testUnmappedEventsCostNothing() {
        let b = makeBatch([("x", 1, "irq_handler_entry", .tracepoint, "irq=24 name=eth0"),
                           ("x", 1, "myprobe", .kprobe, "(vfs_read+0x0/0x1a0) file=0x1")])
        var m = SemanticMapper()
        XCTAssertTrue(actions(b, &m).isEmpty)
    }
}

final class TimelineStoreTests: XCTestCase {
    func testRingKeepsTheLastWindowAndCountsWhatItTrimmed() {
        let store = TimelineStore(window: 4)
        let q = ObjectRef(.waitqueue, 0x10)
        for i in 0..<10 {
            store.record(Action(verb: i % 2 == 0 ? .enqueue : .wake, object: q, timestamp: Int64(i), lineNumber: i + 1,
                                cpu: 0, pid: 100 + Int32(i % 2), comm: "t"))
        }
        let t = store[q]!
        XCTAssertEqual(t.count, 10)
        XCTAssertEqual(t.trimmed, 6)
        XCTAssertEqual(t.actions.map(\.lineNumber), [7, 8, 9, 10])
        XCTAssertEqual(t.last?.lineNumber, 10)
        XCTAssertEqual(t.firstLine, 1)
        // Actors get a timeline of what they did.
        XCTAssertEqual(store[.task(100)]?.count, 5)
    }

    func testObjectLimitForgetsTheLeastRecentlyTouched() {
        let store = TimelineStore(window: 2, objectLimit: 10)
        store.keptKinds = [.dentry]
        for i in 0..<25 {
            store.record(Action(verb: .splice, object: ObjectRef(.dentry, UInt64(i)), timestamp: Int64(i),
                                lineNumber: i, cpu: 0, pid: 1, comm: "ls"))
        }
        XCTAssertLessThanOrEqual(store.timelines.count, 10)
        XCTAssertGreaterThan(store.forgottenObjects, 0)
        XCTAssertNotNil(store[ObjectRef(.dentry, 24)], "the newest object is kept")
    }

    func testObjectNamesRoundTrip() {
        for o in [ObjectRef.task(137), ObjectRef(.waitqueue, 0xff271bc27ff52300), ObjectRef(.waitKey, 0xffff8880, sub: 3),
                  ObjectRef(.cookie, 3), ObjectRef(.netfsRequest, 0x2a), ObjectRef(.dentry, 0xff40154b820c8000),
                  ObjectRef(.lock, 0xffff88810c81d730), ObjectRef(.xlog, 253 << 20 | 0)] {
            XCTAssertEqual(ObjectRef.parse(o.description), o, o.description)
        }
        XCTAssertEqual(ObjectRef.parse("wq:0x10"), ObjectRef(.waitqueue, 0x10))
        XCTAssertNil(ObjectRef.parse("bogus:1"))
    }
}

final class TraceCmdFormTests: XCTestCase {
    func testPluginFormattedSchedLinesStillNameTheTasks() {
        // trace-cmd report without -N renders sched events through libtraceevent plugins.
        let b = makeBatch([
            ("sh", 140, "sched_switch", .tracepoint, "sh:140 [120] S ==> swapper/1:0 [120]"),
            ("lw_waiter", 144, "sched_switch", .tracepoint, "lw_waiter:144 [120] D ==> kworker/0:1 H:31 [120]"),
            ("<idle>", 0, "sched_wakeup", .tracepoint, "grep:143 [120] CPU:000"),
        ])
        var m = SemanticMapper()
        let a = actions(b, &m)
        XCTAssertEqual(a.map(\.verb), [.switchOut, .switchIn, .switchOut, .switchIn, .wakeup])
        XCTAssertEqual(a.map(\.object.pid), [140, 0, 144, 31, 143])
        XCTAssertEqual(a[0].state, .interruptible)
        XCTAssertTrue(a[2].state.isUninterruptibleSleep)
        XCTAssertTrue(m.unreadable.isEmpty)
    }

    func testAddressOnlyProbesAreNamedByTheirAutomaticNameOrTheProbeMap() {
        let b = makeBatch([
            ("ls", 1, "p_d_splice_alias_0", .kprobe, "(ffffffff8132a4f0) inode=0x1 dentry=0xbeef"),
            ("ls", 1, "wakeup", .kprobe, "(ffffffffa84f82b0) wq_head=0xff52404d8040b9e8 mode=0x3"),
        ])
        var plain = SemanticMapper()
        XCTAssertEqual(actions(b, &plain).map(\.verb), [.splice], "an address-only probe with a user name is unknown")
        var mapped = SemanticMapper(aliases: [ProbeAlias(eventName: "wakeup", symbol: "__wake_up")])
        let a = actions(b, &mapped)
        XCTAssertEqual(a.map(\.verb), [.splice, .wake])
        XCTAssertEqual(a[1].object, ObjectRef(.waitqueue, 0xff52404d8040b9e8))
    }
}
