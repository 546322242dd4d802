import ArgumentParser
import KSleuth
import Signatures
import Timelines
import TraceModel

struct Timeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ordered actions on one object (or by one task), with timestamps, tasks and source lines.",
        discussion: """
            Objects are named KIND:ID as `ksleuth objects` prints them: task:137, waitqueue:0xff27…, \
            waitkey:0xffff…#0, cookie:00000003, object:…, netfs:00000012, dentry:0xff40…, lock:0xffff…, xlog:253:0.
            """)

    @Argument(help: "An ftrace text trace (`-` for stdin).")
    var trace: String

    @Option(help: "The object, KIND:ID.")
    var object: String?

    @Option(help: "A task: everything done to it and by it.")
    var task: Int32?

    @Option(help: "Show at most this many actions (the last ones).")
    var limit: Int = 200

    @Option(name: .customLong("probe-map"), help: "File mapping your own probe names (see `analyze --help`).")
    var probeMap: String?

    @Option(name: .customLong("kallsyms"),
            help: "The traced boot's /proc/kallsyms (or `trace-cmd report -f`): names kprobes shown by address.")
    var kallsyms: String?

    func run() throws {
        // A lock may also be named by its class, as lock-inversion findings print it: lock:&mm->mmap_lock#2.
        var lockClass: String?
        if let o = object, o.hasPrefix("lock:"), ObjectRef.parse(o) == nil { lockClass = String(o.dropFirst(5)) }
        guard let target = object.flatMap(ObjectRef.parse) ?? task.map(ObjectRef.task)
                ?? (lockClass != nil ? ObjectRef(.lock, 0) : nil) else {
            throw ValidationError(object == nil ? "give --object KIND:ID or --task PID"
                                                : "cannot parse object \(object!); expected KIND:ID")
        }
        var aliases: [ProbeAlias] = []
        if let p = probeMap { aliases = try loadProbeMap(p) }
        // Any format, by content: ftrace text, trace-cmd .dat, CTF.
        var reader: any TraceSource
        do { reader = try TraceReaders.open(path: trace) } catch {
            printError("ksleuth timeline: \(error)")
            throw ExitCode(2)
        }
        var mapper = SemanticMapper(aliases: aliases)
        mapper.fallbackAliases = SignatureCatalog.recipeProbes
        if let k = kallsyms { mapper.kernelSymbols = try loadKernelSymbols(k) }
        var stream = ActionStream(mapper: mapper)
        var lines: [String] = []
        var total = 0
        let byTask = target.kind == .task
        do {
            try stream.run(&reader) { a, batch in
                if let c = lockClass {
                    guard a.object.kind == .lock, a.detail == c || a.detail.hasSuffix(" " + c) else { return }
                } else {
                    guard a.object == target || a.other == target || (byTask && a.pid == target.pid) else { return }
                }
                total += 1
                let e = batch.events[a.eventIndex]
                let line = "\(TimestampFormat.seconds(a.timestamp))  line \(a.lineNumber)  cpu \(a.cpu)  \(a.comm)-\(a.pid)  "
                    + "\(a.summary)\n        \(batch.name(e)): \(batch.payloadText(e))"
                lines.append(line)
                if lines.count > limit { lines.removeFirst(lines.count - limit) }
            }
        } catch {
            printError("ksleuth timeline: \(error)")
            throw ExitCode(2)
        }
        print("\(object ?? target.description): \(total) action(s)" + (total > lines.count ? ", last \(lines.count) shown" : ""))
        for l in lines { print(l) }
    }
}
