import ArgumentParser
import Signatures

struct Recipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How to capture the trace that proves or clears a signature: tracefs commands and trace-cmd.")

    @Argument(help: "A signature id (see `ksleuth signatures --short`).")
    var signature: String

    @Option(help: "The tracefs mount point.")
    var tracefs: String = "/sys/kernel/tracing"

    func run() throws {
        guard let s = SignatureCatalog.named(signature) else {
            throw ValidationError("unknown signature \(signature); known: "
                                  + SignatureCatalog.all.map(\.info.id).joined(separator: ", "))
        }
        print(RecipeText.render(s.info, tracefs: tracefs))
    }
}

/// The capture recipe as shell commands (x86_64 kprobe argument registers: %di %si %dx %cx %r8 %r9).
enum RecipeText {
    static func render(_ i: SignatureInfo, tracefs t: String) -> String {
        let r = i.recipe
        var o = "# Capture for \(i.id): \(i.title)\n"
        if !r.kernelConfig.isEmpty { o += "# needs: " + r.kernelConfig.joined(separator: ", ") + "\n" }
        o += "# kprobe arguments are x86_64 registers in prototype order: %di %si %dx %cx %r8 %r9 "
            + "(newer kernels also accept $arg1..$argN). Check the prototypes of your kernel.\n"
        for n in r.notes { o += "# " + n + "\n" }
        o += "\nT=\(t)\necho 0 > $T/tracing_on\necho > $T/trace\necho nop > $T/current_tracer\n"
        o += "echo 65536 > $T/buffer_size_kb\n"
        for k in r.kprobes { o += "echo '\(k)' >> $T/kprobe_events\n" }
        for tp in r.tracepoints { o += "echo 1 > $T/events/\(tp)/enable\n" }
        for k in r.kprobes {
            let name = probeEventName(k)
            o += "echo 1 > $T/events/\(name)/enable\n"
        }
        for s in r.stackTriggers {
            let parts = s.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { o += "echo '\(parts[1])' > $T/events/\(parts[0])/trigger\n" }
        }
        o += "echo 1 > $T/tracing_on\n# … reproduce the hang (let the hung-task watchdog fire if it will), then:\n"
        o += "echo 0 > $T/tracing_on\ncat $T/trace > ksleuth-\(i.id).trace\n"
        o += "ksleuth analyze ksleuth-\(i.id).trace\n"
        // trace-cmd: kprobes must exist first (trace-cmd does not define them).
        o += "\n# Equivalent with trace-cmd (define the kprobes above first). trace-cmd prints kprobes by address;"
            + " ksleuth recognises the probe names above, or give --probe-map for your own:\n"
        var cmd = "trace-cmd record -b 65536"
        for tp in r.tracepoints { cmd += " -e \(tp)" }
        for k in r.kprobes { cmd += " -e \(probeEventName(k))" }
        if !r.stackTriggers.isEmpty { cmd += " -T" }
        o += cmd + "\ntrace-cmd report -N > ksleuth-\(i.id).trace\n"
        if !r.stackTriggers.isEmpty {
            o += "# (-T records a stack with every event; the tracefs trigger above is narrower: "
                + r.stackTriggers.joined(separator: "; ") + ")\n"
        }
        return o
    }

    /// `p:ksleuth/wake __wake_up …` → `ksleuth/wake`.
    static func probeEventName(_ def: String) -> String {
        let first = def.split(separator: " ").first ?? ""
        let afterColon = first.split(separator: ":", maxSplits: 1).last ?? ""
        return String(afterColon)
    }
}
