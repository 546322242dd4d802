import ArgumentParser
import Backtraces
import Foundation
import KnownBugs

/// `ksleuth match FILE|-`: find kernel crash reports in a log and say which known bug each one is.
/// Exit status: 0 reports found, 1 no report found, 2 unusable input or database.
struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find crash reports (oops, BUG, WARNING, KASAN, lockdep, hung task, crash bt) and match known bugs.",
        discussion: "Exit status: 0 when reports were found, 1 when none were, 2 when the input or a database is unusable."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, mail
    }

    @Argument(help: "A log, console capture, mail or crash bt output; - reads standard input.")
    var file: String

    @Flag(help: "Print JSON (schema ksleuth.match/1, see docs/match.md). Same as --format json.")
    var json = false

    @Option(help: "Output: text, json, or mail (plain text for a mailing-list reply).")
    var format: Format = .text

    @Option(name: .customLong("db"), help: "An extra known-bug database (YAML); repeatable. Same id replaces.")
    var databases: [String] = []

    @Option(help: "Score a candidate needs to be reported as the known bug (0...1).")
    var threshold: Double?

    static let maxInputBytes = 1 << 30

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) {
            throw ValidationError("--threshold must be between 0 and 1, got \(threshold)")
        }
    }

    /// The database, loaded on another core while the input is read and parsed.
    private final class DatabaseLoad: @unchecked Sendable {
        let done = DispatchGroup()
        var result: Result<KnownBugDatabase, Error>?
        init(extra: [String]) {
            done.enter()
            DispatchQueue.global().async {
                self.result = Result {
                    var db = try KnownBugDatabase.bundled()
                    for path in extra { try db.merge(file: path) }
                    return db
                }
                self.done.leave()
            }
        }
        func wait() -> Result<KnownBugDatabase, Error> { done.wait(); return result! }
    }

    func run() throws {
        let dbLoad = DatabaseLoad(extra: databases)
        let name = file == "-" ? "standard input" : file
        var fd: Int32 = 0
        if file != "-" {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else { fail("\(file): no such file") }
            guard !isDir.boolValue else { fail("\(file): is a directory") }
            fd = open(file, O_RDONLY)
            guard fd >= 0 else { fail("\(file): cannot open for reading: \(String(cString: strerror(errno)))") }
        }
        defer { if file != "-" { close(fd) } }
        // One byte more than the limit tells a long input from one that fits. Reading can fail even on standard
        // input (a directory redirected into it): that is a one-line error, never a crash.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while bytes.count <= Self.maxInputBytes {
            let want = min(chunk.count, Self.maxInputBytes + 1 - bytes.count)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                fail("\(name) (byte \(bytes.count)): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        if bytes.count > Self.maxInputBytes {
            bytes.removeLast(bytes.count - Self.maxInputBytes)
            printError("ksleuth: \(name): only the first \(Self.maxInputBytes >> 20) MiB are read; split the input to match the rest")
        }
        let extraction: Extraction
        do {
            extraction = try ReportExtractor().extract(bytes: bytes)
        } catch {
            fail("\(file == "-" ? "standard input" : file): \(error)")
        }
        let db: KnownBugDatabase
        switch dbLoad.wait() {
        case let .success(d): db = d
        case let .failure(error): fail("known-bug database: \(error)")
        }
        var matcher = Matcher(database: db)
        if let threshold { matcher.threshold = threshold }
        let text = extraction.reports.isEmpty ? String(decoding: bytes, as: UTF8.self) : nil
        let analysis = MatchAnalysis(input: file == "-" ? "<stdin>" : file, extraction: extraction, matcher: matcher,
                                     text: text)
        switch json ? .json : format {
        case .text: print(MatchReportRenderer.text(analysis), terminator: "")
        case .json: print(MatchReportRenderer.json(analysis), terminator: "")
        case .mail: print(MatchReportRenderer.mail(analysis), terminator: "")
        }
        if extraction.reports.isEmpty { throw ExitCode(1) }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("ksleuth: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
