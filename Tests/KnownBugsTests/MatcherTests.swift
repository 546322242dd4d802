import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces
@testable import KnownBugs

final class MatcherTests: XCTestCase {
    static let db = try! KnownBugDatabase.bundled()
    let matcher = Matcher(database: MatcherTests.db)
    let extractor = ReportExtractor()

    func reports(_ text: String) throws -> [CrashReport] { try extractor.extract(bytes: Array(text.utf8)).reports }

    // MARK: every entry against its own example

    /// SwiftLint-style: each entry describes itself. Entries that point at a fixture are run against it (must match,
    /// ranked first) and against their near-miss fixture (must not match). Every other entry with frames gets a
    /// report synthesised from its own frames in the report shape of its kind (must match, ranked first), and the
    /// same frames in a report of a kind it cannot show (must not match: the kind gate).
    func testEveryEntryMatchesItsOwnExampleAndNotItsLookAlike() throws {
        var checked = 0
        for bug in Self.db.bugs {
            if let ex = bug.example {
                let url = SharedCorpus.packageRoot.appendingPathComponent(ex)
                let f = try Fixture(url: url)
                let rs = try reports(f.body)
                XCTAssertFalse(rs.isEmpty, "\(bug.id): its example \(ex) yields no report")
                for r in rs {
                    let top = matcher.rank(r).first
                    XCTAssertEqual(top?.bug.id, bug.id, "\(bug.id): example \(ex) ranks \(top?.bug.id ?? "nothing") first")
                    XCTAssertTrue(top?.aboveThreshold ?? false, "\(bug.id): example scores \(top?.score ?? 0)")
                }
                if let nm = bug.nearMiss {
                    let g = try Fixture(url: SharedCorpus.packageRoot.appendingPathComponent(nm))
                    for r in try reports(g.body) {
                        let c = matcher.rank(r).first { $0.bug.id == bug.id }
                        XCTAssertFalse(c?.aboveThreshold ?? false, "\(bug.id): near miss \(nm) scores \(c?.score ?? 0)")
                    }
                }
                checked += 1
                continue
            }
            guard !bug.frames.isEmpty else { continue }
            let text = Synth.report(kind: bug.kind, frames: bug.frames, other: bug.otherFrames)
            let rs = try reports(text)
            XCTAssertEqual(rs.count, 1, "\(bug.id): synthesised example parses as one report:\n\(text)")
            guard let r = rs.first else { continue }
            XCTAssertTrue(bug.kind.compatibleReportKinds.contains(r.kind), "\(bug.id): synthesised \(r.kind) for \(bug.kind)")
            let ranked = matcher.rank(r)
            XCTAssertEqual(ranked.first?.bug.id, bug.id,
                           "\(bug.id): ranks \(ranked.prefix(3).map { "\($0.bug.id) \($0.score)" }) for \(r.title)")
            XCTAssertTrue(ranked.first?.aboveThreshold ?? false, "\(bug.id): scores \(ranked.first?.score ?? 0)")
            let look = Synth.report(kind: Synth.incompatibleTemplate(for: bug.kind), frames: bug.frames, other: [])
            for r2 in try reports(look) {
                XCTAssertFalse(bug.kind.compatibleReportKinds.contains(r2.kind), "\(bug.id): look-alike kind \(r2.kind)")
                XCTAssertFalse(matcher.match(r2).contains { $0.bug.id == bug.id }, "\(bug.id): matched across kinds")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 55)
    }

    // MARK: fixtures

    func testFixtureMatchHeaders() throws {
        var matched = 0, refused = 0
        for f in try Fixture.all() where !f.matches.isEmpty {
            let rs = try reports(f.body)
            XCTAssertEqual(rs.count, f.matches.count, f.name)
            for (r, want) in zip(rs, f.matches) {
                let best = matcher.match(r).first
                if want == "none" {
                    XCTAssertNil(best, "\(f.name): \(r.title) wrongly claimed by \(best?.bug.id ?? "") at \(best?.score ?? 0)")
                    refused += 1
                } else {
                    XCTAssertEqual(best?.bug.id, want, "\(f.name): \(r.title)")
                    XCTAssertFalse(best?.why.isEmpty ?? true, "\(f.name): a match explains itself")
                    matched += 1
                }
            }
        }
        print("fixtures: \(matched) reports matched their known bug, \(refused) look-alikes/unrelated refused")
        XCTAssertGreaterThanOrEqual(matched, 10)
        XCTAssertGreaterThanOrEqual(refused, 5)
    }

    // MARK: normalisation and explanation

    func testNormalisedQuestionableAndGenericFramesAreHandled() throws {
        // seed-2's frames, with an .isra clone, a '?' frame holding the innermost name, generic frames between.
        let text = """
        BUG: kernel NULL pointer dereference, address: 000000000000000c
        #PF: supervisor write access in kernel mode
        Oops: 0002 [#1] SMP
        CPU: 2 PID: 1873 Comm: kslowd002 Not tainted 3.10.0 #1
        RIP: 0010:_raw_spin_lock+0xe/0x30
        Call Trace:
         ? fscache_object_slow_work_execute+0x10/0x20 [fscache]
         fscache_invalidate_writes.isra.3+0x38/0xd0 [fscache]
         ? __switch_to+0xd0/0x320
         fscache_object_slow_work_execute+0x5e3/0x9d0 [fscache]
         slow_work_execute+0x233/0x310
         kthread+0x96/0xa0
         ret_from_fork+0x1f/0x30
        """
        let r = try XCTUnwrap(reports(text).first)
        XCTAssertEqual(r.title, "BUG: unable to handle kernel NULL pointer dereference in fscache_invalidate_writes")
        let best = try XCTUnwrap(matcher.match(r).first)
        XCTAssertEqual(best.bug.id, "seed-2-fscache-invalidate-vs-relinquish")
        XCTAssertEqual(best.framePairs.map(\.reportFrame), ["fscache_invalidate_writes.isra.3", "fscache_object_slow_work_execute"])
        XCTAssertEqual(best.framePairs.map(\.reportIndex), [0, 1], "the ? frame and generic frames are not counted")
        XCTAssertTrue(best.why.contains { $0.contains("as fscache_invalidate_writes.isra.3") }, "\(best.why)")
    }

    func testSyscallPrefixesAndCloneSuffixesNormalise() {
        XCTAssertEqual(FrameNormalizer.normalize("__x64_sys_read"), "read")
        XCTAssertEqual(FrameNormalizer.normalize("__do_sys_fremovexattr"), "fremovexattr")
        XCTAssertEqual(FrameNormalizer.normalize("ksys_read"), "read")
        XCTAssertEqual(FrameNormalizer.normalize("SyS_open"), "open")
        XCTAssertEqual(FrameNormalizer.normalize("sys_open"), "open")
        XCTAssertEqual(FrameNormalizer.normalize("pte_offset_kernel.isra.0"), "pte_offset_kernel")
        XCTAssertEqual(FrameNormalizer.normalize("netfs_rreq_do_write_to_cache.constprop.0"), "netfs_rreq_do_write_to_cache")
        XCTAssertEqual(FrameNormalizer.normalize("__list_del_entry_valid.cold.1"), "__list_del_entry_valid")
        XCTAssertEqual(FrameNormalizer.normalize("btrfs_release_delayed_node.part.0"), "btrfs_release_delayed_node")
        XCTAssertEqual(FrameNormalizer.normalize(".eeh_dev_check_failure"), "eeh_dev_check_failure")
        XCTAssertEqual(FrameNormalizer.normalize("system_call_fastpath"), "system_call_fastpath", "not a sys_ prefix")
    }

    func testWeakEvidenceStaysBelowThreshold() throws {
        // One shared function (d_splice_alias) reached from a different filesystem: not the NFS bug.
        let text = """
        kernel BUG at fs/dcache.c:2989!
        invalid opcode: 0000 [#1] SMP
        CPU: 0 PID: 7 Comm: ls Not tainted 4.8.0 #1
        RIP: 0010:d_splice_alias+0x1de/0x210
        Call Trace:
         ovl_lookup+0x2ce/0x8a0 [overlay]
         lookup_slow+0xa1/0x160
         walk_component+0x1bd/0x2f0
         path_lookupat+0x72/0x120
        """
        let r = try XCTUnwrap(reports(text).first)
        XCTAssertEqual(r.title, "kernel BUG in d_splice_alias")
        let c = matcher.rank(r).first { $0.bug.id == "seed-4-nfs-atomic-open-double-splice" }
        XCTAssertNotNil(c, "the entry is a candidate")
        XCTAssertLessThan(c?.score ?? 1, matcher.threshold)
    }

    func testHintsForTextWithoutReports() throws {
        let seeds = try SharedCorpus.seeds()
        let url = try FileManager.default.contentsOfDirectory(at: seeds, includingPropertiesForKeys: nil)
            .first { $0.lastPathComponent.hasPrefix("004_") }
        let text = try String(contentsOf: XCTUnwrap(url), encoding: .utf8)
        XCTAssertTrue(try reports(text).isEmpty, "seed 004 has no backtrace")
        let hints = matcher.hints(in: text)
        XCTAssertEqual(hints.first?.bug.id, "seed-5-xfs-l_flush_wait-lost-wakeup")
        XCTAssertTrue(hints.first?.mentioned.contains("l_flush_wait") ?? false)
    }
}

/// Builds console reports from an entry's frames, in the shape each report kind prints on a 6.1 kernel.
enum Synth {
    static func frameLines(_ frames: [String], module: Bool = false) -> String {
        frames.enumerated().map { i, f in " \(f)+0x\(String(16 + 8 * i, radix: 16))/0x\(String(256 + 16 * i, radix: 16))" }
            .joined(separator: "\n")
    }

    enum Template { case nullDeref, kasan, bug, warning, hung, lockdep }

    static func template(for kind: BugKind) -> Template {
        switch kind {
        case .nullDeref: return .nullDeref
        case .uafKasan: return .kasan
        case .bugOn, .race: return .bug
        case .warning: return .warning
        case .hungTask, .lostWakeup, .deadlock: return .hung
        case .lockdep: return .lockdep
        }
    }

    static func incompatibleTemplate(for kind: BugKind) -> BugKind {
        switch kind {
        case .uafKasan, .bugOn, .warning, .race: return .hungTask
        default: return .warning
        }
    }

    static func report(kind: BugKind, frames: [String], other: [String]) -> String {
        let head = frames.first ?? "unknown"
        let rest = Array(frames.dropFirst())
        let cpu = "CPU: 1 PID: 4242 Comm: synth Not tainted 6.1.0 #1\nHardware name: QEMU Standard PC (Q35 + ICH9, 2009)"
        switch template(for: kind) {
        case .nullDeref:
            return """
            BUG: kernel NULL pointer dereference, address: 0000000000000010
            #PF: supervisor read access in kernel mode
            Oops: 0000 [#1] PREEMPT SMP
            \(cpu)
            RIP: 0010:\(head)+0x10/0x100
            RSP: 0018:ffffc90000abfd00 EFLAGS: 00010246
            Call Trace:
             <TASK>
            \(frameLines(rest))
             </TASK>
            """
        case .kasan:
            return """
            ==================================================================
            BUG: KASAN: slab-use-after-free in \(head)+0x10/0x100
            Read of size 8 at addr ffff888012345678 by task synth/4242

            \(cpu)
            Call Trace:
             <TASK>
             dump_stack_lvl+0x45/0x59
             print_report+0x171/0x4a0
             kasan_report+0xb1/0xe0
            \(frameLines(frames))
             </TASK>

            Allocated by task 1:
             kasan_save_stack+0x1e/0x40
             __kasan_kmalloc+0xa9/0xd0

            Freed by task 2:
             kasan_save_stack+0x1e/0x40
             kfree+0xa9/0x2a0
            \(frameLines(other))
            ==================================================================
            """
        case .bug:
            return """
            ------------[ cut here ]------------
            kernel BUG at fs/synth.c:100!
            invalid opcode: 0000 [#1] PREEMPT SMP
            \(cpu)
            RIP: 0010:\(head)+0x10/0x100
            RSP: 0018:ffffc90000abfd00 EFLAGS: 00010246
            Call Trace:
             <TASK>
            \(frameLines(rest))
             </TASK>
            ---[ end trace 0000000000000000 ]---
            """
        case .warning:
            return """
            ------------[ cut here ]------------
            WARNING: CPU: 1 PID: 4242 at fs/synth.c:10 \(head)+0x10/0x100
            Modules linked in:
            \(cpu)
            RIP: 0010:\(head)+0x10/0x100
            RSP: 0018:ffffc90000abfd00 EFLAGS: 00010246
            Call Trace:
             <TASK>
            \(frameLines(rest))
             </TASK>
            ---[ end trace 0000000000000000 ]---
            """
        case .hung:
            return """
            INFO: task synth:4242 blocked for more than 122 seconds.
                  Not tainted 6.1.0 #1
            "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
            task:synth           state:D stack:0     pid:4242  ppid:2      flags:0x00004000
            Call Trace:
             <TASK>
             __schedule+0x2a6/0x700
            \(frameLines(frames))
             </TASK>
            """
        case .lockdep:
            return """
            ============================================
            WARNING: possible recursive locking detected
            6.1.0 #1 Not tainted
            --------------------------------------------
            synth/4242 is trying to acquire lock:
            ffff888012345678 (&synth->lock){+.+.}-{2:2}, at: \(head)+0x10/0x100

            but task is already holding lock:
            ffff888012345678 (&synth->lock){+.+.}-{2:2}, at: \(head)+0x8/0x100

            other info that might help us debug this:

             *** DEADLOCK ***

            stack backtrace:
            \(cpu)
            Call Trace:
             <TASK>
             dump_stack_lvl+0x45/0x59
             __lock_acquire+0x1222/0x1e30
             lock_acquire+0xcf/0x2e0
             _raw_spin_lock+0x2f/0x40
            \(frameLines(frames))
             </TASK>
            """
        }
    }
}
