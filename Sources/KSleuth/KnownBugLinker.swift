import Backtraces
import KnownBugs
import Signatures

/// Answers the third question for a hang found in a trace — is it a known bug with an upstream fix? — by giving the
/// blocked task's kernel stack (from the trace's `stacktrace` trigger) to the same matcher `ksleuth match` uses
/// for hung-task reports. Only matches above the matcher's calibrated threshold are attached.
public struct KnownBugLinker: Sendable {
    public let matcher: Matcher

    public init(matcher: Matcher) { self.matcher = matcher }

    /// The bundled database plus the user's `--db` files.
    public init(userDatabases: [String] = []) throws {
        var db = try KnownBugDatabase.bundled()
        for path in userDatabases { try db.merge(file: path) }
        matcher = Matcher(database: db)
    }

    public func link(_ finding: Finding) -> [KnownBugLink] {
        guard !finding.kernelStack.isEmpty else { return [] }
        let waiter = finding.tasks.first
        let report = CrashReport.blockedTask(comm: waiter?.comm, pid: waiter.map { Int($0.pid) },
                                             frames: finding.kernelStack, source: "trace")
        return matcher.match(report).prefix(3).map {
            KnownBugLink(citation: $0.bug.fixCitation, score: $0.score, why: $0.why)
        }
    }

    public func annotate(_ results: inout [AnalysisResult]) {
        for r in results.indices {
            for f in results[r].findings.indices {
                results[r].findings[f].knownBugs = link(results[r].findings[f])
            }
        }
    }
}
