import XCTest
@testable import TestSupport
import KSleuth
import Signatures
import Timelines
import TraceModel

/// Analyses never know which format fed them: a trace-cmd .dat and the text trace-cmd printed from it give the
/// same finding (issue 5's "same answer whichever reader").
final class SameFindingsAnyFormatTests: XCTestCase {
    func analyze(_ fixture: String, aliases: [ProbeAlias] = []) throws -> AnalysisResult {
        var reader = try TraceReaders.open(path: Repo.fixture(fixture).path)
        var options = AnalysisOptions()
        options.probeAliases = aliases
        return try Analyzer(options: options).analyze(&reader, name: fixture)
    }

    func testDatAndItsTextReportGiveTheSameLostWakeup() throws {
        let dat = try analyze("traces/lost-wakeup/tc-buggy-wq-6.1.dat")
        // The text report shows kprobes by address only; a probe map names them (the .dat has kallsyms instead).
        let text = try analyze("traces/lost-wakeup/tc-buggy-wq-6.1.report", aliases: try ProbeAlias.parseFile("""
            probe wakeup __wake_up
            probe ptw prepare_to_wait
            probe ptwe prepare_to_wait_event
            probe ttwu try_to_wake_up
            retprobe ttwu_ret try_to_wake_up
            """))
        let a = try XCTUnwrap(dat.findings.first)
        let b = try XCTUnwrap(text.findings.first)
        XCTAssertEqual(dat.findings.count, 1)
        XCTAssertEqual(text.findings.count, 1)
        XCTAssertEqual(a.signature, "lost-wakeup")
        XCTAssertEqual(a.signature, b.signature)
        XCTAssertEqual(a.confidence, .high)
        XCTAssertEqual(a.confidence, b.confidence)
        XCTAssertEqual(a.tasks.map(\.pid), b.tasks.map(\.pid))
        XCTAssertEqual(a.tasks.first { $0.role == "waiter" }?.pid, 144)
        XCTAssertEqual(a.objects, b.objects, "the same waitqueue address, raw in both forms")
        // The .dat keeps nanoseconds; the text report prints microseconds.
        XCTAssertEqual(a.since.map { $0 / 1000 }, b.since.map { $0 / 1000 })
    }

    /// Without a probe map, the kallsyms of the same boot names the address-only probes of the text report, so it
    /// gives the .dat's finding; without either, the wake is invisible and the honest answer is a stall at low
    /// confidence that names the unidentified probes.
    func testKallsymsNamesAddressOnlyProbesOfATextReport() throws {
        let dat = try analyze("traces/lost-wakeup/tc-buggy-wq-6.1.dat")
        var reader = try TraceReaders.open(path: Repo.fixture("traces/lost-wakeup/tc-buggy-wq-6.1.report").path)
        var options = AnalysisOptions()
        let kallsyms = try String(contentsOf: Repo.fixture("traces/lost-wakeup/tc-buggy-wq-6.1.kallsyms"), encoding: .utf8)
        options.kernelSymbols = try KernelSymbolTable(parsing: kallsyms)
        let text = try Analyzer(options: options).analyze(&reader, name: "report")
        let a = try XCTUnwrap(dat.findings.first), b = try XCTUnwrap(text.findings.first)
        XCTAssertEqual(text.findings.count, 1)
        XCTAssertEqual(b.signature, "lost-wakeup")
        XCTAssertEqual(b.confidence, a.confidence)
        XCTAssertEqual(b.tasks.map(\.pid), a.tasks.map(\.pid))
        XCTAssertEqual(b.objects, a.objects)

        let bare = try analyze("traces/lost-wakeup/tc-buggy-wq-6.1.report")
        XCTAssertFalse(bare.findings.contains { $0.signature == "lost-wakeup" })
        let stall = try XCTUnwrap(bare.findings.first { $0.signature == "stall" })
        XCTAssertEqual(stall.confidence, .low)
        XCTAssertTrue(bare.blindSpots.contains { $0.contains("probes shown by address only") && $0.contains("wakeup") },
                      "\(bare.blindSpots)")
    }
}
