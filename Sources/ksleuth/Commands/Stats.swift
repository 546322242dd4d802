import ArgumentParser
import KSleuth
import TraceModel

/// `ksleuth stats TRACE`: what a trace holds — format, kernel-era hints, time span, events by name, top tasks,
/// CPUs, lost-event gaps, stack traces, unparsed lines and the reading speed.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize a trace: format, kernel era, time span, events, tasks, CPUs, gaps, unparsed lines.",
        discussion: "Exit status: 0 when events were read, 2 when the input is unusable (nothing parsable).")

    @Argument(help: "The trace: a file (ftrace text or trace-cmd .dat), a CTF trace directory, or - for standard input.")
    var trace: String

    @Flag(help: "Print JSON (schema ksleuth.stats/1, see the README).")
    var json = false

    @Option(help: "Reader threads for large files (0: one per CPU).")
    var threads = 0

    @Option(help: "How many tasks to list.")
    var top = 10

    func run() throws {
        do {
            let stats = try StatsCollector.collect(path: trace, threads: threads)
            let report = StatsReport(stats, topTasks: top)
            print(json ? report.json() : report.text())
        } catch let e as TraceInputError {
            printError("ksleuth stats: \(e)")
            throw ExitCode(2)
        }
    }
}
