import ArgumentParser
import Signatures
import Timelines

struct SignaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatures",
        abstract: "The race and hang signatures ksleuth knows, with what they mean and what they need.")

    @Flag(help: "Also print the semantic table: which events map to which actions on which objects.")
    var table = false

    @Flag(help: "Only the ids.")
    var short = false

    func run() {
        for s in SignatureCatalog.all {
            let i = s.info
            if short { print(i.id); continue }
            print("\(i.id) — \(i.title)")
            print(wrapText(i.explanation, indent: "    "))
            if !i.seeds.isEmpty { print("    seeds: " + i.seeds.joined(separator: ", ")) }
            if !i.upstreamFixes.isEmpty { print("    modelled on: " + i.upstreamFixes.joined(separator: "; ")) }
            print("    needs: " + i.requiredEvents.joined(separator: "; "))
            print("    does not fire on: " + i.lookAlikes.joined(separator: "; "))
            print("    capture: ksleuth recipe \(i.id)")
            print("")
        }
        if table {
            print("Semantic table (event → action on object):")
            for r in SemanticTable.rules {
                let m: String
                switch r.match {
                case .tracepoint(let n): m = n
                case .tracepointPrefix(let p): m = p + "*"
                case .probe(let s): m = "probe " + s
                case .probePrefix(let p): m = "probe " + p + "*"
                case .probeReturn(let s): m = "retprobe " + s
                }
                print("  \(m + String(repeating: " ", count: max(1, 36 - m.count))) \(r.verb.rawValue) \(r.object.rawValue)  [\(r.era)]")
            }
        }
    }
}

func wrapText(_ s: String, indent: String, width: Int = 110) -> String {
    var lines: [String] = []
    var cur = indent
    for w in s.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
        if cur.count + w.count + 1 > width && cur.count > indent.count { lines.append(cur); cur = indent }
        cur += (cur.count > indent.count ? " " : "") + w
    }
    lines.append(cur)
    return lines.joined(separator: "\n")
}
