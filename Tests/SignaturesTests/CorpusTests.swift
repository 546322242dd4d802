import XCTest
import Signatures

/// The false-positive bar: the real traces of ../shared/corpus are healthy systems, so `analyze` must report no
/// race over any of them (a hang only where a D sleep really passes the threshold).
final class CorpusTests: XCTestCase {
    func testHealthyCorpusTracesYieldNoRaceFinding() throws {
        let root = path("../shared/corpus/traces/ftrace")
        guard let dir = opendir(root) else { throw XCTSkip("no corpus at ../shared/corpus (checked \(root))") }
        closedir(dir)
        var files: [String] = []
        func walk(_ d: String) {
            guard let h = opendir(d) else { return }
            defer { closedir(h) }
            while let e = readdir(h) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let full = d + "/" + name
                var st = stat()
                guard stat(full, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR { walk(full); continue }
                // Containers the text reader does not open: binary .dat, archives, metadata (systrace HTML it reads).
                let skipped = [".source", ".dat", ".gz", ".yml", ".json", ".zip"]
                if skipped.contains(where: { name.hasSuffix($0) }) { continue }
                files.append(full)
            }
        }
        walk(root)
        XCTAssertFalse(files.isEmpty)
        var analyzed = 0
        for f in files.sorted() {
            var reader: FtraceTextReaderType
            do { reader = try FtraceTextReaderType(path: f) } catch { continue }
            guard let r = try? Analyzer().analyze(&reader, name: f) else { continue }
            analyzed += 1
            XCTAssertFalse(r.hasRaceFinding, "\(f): \(r.findings.map { "\($0.signature): \($0.verdict)" })")
            for h in r.findings where h.signature == "hung-task" {
                XCTAssertTrue(h.verdict.contains("watchdog") || h.verdict.contains("≥ hung threshold")
                              || h.verdict.contains("blocked in D"), h.verdict)
            }
        }
        XCTAssertGreaterThan(analyzed, 10, "analyzed \(analyzed) of \(files.count) corpus files")
    }
}

import FtraceText
typealias FtraceTextReaderType = FtraceTextReader

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
