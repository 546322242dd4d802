import ArgumentParser
import KSleuth
import Signatures
import Timelines
import TraceModel

struct Objects: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The objects a trace shows (tasks, waitqueues, wait keys, cookies, dentries, locks, …) with counts.")

    @Argument(help: "An ftrace text trace (`-` for stdin).")
    var trace: String

    @Option(help: "Only this kind (task, waitqueue, waitkey, cookie, object, netfs, dentry, lock, xlog).")
    var kind: String?

    @Option(help: "List at most this many objects per kind (the busiest).")
    var top: Int = 20

    @Option(name: .customLong("probe-map"), help: "File mapping your own probe names (see `analyze --help`).")
    var probeMap: String?

    @Option(name: .customLong("kallsyms"),
            help: "The traced boot's /proc/kallsyms (or `trace-cmd report -f`): names kprobes shown by address.")
    var kallsyms: String?

    func run() throws {
        let only: ObjectKind?
        if let k = kind {
            guard let parsed = ObjectKind(rawValue: k) else { throw ValidationError("unknown kind \(k)") }
            only = parsed
        } else { only = nil }
        var aliases: [ProbeAlias] = []
        if let p = probeMap { aliases = try loadProbeMap(p) }
        // Any format, by content: ftrace text, trace-cmd .dat, CTF.
        var reader: any TraceSource
        do { reader = try TraceReaders.open(path: trace) } catch {
            printError("ksleuth objects: \(error)")
            throw ExitCode(2)
        }
        struct Count { var n = 0; var first: Int64 = 0; var last: Int64 = 0; var verbs: [ActionVerb: Int] = [:] }
        var counts: [ObjectRef: Count] = [:]
        var mapper = SemanticMapper(aliases: aliases)
        mapper.fallbackAliases = SignatureCatalog.recipeProbes
        if let k = kallsyms { mapper.kernelSymbols = try loadKernelSymbols(k) }
        var stream = ActionStream(mapper: mapper)
        do {
            try stream.run(&reader) { a, _ in
                guard a.verb != .call, only == nil || a.object.kind == only else { return }
                var c = counts[a.object] ?? Count(first: a.timestamp)
                c.n += 1
                c.last = a.timestamp
                c.verbs[a.verb, default: 0] += 1
                counts[a.object] = c
            }
        } catch {
            printError("ksleuth objects: \(error)")
            throw ExitCode(2)
        }
        let byKind = Dictionary(grouping: counts, by: { $0.key.kind })
        for k in byKind.keys.sorted() {
            let objs = byKind[k]!
            print("\(k.rawValue): \(objs.count) object(s), \(objs.reduce(0) { $0 + $1.value.n }) action(s)")
            for (o, c) in objs.sorted(by: { $0.value.n != $1.value.n ? $0.value.n > $1.value.n : $0.key < $1.key }).prefix(top) {
                let verbs = c.verbs.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
                print("  \(o)  \(c.n)  \(TimestampFormat.seconds(c.first))–\(TimestampFormat.seconds(c.last))  \(verbs)")
            }
            if objs.count > top { print("  … \(objs.count - top) more") }
        }
        if counts.isEmpty { print("no objects: the trace has none of the events in `ksleuth signatures --table`") }
    }
}
