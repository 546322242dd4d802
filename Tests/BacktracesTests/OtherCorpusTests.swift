import Foundation
import XCTest
@testable import TestSupport
@testable import Backtraces

/// satyr, ABRT, crash bt and lockdep/hung-task samples: every file is read without a crash, and what is extracted
/// agrees with the expectations those projects (or the corpus sidecars) publish.
final class OtherCorpusTests: XCTestCase {
    let extractor = ReportExtractor()

    func testNoCrashOverEveryCorpusFile() throws {
        var files = 0, reports = 0, binary = 0
        for sub in ["syzkaller", "satyr", "abrt", "crash-bt", "lockdep-hungtask"] {
            for url in try SharedCorpus.files(sub) {
                let bytes = Array(try Data(contentsOf: url))
                files += 1
                do {
                    let ex = try extractor.extract(bytes: bytes)
                    reports += ex.reports.count
                    for r in ex.reports {
                        XCTAssertLessThanOrEqual(r.startLine, r.endLine, url.path)
                        XCTAssertLessThan(r.endLine, max(ex.lineCount, 1), url.path)
                        XCTAssertFalse(r.title.isEmpty, url.path)
                    }
                } catch is InputError {
                    binary += 1
                }
            }
        }
        print("corpus: \(files) files read, \(reports) reports extracted, \(binary) refused as binary")
        XCTAssertGreaterThan(files, 700)
    }

    func testLockdepAndHungTaskSamplesGetTheSidecarTitles() throws {
        let dir = try SharedCorpus.directory("lockdep-hungtask")
        let expected = [
            "lkml-btrfs-lockdep-circular-kswapd": "possible deadlock in __btrfs_release_delayed_node",
            "lkml-ceph-hung-task-syslog-prefixed": "INFO: task hung in ceph_writepages_start",
            "lkml-f2fs-hung-task-arm32": "INFO: task hung in f2fs_write_single_data_page",
            "lkml-iommu-vtd-lockdep-circular-quoted": "possible deadlock in __irq_domain_alloc_irqs",
        ]
        for (name, title) in expected {
            let url = dir.appendingPathComponent(name + ".txt")
            let ex = try extractor.extract(bytes: Array(try Data(contentsOf: url)))
            XCTAssertEqual(ex.reports.first?.title, title, name)
        }
        let btrfs = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent("lkml-btrfs-lockdep-circular-kswapd.txt"))))
        let r = try XCTUnwrap(btrfs.reports.first)
        XCTAssertEqual(r.lockLinks.map(\.index), [3, 2, 1, 0], "every chain link with its stack")
        XCTAssertTrue(r.lockLinks.allSatisfy { !$0.frames.isEmpty })
        let arm = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent("lkml-f2fs-hung-task-arm32.txt"))))
        XCTAssertTrue(arm.reports.first?.primaryStack.contains { $0.function == "f2fs_write_single_data_page" } ?? false,
                      "ARM32 '(f) from (g+off)' frames are parsed")
    }

    func testCrashBTSamples() throws {
        let dir = try SharedCorpus.directory("crash-bt")
        func first(_ name: String) throws -> CrashReport? {
            try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent(name)))).reports
                .first { $0.source == "crash-bt" }
        }
        let nfs = try XCTUnwrap(try first("lkml-nfs-trunkdiscovery-crash-bt.txt"))
        XCTAssertEqual(nfs.title, "general protection fault in nfs_fattr_init")
        XCTAssertEqual(nfs.primaryStack.first?.registers?["RIP"] != nil, true, "exception frame keeps its registers")
        let noHash = try XCTUnwrap(try first("lkml-qla2xxx-nvme-crash-bt-nohash.txt"))
        XCTAssertGreaterThanOrEqual(noHash.primaryStack.count, 5, "frames without '#' are accepted")
        // Quoted-printable soft breaks and frames wrapped after " at" are rejoined: one task, all its frames.
        let qp = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent("lkml-bnxt-re-atomic-ops-crash-bt-qp-wrapped.txt"))))
        XCTAssertEqual(qp.reports.filter { $0.source == "crash-bt" }.count, 1)
        let bnxt = try XCTUnwrap(qp.reports.first)
        XCTAssertEqual(bnxt.title, "BUG: unable to handle kernel paging request in pcie_capability_read_dword")
        XCTAssertEqual(bnxt.primaryStack.dropFirst().first?.function, "pci_enable_atomic_ops_to_root")
        XCTAssertEqual(bnxt.primaryStack.first { $0.function == "bnxt_qplib_determine_atomics" }?.module, "bnxt_re")
        XCTAssertEqual(bnxt.registers["R15"], 0xffff89c648bab0c8, "the QP-split register value is whole again")
        XCTAssertGreaterThanOrEqual(bnxt.primaryStack.count, 25)
        let quoted = try XCTUnwrap(try first("lkml-uvcvideo-crash-sys-bt-quoted.txt"))
        XCTAssertEqual(quoted.primaryStack.count, 11, "frames after the reporter's '<---- RAX is NULL' line are kept")
        XCTAssertEqual(quoted.title, "BUG: unable to handle kernel paging request in uvc_video_decode_start")
        // dmesg oops and crash bt of the same panic: both found, same guilty function family.
        let pair = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent("rhel8-list-del-corruption-dmesg-and-crash-bt.txt"))))
        XCTAssertTrue(pair.reports.contains { $0.source == "console" && $0.title == "BUG: corrupted list in css_release_work_fn" })
        XCTAssertTrue(pair.reports.contains { $0.source == "crash-bt" && $0.kind == .bug })
        let foreachUN = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent("crash-help-foreach-17-foreach-un-bt.txt"))))
        XCTAssertTrue(foreachUN.reports.allSatisfy { $0.kind == .blockedTask }, "foreach UN bt: blocked tasks")
    }

    /// satyr's expected parse results: the outermost frame of each sample appears in the stack we extract.
    func testSatyrSamplesKeepTheirOutermostFrame() throws {
        let dir = try SharedCorpus.directory("satyr")
        let tsv = try String(contentsOf: dir.appendingPathComponent("EXPECTED-koops_stacktrace_parse.tsv"), encoding: .utf8)
        var total = 0, found = 0
        var missing: [String] = []
        for line in tsv.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("file") {
            let cols = line.split(separator: "\t").map(String.init)
            guard cols.count >= 3 else { continue }
            let url = dir.appendingPathComponent(cols[0])
            guard let data = try? Data(contentsOf: url) else { continue }
            total += 1
            let ex = try extractor.extract(bytes: Array(data))
            let names = Set(ex.reports.flatMap { $0.stacks.flatMap(\.frames) }.map(\.function))
            if names.contains(cols[2]) { found += 1 } else { missing.append("\(cols[0]) (\(cols[2]))") }
        }
        print("satyr: outermost frame found for \(found)/\(total) samples; missing: \(missing.joined(separator: ", "))")
        XCTAssertGreaterThan(total, 20)
        XCTAssertGreaterThanOrEqual(Double(found) / Double(total), 0.8)
    }

    /// ABRT's log -> extracted-oopses pairs: the two negatives yield nothing, and the oops counts mostly agree.
    func testABRTLogsNegativesStayEmpty() throws {
        let dir = try SharedCorpus.directory("abrt")
        for name in ["not_oops1.test"] {
            let ex = try extractor.extract(bytes: Array(try Data(contentsOf: dir.appendingPathComponent(name))))
            XCTAssertEqual(ex.reports.count, 0, "\(name): \(ex.reports.map(\.title))")
        }
        var agree = 0, pairs = 0
        for url in try SharedCorpus.files("abrt") where url.pathExtension == "right" {
            let base = url.deletingPathExtension().lastPathComponent
            let test = dir.appendingPathComponent(base + ".test")
            guard let data = try? Data(contentsOf: test), let right = try? String(contentsOf: url, encoding: .utf8),
                  let line = right.split(separator: "\n").first(where: { $0.contains("Found oopses:") }),
                  let n = Int(line.split(separator: " ").last ?? "") else { continue }
            pairs += 1
            let ex = try extractor.extract(bytes: Array(data))
            if (ex.reports.count > 0) == (n > 0) { agree += 1 }
        }
        print("abrt: oops/no-oops agrees on \(agree)/\(pairs) log files")
        XCTAssertGreaterThan(pairs, 10)
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(pairs), 0.8)
    }
}
