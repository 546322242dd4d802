import XCTest
@testable import TestSupport
import KSleuth
import Signatures

/// The false-positive bar over the corpus's binary traces: healthy systems recorded by trace-cmd and LTTng give no
/// race finding through the same analysis as text (the text traces are covered in SignaturesTests).
final class BinaryCorpusFalsePositiveTests: XCTestCase {
    func binaryTraces() throws -> [String] {
        let root = try Repo.corpus("traces")
        var out: [String] = []
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let u as URL in e {
            if u.pathExtension == "dat" { out.append(u.path) }
            // A CTF trace is the directory holding `metadata`.
            if u.lastPathComponent == "metadata" { out.append(u.deletingLastPathComponent().path) }
        }
        return Array(Set(out)).sorted()
    }

    func testNoRaceFindingInAnyHealthyBinaryTrace() throws {
        var read = 0
        for path in try binaryTraces() where !path.hasSuffix("fail-invalid-packet-size") {
            var reader = try TraceReaders.open(path: path)
            let r = try Analyzer(options: AnalysisOptions()).analyze(&reader, name: path)
            XCTAssertEqual(r.findings.map(\.signature), [], path)
            XCTAssertGreaterThan(r.events, 0, path)
            read += 1
        }
        print("binary corpus: \(read) traces analyzed, no finding")
        XCTAssertGreaterThanOrEqual(read, 15)
    }
}
