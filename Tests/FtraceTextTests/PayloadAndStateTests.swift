import XCTest
@testable import TestSupport
import FtraceText
import TraceModel

/// Payload fields decoded lazily from bytes, latency flags, and prev_state per kernel era.
final class PayloadAndStateTests: XCTestCase {
    func fields(_ payload: String) throws -> PayloadFields {
        let r = try read("          <idle>-0     [000] d..4  1212.465074: ev: \(payload)\n")
        return r.fields(0)
    }

    func testValuesWithSpacesUnitsArraysEqualsAndQuotes() throws {
        let f = try fields("comm=tmux: server pid=1613 runtime=100814 [ns] vruntime=2093 [ns] load={24 19} my_field=foo=bar name=\"a b\" ptr=0xffff888004ad6618")
        XCTAssertEqual(f.string("comm"), "tmux: server")
        XCTAssertEqual(f.int("pid"), 1613)
        XCTAssertEqual(f["runtime"], "100814 [ns]")
        XCTAssertEqual(f.int("runtime"), 100814)
        XCTAssertEqual(f.int("vruntime"), 2093)
        XCTAssertEqual(f["load"], "{24 19}")
        XCTAssertEqual(f["my_field"], "foo=bar")
        XCTAssertEqual(f.string("name"), "a b")
        XCTAssertEqual(f.hex("ptr"), 0xffff888004ad6618)
        XCTAssertNil(f["missing"])
        XCTAssertNil(f["id"], "`pid=` must not answer for `id`")
        XCTAssertEqual(f.pairs.map(\.key), ["comm", "pid", "runtime", "vruntime", "load", "my_field", "name", "ptr"])
    }

    func testSchedSwitchArrowAndNegativeNumbers() throws {
        let f = try fields("prev_comm=kworker/u8:2 prev_pid=34380 prev_prio=120 prev_state=I ==> next_comm=swapper/3 next_pid=0 next_prio=120 err=-4553")
        XCTAssertEqual(f["prev_state"], "I")
        XCTAssertEqual(f.string("prev_comm"), "kworker/u8:2")
        XCTAssertEqual(f.string("next_comm"), "swapper/3")
        XCTAssertEqual(f.int("err"), -4553)
    }

    func testFscacheEra2DebugIdsAreHex() throws {
        // v5.15 `fscache_cookie "%s c=%08x u=%d p=%08x Nc=%d Na=%d f=%02x"`.
        let f = try fields("GET prn c=0000001a u=2 p=00000003 Nc=1 Na=0 f=22")
        XCTAssertEqual(f.hex("c"), 0x1a)
        XCTAssertEqual(f.hex("p"), 3)
        XCTAssertEqual(f.int("Nc"), 1)
        XCTAssertEqual(f.hex("f"), 0x22)
        XCTAssertEqual(f.positional.prefix(2), ["GET", "prn"])
    }

    func testLatencyFlagsDecoding() {
        let d = LatencyFlags.decode("dNs1.")!
        XCTAssertTrue(d.contains(.irqsOff))
        XCTAssertTrue(d.contains(.needReschedTIF) && d.contains(.needReschedPreempt))
        XCTAssertTrue(d.contains(.softirq))
        XCTAssertEqual(d.preemptDepth, 1)
        XCTAssertEqual(d.text, "dNs1.")
        let b = LatencyFlags.decode("D.Z.2")!
        XCTAssertTrue(b.contains(.irqsOff) && b.contains(.bhOff))
        XCTAssertTrue(b.contains(.nmi) && b.contains(.hardirq))
        XCTAssertEqual(b.migrateDisableDepth, 2)
        XCTAssertEqual(LatencyFlags.decode("bp.f")?.preemptDepth, 15)
        XCTAssertTrue(LatencyFlags.decode("X...")!.contains(.irqsOffUnsupported))
        XCTAssertNil(LatencyFlags.decode("1212"))
        XCTAssertNil(LatencyFlags.decode("dq.."))
    }

    func testPrevStateLettersPerEra() {
        XCTAssertEqual(TaskState.parseLetters("R"), .running)
        XCTAssertEqual(TaskState.parseLetters("R+"), [.preempted])
        XCTAssertTrue(TaskState.parseLetters("D")!.isUninterruptibleSleep)
        XCTAssertTrue(TaskState.parseLetters("D|K")!.isUninterruptibleSleep, "killable D before 4.14 is still D")
        XCTAssertFalse(TaskState.parseLetters("D|N")!.isUninterruptibleSleep, "D|N is TASK_IDLE before 4.14")
        XCTAssertFalse(TaskState.parseLetters("I")!.isUninterruptibleSleep)
        XCTAssertTrue(TaskState.parseLetters("I")!.isSleep)
        XCTAssertTrue(TaskState.parseLetters("x")!.isExit)
        XCTAssertTrue(TaskState.parseLetters("S|T")!.isSleep)
        XCTAssertNil(TaskState.parseLetters("Q"))
    }

    func testPrevStateNumbersPerEra() {
        // 4.14+: X and Z swapped against older kernels; TASK_REPORT_MAX 0x100 is "+".
        XCTAssertEqual(PrevStateEncoding.v4_14.decode(0x10), .dead)
        XCTAssertEqual(PrevStateEncoding.v4_8.decode(16), .zombie)
        XCTAssertEqual(PrevStateEncoding.v4_14.decode(0x80), .idle)
        XCTAssertEqual(PrevStateEncoding.v4_14.decode(0x100), [.preempted])
        XCTAssertEqual(PrevStateEncoding.v4_8.decode(4096), [.preempted])
        XCTAssertEqual(PrevStateEncoding.v4_2.decode(2048), [.preempted])
        XCTAssertEqual(PrevStateEncoding.v3_10.decode(1024), [.preempted])
        XCTAssertEqual(PrevStateEncoding.v4_2.decode(1026), [.uninterruptible, .noload])
        XCTAssertEqual(PrevStateEncoding.v3_10.decode(130), [.uninterruptible, .wakekill])
        XCTAssertEqual(PrevStateEncoding.v3_4.decode(512), [.preempted])
        XCTAssertTrue(PrevStateEncoding.v4_8.decode(64).isExit)
    }

    func testEraInferenceClaimsOnlyWhatTheEvidenceShows() {
        var e = PrevStateEvidence()
        ["R", "S", "D|K"].forEach { e.add($0) }
        XCTAssertNil(e.inferred?.encoding)
        XCTAssertEqual(e.inferred?.kernels, "before 4.14")
        e.add("2048")
        XCTAssertEqual(e.inferred?.encoding, .v4_2)
        var n = PrevStateEvidence()
        ["R", "S", "I", "R+"].forEach { n.add($0) }
        XCTAssertEqual(n.inferred?.encoding, .v4_14)
        var none = PrevStateEvidence()
        ["R", "S"].forEach { none.add($0) }
        XCTAssertNil(none.inferred)
    }
}
