import ArgumentParser
import KSleuth
import Reports
import Signatures
import Timelines
import TraceModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Options shared by the trace-reading subcommands.
struct TraceAnalysisOptions: ParsableArguments {
    @Option(name: .customLong("hung-threshold"), help: "Seconds of D sleep that make a hung task (default 120).")
    var hungThreshold: Double = 120

    @Option(name: .customLong("probe-map"),
            help: "File mapping your own probe names: `probe NAME SYMBOL [ROLE=ARG ...]` per line.")
    var probeMap: String?

    @Option(name: .customLong("kallsyms"),
            help: "The traced boot's /proc/kallsyms (or `trace-cmd report -f`): names kprobes shown by address.")
    var kallsyms: String?

    @Option(name: .customLong("signature"), help: "Run only these signatures (repeatable).")
    var signatures: [String] = []

    func analysisOptions() throws -> AnalysisOptions {
        var o = AnalysisOptions()
        o.hungThreshold = Int64(hungThreshold * 1e9)
        if let p = probeMap {
            o.probeAliases = try loadProbeMap(p)
        }
        if let k = kallsyms { o.kernelSymbols = try loadKernelSymbols(k) }
        if !signatures.isEmpty {
            for s in signatures where SignatureCatalog.named(s) == nil {
                throw ValidationError("unknown signature \(s); see `ksleuth signatures`")
            }
            o.enabled = Set(signatures)
        }
        return o
    }
}

/// An unusable auxiliary input (a probe map, a kallsyms file) is bad input like an unusable trace: one line naming
/// the file, exit status 2 — not a usage error.
func unusableInput(_ message: String) -> ExitCode {
    printError("ksleuth: \(message)")
    return ExitCode(2)
}

func loadKernelSymbols(_ path: String) throws -> KernelSymbolTable {
    guard let text = readWholeFile(path) else { throw unusableInput("\(path): cannot read kallsyms") }
    do { return try KernelSymbolTable(parsing: text) } catch { throw unusableInput("\(path): kallsyms \(error)") }
}

func loadProbeMap(_ path: String) throws -> [ProbeAlias] {
    guard let text = readWholeFile(path) else { throw unusableInput("\(path): cannot read probe map") }
    do { return try ProbeAlias.parseFile(text) } catch { throw unusableInput("\(path): \(error)") }
}

func readWholeFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var data: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        data.append(contentsOf: buf[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}


struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The hang report: who is stuck, on what, since when, who should have woken it, is it a known race.",
        discussion: """
            Runs every race signature (see `ksleuth signatures`) over each trace, streaming. Exit status: 0 no \
            finding, 3 findings, 2 an input could not be read. `--json` prints the stable schema \
            ksleuth.analyze/1 (docs/analyze-json.md).
            """)

    @Argument(help: "Traces: ftrace text (tracefs trace / trace_pipe, trace-cmd report; `-` for stdin), trace-cmd .dat, CTF directories.")
    var traces: [String]

    @Flag(help: "JSON output (schema ksleuth.analyze/1).")
    var json = false

    @Option(help: "Output format: text, json, markdown.")
    var format: ReportFormat = .text

    @OptionGroup var common: TraceAnalysisOptions

    @Option(name: .customLong("db"), help: "Another known-bug database (YAML, see docs/match.md); repeatable.")
    var databases: [String] = []

    func run() throws {
        let options = try common.analysisOptions()
        let linker: KnownBugLinker
        do { linker = try KnownBugLinker(userDatabases: databases) } catch {
            printError("ksleuth analyze: \(error)")
            throw ExitCode(2)
        }
        var results: [AnalysisResult] = []
        var unusable = false
        for path in traces {
            do {
                // Any format, by content: ftrace text, trace-cmd .dat, CTF.
                var reader = try TraceReaders.open(path: path)
                let r = try Analyzer(options: options).analyze(&reader, name: path)
                guard r.events > 0 else {
                    printError("ksleuth analyze: \(path): no ftrace events found")
                    unusable = true
                    continue
                }
                results.append(r)
            } catch {
                printError("ksleuth analyze: \(error)")
                unusable = true
            }
        }
        linker.annotate(&results)
        if !results.isEmpty {
            let out = HangReport.render(results, format: json ? .json : format)
            print(out, terminator: out.hasSuffix("\n") ? "" : "\n")
        }
        if unusable { throw ExitCode(2) }
        if results.contains(where: { !$0.findings.isEmpty }) { throw ExitCode(3) }
    }
}

extension ReportFormat: ExpressibleByArgument {}
