import TraceModel
import Timelines
import Signatures

/// Output formats of reports.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, markdown
}

/// Renders analysis results. Returns strings; never prints.
public enum HangReport {
    static func ts(_ t: Int64?) -> String { t.map { TimestampFormat.seconds($0) } ?? "?" }

    public static func render(_ results: [AnalysisResult], format: ReportFormat) -> String {
        switch format {
        case .text: return results.map(text).joined(separator: "\n")
        case .markdown: return results.map(markdown).joined(separator: "\n")
        case .json: return json(results)
        }
    }

    // MARK: text

    public static func text(_ r: AnalysisResult) -> String {
        var o = "== \(r.source): \(r.events) events, \(ts(r.firstTimestamp))–\(ts(r.lastTimestamp)) s"
        if r.gaps > 0 { o += ", \(r.gaps) lost-event gap(s)" }
        o += "\n"
        if r.findings.isEmpty {
            o += "No findings: no hang or race signature matched.\n"
        } else {
            o += "\(r.findings.count) finding(s)\n"
        }
        for (i, f) in r.findings.enumerated() {
            o += "\n[\(i + 1)] \(f.signature): \(f.title)  (confidence: \(f.confidence.rawValue))\n"
            o += wrap(f.verdict, indent: "    ") + "\n"
            if !f.tasks.isEmpty {
                o += "    tasks:   " + f.tasks.map { "\($0.comm)-\($0.pid) (\($0.role)\($0.state.map { ", " + $0 } ?? ""))" }
                    .joined(separator: ", ") + "\n"
            }
            if !f.objects.isEmpty { o += "    objects: " + f.objects.joined(separator: ", ") + "\n" }
            if let s = f.since { o += "    since:   \(ts(s)) s\n" }
            if let l = f.lastTouch {
                o += "    last touched by \(l.comm)-\(l.pid) at \(ts(l.timestamp)) (line \(l.lineNumber)): \(l.what)\n"
            }
            o += "    confidence \(f.confidence.rawValue): " + f.confidenceReasons.joined(separator: "; ") + "\n"
            if !f.wouldRaise.isEmpty { o += "      would raise it: " + f.wouldRaise.joined(separator: "; ") + "\n" }
            if !f.wouldLower.isEmpty { o += "      would lower it: " + f.wouldLower.joined(separator: "; ") + "\n" }
            if !f.gaps.isEmpty { o += "      lost events: " + f.gaps.joined(separator: "; ") + "\n" }
            o += "    evidence:\n"
            for e in f.evidence {
                o += "      line \(e.lineNumber)  \(ts(e.timestamp))  \(e.comm)-\(e.pid)  \(e.text)\n"
                if !e.note.isEmpty { o += "          ↳ \(e.note)\n" }
            }
            if !f.timeline.isEmpty {
                o += "    timeline of \(f.objects.first ?? "object")"
                    + (f.timelineTrimmed > 0 ? " (\(f.timelineTrimmed) older action(s) not shown)" : "") + ":\n"
                for t in f.timeline {
                    o += "      \(ts(t.timestamp))  \(t.comm)-\(t.pid)  \(t.action)  (line \(t.lineNumber))\n"
                }
            }
            if !f.kernelStack.isEmpty {
                o += "    kernel stack of the blocked task:\n"
                for fr in f.kernelStack.prefix(16) { o += "      \(fr)\n" }
            }
            for k in f.knownBugs {
                o += "    known bug: \(k.citation)  (score \(score(k.score)))\n"
                for w in k.why { o += "      why: \(w)\n" }
            }
            if !f.upstreamFixes.isEmpty { o += "    modelled on: " + f.upstreamFixes.joined(separator: "; ") + "\n" }
        }
        if !r.blindSpots.isEmpty {
            o += "\nnot visible in this trace: " + r.blindSpots.joined(separator: "; ") + "\n"
        }
        return o
    }

    static func wrap(_ s: String, indent: String, width: Int = 110) -> String {
        var lines: [String] = []
        var cur = indent
        for w in s.split(separator: " ") {
            if cur.count + w.count + 1 > width && cur.count > indent.count {
                lines.append(cur)
                cur = indent
            }
            cur += (cur.count > indent.count ? " " : "") + w
        }
        lines.append(cur)
        return lines.joined(separator: "\n")
    }

    // MARK: markdown

    public static func markdown(_ r: AnalysisResult) -> String {
        var o = "## `\(r.source)`\n\n\(r.events) events, \(ts(r.firstTimestamp))–\(ts(r.lastTimestamp)) s"
        o += r.gaps > 0 ? ", \(r.gaps) lost-event gap(s).\n\n" : ".\n\n"
        if r.findings.isEmpty { o += "No findings.\n" }
        for (i, f) in r.findings.enumerated() {
            o += "### \(i + 1). `\(f.signature)`: \(f.title) — confidence **\(f.confidence.rawValue)**\n\n\(f.verdict)\n\n"
            o += "| | |\n|---|---|\n"
            o += "| tasks | " + f.tasks.map { "\($0.comm)-\($0.pid) (\($0.role))" }.joined(separator: ", ") + " |\n"
            o += "| objects | " + f.objects.map { "`\($0)`" }.joined(separator: ", ") + " |\n"
            if let s = f.since { o += "| since | \(ts(s)) s |\n" }
            if let l = f.lastTouch { o += "| last touched | \(l.comm)-\(l.pid) at \(ts(l.timestamp)), line \(l.lineNumber): \(l.what) |\n" }
            o += "| confidence | " + f.confidenceReasons.joined(separator: "; ") + " |\n"
            if !f.gaps.isEmpty { o += "| lost events | " + f.gaps.joined(separator: "; ") + " |\n" }
            o += "\nEvidence:\n\n```\n"
            for e in f.evidence { o += "\(e.lineNumber): \(ts(e.timestamp)) \(e.comm)-\(e.pid) \(e.text)\n    # \(e.note)\n" }
            o += "```\n"
            if !f.timeline.isEmpty {
                o += "\nTimeline of `\(f.objects.first ?? "")`:\n\n```\n"
                for t in f.timeline { o += "\(ts(t.timestamp)) \(t.comm)-\(t.pid) \(t.action) (line \(t.lineNumber))\n" }
                o += "```\n"
            }
            if !f.kernelStack.isEmpty { o += "\nKernel stack:\n\n```\n" + f.kernelStack.joined(separator: "\n") + "\n```\n" }
            for k in f.knownBugs {
                o += "\nKnown bug: \(k.citation) (score \(score(k.score))): " + k.why.joined(separator: "; ") + "\n"
            }
            o += "\n"
        }
        return o
    }

    /// Two decimals, the way match prints scores.
    static func score(_ v: Double) -> String {
        let c = Int((v * 100).rounded())
        return "\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)"
    }

    // MARK: JSON (schema "ksleuth.analyze/1", documented in docs/analyze-json.md)

    public static func json(_ results: [AnalysisResult]) -> String {
        let j = JSONWriter()
        j.object {
            j.field("schema", "ksleuth.analyze/1")
            j.arrayField("inputs") {
                for r in results {
                    j.object {
                        j.field("source", r.source)
                        j.field("format", r.format)
                        j.field("events", r.events)
                        j.field("first_timestamp_ns", r.firstTimestamp)
                        j.field("last_timestamp_ns", r.lastTimestamp)
                        j.field("lost_event_gaps", r.gaps)
                        j.arrayField("blind_spots") { for b in r.blindSpots { j.value(b) } }
                        j.arrayField("findings") { for f in r.findings { finding(j, f) } }
                    }
                }
            }
        }
        return j.out + "\n"
    }

    static func finding(_ j: JSONWriter, _ f: Finding) {
        j.object {
            j.field("signature", f.signature)
            j.field("title", f.title)
            j.field("verdict", f.verdict)
            j.field("confidence", f.confidence.rawValue)
            j.arrayField("confidence_reasons") { for s in f.confidenceReasons { j.value(s) } }
            j.arrayField("would_raise") { for s in f.wouldRaise { j.value(s) } }
            j.arrayField("would_lower") { for s in f.wouldLower { j.value(s) } }
            j.arrayField("tasks") {
                for t in f.tasks {
                    j.object {
                        j.field("pid", Int64(t.pid))
                        j.field("comm", t.comm)
                        j.field("role", t.role)
                        if let s = t.state { j.field("state", s) } else { j.nullField("state") }
                    }
                }
            }
            j.arrayField("objects") { for o in f.objects { j.value(o) } }
            if let s = f.since { j.field("since_ns", s) } else { j.nullField("since_ns") }
            if let l = f.lastTouch {
                j.objectField("last_touch") {
                    j.field("pid", Int64(l.pid))
                    j.field("comm", l.comm)
                    j.field("timestamp_ns", l.timestamp)
                    j.field("line", Int64(l.lineNumber))
                    j.field("what", l.what)
                }
            } else { j.nullField("last_touch") }
            j.arrayField("evidence") {
                for e in f.evidence {
                    j.object {
                        j.field("line", Int64(e.lineNumber))
                        j.field("timestamp_ns", e.timestamp)
                        j.field("pid", Int64(e.pid))
                        j.field("comm", e.comm)
                        j.field("text", e.text)
                        j.field("note", e.note)
                    }
                }
            }
            j.arrayField("timeline") {
                for t in f.timeline {
                    j.object {
                        j.field("timestamp_ns", t.timestamp)
                        j.field("line", Int64(t.lineNumber))
                        j.field("pid", Int64(t.pid))
                        j.field("comm", t.comm)
                        j.field("action", t.action)
                    }
                }
            }
            j.field("timeline_trimmed", Int64(f.timelineTrimmed))
            j.arrayField("kernel_stack") { for s in f.kernelStack { j.value(s) } }
            j.arrayField("upstream_fixes") { for s in f.upstreamFixes { j.value(s) } }
            j.arrayField("known_bugs") {
                for k in f.knownBugs {
                    j.object {
                        j.field("citation", k.citation)
                        j.key("score"); j.out += score(k.score)
                        j.arrayField("why") { for w in k.why { j.value(w) } }
                    }
                }
            }
            j.arrayField("lost_events") { for s in f.gaps { j.value(s) } }
        }
    }
}

/// A minimal streaming JSON writer (no Foundation): stable key order, escaped strings.
final class JSONWriter {
    var out = ""
    var needComma = [false]

    func comma() {
        if needComma[needComma.count - 1] { out += "," }
        needComma[needComma.count - 1] = true
    }
    func key(_ k: String) { comma(); out += JSONWriter.quote(k) + ":" ; needComma[needComma.count - 1] = true }
    func object(_ body: () -> Void) {
        comma(); out += "{"; needComma.append(false); body(); needComma.removeLast(); out += "}"
    }
    func objectField(_ k: String, _ body: () -> Void) {
        key(k); out += "{"; needComma.append(false); body(); needComma.removeLast(); out += "}"
    }
    func arrayField(_ k: String, _ body: () -> Void) {
        key(k); out += "["; needComma.append(false); body(); needComma.removeLast(); out += "]"
    }
    func field(_ k: String, _ v: String) { key(k); out += JSONWriter.quote(v) }
    func field(_ k: String, _ v: Int64) { key(k); out += v == Event.unknownTimestamp ? "null" : String(v) }
    func field(_ k: String, _ v: Int) { field(k, Int64(v)) }
    func nullField(_ k: String) { key(k); out += "null" }
    func value(_ v: String) { comma(); out += JSONWriter.quote(v) }

    static func quote(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    o += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }
}
