import Foundation
import TraceModel

/// The stable JSON shape of `ksleuth stats --json` (schema "ksleuth.stats/1", documented in the README).
public struct StatsReport: Codable, Sendable {
    public var schema = "ksleuth.stats/1"
    public var input: String
    public var format: String
    public var tracer: String?
    public var cpuCount: Int?
    public var eraHints: EraHints
    public var timeSpan: TimeSpan?
    public var lines: Lines
    public var events: Int
    public var eventsByName: [NameCount]
    public var eventsByKind: [NameCount]
    public var topTasks: [TaskCount]
    public var cpus: [CPUCount]
    /// Events per ring buffer, `(top)` first, then the instances by name; absent when the trace has no instance.
    public var eventsByBuffer: [NameCount]?
    public var lostEventGaps: Gaps
    public var stackTraces: Stacks
    public var unparsed: Unparsed
    public var throughput: Throughput
    /// What the reader had to work around (overlapping CTF packets, discarded packets); empty when nothing.
    public var warnings: [String] = []

    public struct EraHints: Codable, Sendable {
        public var flagColumns: [Int]
        public var flagLayout: String
        public var hasTGIDColumn: Bool
        public var clock: String
        public var timestampDigits: Int?
        public var prevStateForms: [String]
        public var prevStateEncoding: String?
        public var prevStateReason: String?
        public var bufferOverwritten: Bool
        public var entriesInBuffer: Int64?
        public var entriesWritten: Int64?
    }
    public struct TimeSpan: Codable, Sendable {
        public var firstNs: Int64, lastNs: Int64, durationNs: Int64
        public var outOfOrderEvents: Int
    }
    public struct Lines: Codable, Sendable {
        public var total, events, header, stack, continuation, banner, lostMarkers, unparsed: Int
    }
    public struct NameCount: Codable, Sendable { public var name: String; public var count: Int }
    public struct TaskCount: Codable, Sendable { public var pid: Int32; public var comm: String; public var events: Int }
    public struct CPUCount: Codable, Sendable { public var cpu: Int32; public var events: Int }
    public struct Gaps: Codable, Sendable {
        public var count: Int
        public var lostEvents: Int64
        public var gaps: [Gap]
    }
    public struct Gap: Codable, Sendable {
        public var kind: String, cpu: Int32, lostEvents: Int64?, line: Int, afterNs: Int64?
    }
    public struct Stacks: Codable, Sendable { public var kernel: Int; public var user: Int }
    public struct Unparsed: Codable, Sendable {
        public var count: Int
        public var samples: [Sample]
        public struct Sample: Codable, Sendable {
            public var line: Int, byteOffset: Int64, reason: String, text: String
        }
    }
    public struct Throughput: Codable, Sendable {
        public var bytes: Int64, seconds: Double, megabytesPerSecond: Double, eventsPerSecond: Double, threads: Int
    }

    public init(_ s: TraceStatistics, topTasks: Int = 10) {
        input = s.input
        var fmt = s.description.format
        if s.description.tracer == "function_graph" || s.eventsByKind["funcgraph_entry"] != nil { fmt += ", function_graph" }
        format = fmt
        tracer = s.description.tracer
        cpuCount = s.description.cpuCount
        let cols = s.flagColumnsSeen.sorted()
        let inferred = s.prevState.inferred
        let forms = s.prevState.letterForms.sorted() + s.prevState.numericValues.sorted().map { String($0) }
        eraHints = EraHints(
            flagColumns: cols, flagLayout: StatsReport.layout(cols, graph: s.eventsByKind["funcgraph_entry"] != nil || s.eventsByKind["funcgraph_leaf"] != nil,
                                             report: s.description.format == "trace-cmd report",
                                             binary: s.description.format.hasPrefix("trace-cmd .dat") || s.description.format.hasPrefix("CTF")), hasTGIDColumn: s.description.hasTGIDColumn,
            clock: s.description.clock.rawValue, timestampDigits: s.description.timestampDigits,
            prevStateForms: Array(forms.prefix(40)), prevStateEncoding: inferred?.kernels,
            prevStateReason: inferred?.reason, bufferOverwritten: s.description.bufferOverwritten,
            entriesInBuffer: s.description.entriesInBuffer, entriesWritten: s.description.entriesWritten)
        if let f = s.firstTimestamp, let l = s.lastTimestamp {
            timeSpan = TimeSpan(firstNs: f, lastNs: l, durationNs: l - f, outOfOrderEvents: s.outOfOrder)
        }
        let c = s.counts
        lines = Lines(total: c.lines, events: c.eventLines, header: c.headerLines + c.proseLines, stack: c.stackLines,
                      continuation: c.continuationLines, banner: c.bannerLines, lostMarkers: c.lostMarkerLines,
                      unparsed: c.unparsedLines)
        events = s.events
        eventsByName = s.eventsByName.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { NameCount(name: $0.key, count: $0.value) }
        eventsByKind = s.eventsByKind.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { NameCount(name: $0.key, count: $0.value) }
        self.topTasks = s.topTasks.prefix(topTasks).map { TaskCount(pid: $0.pid, comm: $0.tally.comm, events: $0.tally.events) }
        cpus = s.eventsByCPU.sorted { $0.key < $1.key }.map { CPUCount(cpu: $0.key, events: $0.value) }
        if !s.eventsByInstance.isEmpty {
            let instances = s.eventsByInstance.sorted { $0.key < $1.key }
            eventsByBuffer = [NameCount(name: StatsReport.topBufferName, count: s.events - instances.reduce(0) { $0 + $1.value })]
                + instances.map { NameCount(name: $0.key, count: $0.value) }
        }
        lostEventGaps = Gaps(count: s.gapCount, lostEvents: s.lostEvents, gaps: s.gaps.map {
            Gap(kind: $0.kind.rawValue, cpu: $0.cpu, lostEvents: $0.lostEvents, line: $0.lineNumber,
                afterNs: $0.after == Event.unknownTimestamp ? nil : $0.after)
        })
        stackTraces = Stacks(kernel: s.kernelStacks, user: s.userStacks)
        unparsed = Unparsed(count: c.unparsedLines, samples: s.unparsed.map {
            .init(line: $0.lineNumber, byteOffset: $0.byteOffset, reason: $0.reason, text: $0.excerpt)
        })
        let secs = max(s.elapsedSeconds, 1e-9)
        throughput = Throughput(bytes: s.bytes, seconds: s.elapsedSeconds,
                                megabytesPerSecond: Double(s.bytes) / 1e6 / secs,
                                eventsPerSecond: Double(s.events) / secs, threads: s.threads)
        warnings = s.description.warnings
    }

    /// How `eventsByBuffer` names the top-level buffer (an instance name cannot be empty; this one is not a
    /// tracefs instance trace-cmd would create).
    public static let topBufferName = "(top)"

    static func layout(_ cols: [Int], graph: Bool, report: Bool, binary: Bool = false) -> String {
        cols.map { c -> String in
            switch c {
            case 0 where binary: "no latency flags are decoded from binary records (like trace-cmd report without -l)"
            case 0 where graph: "no flag columns on function_graph lines"
            case 0 where report: "no flag columns (trace-cmd report prints them only with -l)"
            case 0: "no flag columns (kernels before latency flags were printed, e.g. 3.2, old Android)"
            case 4: "4 flag columns (kernels before the migrate-disable column, < 5.1x)"
            case 5: "5 flag columns (migrate-disable column: 5.1x kernels and later)"
            default: "\(c) flag columns (PREEMPT_RT lazy-preemption layout)"
            }
        }.joined(separator: "; ")
    }

    public func json() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? enc.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    public func text() -> String {
        var out: [String] = []
        func row(_ k: String, _ v: String) { out.append(k.padding(toLength: 14, withPad: " ", startingAt: 0) + v) }
        row("input", input)
        row("format", format + (tracer.map { " (tracer: \($0))" } ?? "") + (cpuCount.map { ", \($0) CPUs" } ?? ""))
        row("flags", eraHints.flagLayout + (eraHints.hasTGIDColumn ? "; TGID column" : ""))
        var state = eraHints.prevStateForms.isEmpty ? "no sched_switch events"
            : "prev_state " + eraHints.prevStateForms.prefix(12).joined(separator: " ")
        if let enc = eraHints.prevStateEncoding { state += " → \(enc) encoding (\(eraHints.prevStateReason ?? ""))" }
        row("kernel era", state)
        row("clock", eraHints.clock == "counter" ? "raw counter (integer timestamps, unit unknown)"
            : "\(eraHints.timestampDigits ?? 6)-digit sec.frac timestamps")
        if eraHints.bufferOverwritten, let a = eraHints.entriesInBuffer, let b = eraHints.entriesWritten {
            row("ring buffer", "overwritten: \(b) events written, \(a) kept — the trace starts mid-stream")
        }
        if let t = timeSpan {
            row("time span", "\(TimestampFormat.seconds(t.firstNs)) – \(TimestampFormat.seconds(t.lastNs)) "
                + "(\(TimestampFormat.duration(t.durationNs)))"
                + (t.outOfOrderEvents > 0 ? ", \(t.outOfOrderEvents) events out of time order" : ""))
        }
        row("events", "\(events) from \(lines.total) lines (\(lines.header) header, \(lines.stack) stack, "
            + "\(lines.continuation) continuation, \(lines.banner) banner, \(lines.unparsed) unparsed)")
        row("lost events", lostEventGaps.count == 0 ? "none reported"
            : "\(lostEventGaps.count) gap(s), \(lostEventGaps.lostEvents) events lost: "
              + lostEventGaps.gaps.prefix(5).map { "CPU \($0.cpu) at line \($0.line) (\($0.kind)\($0.lostEvents.map { ", \($0)" } ?? ""))" }
                .joined(separator: "; "))
        row("stack traces", "\(stackTraces.kernel) kernel, \(stackTraces.user) user")
        if let b = eventsByBuffer {
            row("buffers", b.map { "\($0.name == StatsReport.topBufferName ? "top" : $0.name) \($0.count)" }
                .joined(separator: ", ") + " (merged by timestamp)")
        }
        for w in warnings.prefix(5) { row("warning", w) }
        if warnings.count > 5 { row("warning", "… \(warnings.count - 5) more") }
        row("throughput", String(format: "%.1f MB/s, %.0f events/s (%.3f s, %d thread%@)",
                                 throughput.megabytesPerSecond, throughput.eventsPerSecond, throughput.seconds,
                                 throughput.threads, throughput.threads == 1 ? "" : "s"))
        out.append("")
        out.append("events by name")
        let width = min(40, eventsByName.prefix(25).map(\.name.count).max() ?? 10)
        for n in eventsByName.prefix(25) {
            out.append("  " + n.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(n.count))
        }
        if eventsByName.count > 25 { out.append("  … \(eventsByName.count - 25) more event names") }
        out.append("")
        out.append("events by kind: " + eventsByKind.map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        out.append("")
        out.append("top tasks")
        for t in topTasks {
            out.append("  " + String(t.pid).leftPad(8) + "  " + t.comm.padding(toLength: 16, withPad: " ", startingAt: 0)
                       + "  " + String(t.events))
        }
        out.append("")
        out.append("cpus: " + cpus.map { "\($0.cpu): \($0.events)" }.joined(separator: ", "))
        out.append("")
        if unparsed.count == 0 {
            out.append("unparsed lines: none")
        } else {
            out.append("unparsed lines: \(unparsed.count) (first at lines "
                       + unparsed.samples.prefix(10).map { String($0.line) }.joined(separator: ", ") + ")")
            for u in unparsed.samples.prefix(5) {
                out.append("  line \(u.line): \(u.reason): \(u.text.prefix(80))")
            }
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
