import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces

/// What a report carries besides its title: task, release, lockdep structure, exception registers.
final class ReportStructureTests: XCTestCase {
    func extract(_ fixture: String) throws -> Extraction {
        let f = try Fixture(url: SharedCorpus.fixtures.appendingPathComponent(fixture))
        return try ReportExtractor().extract(bytes: Array(f.body.utf8))
    }

    func testLockdepReportStructure() throws {
        let r = try XCTUnwrap(extract("seed002-lockdep-netfs-filemap-fault.txt").reports.first)
        XCTAssertEqual(r.task?.comm, "holetest")
        XCTAssertEqual(r.task?.pid, 65517)
        XCTAssertEqual(r.kernelRelease, "5.15.0-rc1-build2+")
        XCTAssertEqual(r.lockAcquiring, "mapping.invalidate_lock#3")
        XCTAssertEqual(r.lockHeld, "&mm->mmap_lock#2")
        XCTAssertEqual(r.lockLinks.map(\.normalizedClass), ["&mm->mmap_lock", "sb_writers", "mapping.invalidate_lock"])
        XCTAssertEqual(r.lockLinks[1].frames.first(where: { $0.function == "cachefiles_write" })?.offset, 0x2b3)
        XCTAssertTrue(r.stacks.contains { $0.label == "Call Trace" && $0.frames.contains { !$0.reliable } },
                      "'?' frames are kept, marked unreliable")
    }

    func testHungTaskTaskAndBlockedOn() throws {
        let r = try XCTUnwrap(extract("unrelated-hung-task-blocked-on-mutex-6.14.txt").reports.first)
        XCTAssertEqual(r.task?.comm, "mv")
        XCTAssertEqual(r.task?.pid, 2244)
        XCTAssertEqual(r.blockedOn, "a mutex likely owned by task rsync:2201")
        let k = try XCTUnwrap(extract("variant-hung-task-xfs-iclog-space-5.2.txt").reports.first)
        XCTAssertEqual(k.task?.comm, "kworker/u16:3", "a comm with ':' keeps it")
        XCTAssertEqual(k.task?.pid, 2281)
        XCTAssertEqual(k.primaryStack.first { $0.module == "xfs" }?.function, "xlog_state_get_iclog_space")
    }

    func testCrashExceptionFrameRegistersAndStacks() throws {
        let ex = try extract("seed003-crash-bt-d-splice-alias-two-tasks.txt")
        let r = try XCTUnwrap(ex.reports.first)
        let exc = try XCTUnwrap(r.primaryStack.first)
        XCTAssertEqual(exc.function, "d_splice_alias")
        XCTAssertEqual(exc.offset, 478, "crash prints the offset in decimal")
        XCTAssertEqual(exc.stack, .exception)
        XCTAssertEqual(exc.registers?["RSI"], 0xffff8800d3b6b178)
        XCTAssertEqual(r.task?.pid, 2689619)
        XCTAssertEqual(r.task?.taskAddress, 0xffff8800ca740540)
        XCTAssertEqual(r.stacks.last?.label, "trap handler")
        XCTAssertEqual(r.stacks.last?.frames.last?.function, "invalid_op")
        // The dentry is shared, and named with the registers holding it in each task.
        let dentry = try XCTUnwrap(ex.correlations.first { $0.value == 0xffff8800d3b6b178 })
        XCTAssertEqual(dentry.sites.map(\.registers), [["RSI", "RBX"], ["RSI", "RBX"]])
        // Stack pointers and kernel text addresses are never reported as shared objects.
        XCTAssertFalse(ex.correlations.contains { $0.value >= 0xffff_ffff_8000_0000 })
    }

    func testMailQuotedSyslogAndKmsgPrefixesAreRemoved() throws {
        let q = try extract("variant-seed003-crash-bt-mail-quoted.txt")
        XCTAssertEqual(q.reports.count, 2)
        let k = try XCTUnwrap(extract("variant-warning-refcount-nfs-direct-kmsg-6.6.txt").reports.first)
        XCTAssertEqual(k.task?.comm, "kworker/u32:5")
        XCTAssertEqual(k.kernelRelease, "6.6.30")
        let j = try XCTUnwrap(extract("variant-seed002-lockdep-journal-caller-id-5.15.txt").reports.first)
        XCTAssertEqual(j.lockLinks.count, 3, "continuation lines keep the caller-id context")
    }
}
