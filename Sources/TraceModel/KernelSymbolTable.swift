/// Function addresses of one boot: `/proc/kallsyms` (`ADDR TYPE NAME [module]`) or `trace-cmd report -f`
/// (`ADDR NAME [module]`). `trace-cmd report` prints kprobe events by address, `(ffffffffa84f82b0)`; with the
/// kallsyms of the same boot that address names the probed function, so such a trace is mapped like one that
/// shows `(__wake_up+0x0/0x10)`.
public struct KernelSymbolTable: Sendable {
    private var starts: [UInt64] = []
    /// nil for a data symbol: kept only as the end of the text before it.
    private var names: [String?] = []

    /// Text symbols (functions) known.
    public var count: Int { names.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { line > 0 ? "line \(line): \(message)" : message }
    }

    /// When the type column is there, only text symbols are named (data cannot be probed), but data symbols still
    /// end the function before them; `#` lines are comments.
    public init(parsing text: String) throws {
        var pairs: [(UInt64, String?)] = []
        var zero = 0
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty || words[0].hasPrefix("#") { continue }
            guard words.count >= 2, let addr = UInt64(words[0], radix: 16) else {
                throw ParseError(line: n + 1, message: "expected `ADDRESS [TYPE] NAME`, got `\(raw.prefix(80))`")
            }
            var name: String? = String(words[1])
            if words.count >= 3, words[1].count == 1, !words[2].hasPrefix("[") {
                name = "tTwW".contains(words[1]) ? String(words[2]) : nil
            }
            if addr == 0 { zero += 1; continue }
            pairs.append((addr, name))
        }
        if !pairs.contains(where: { $0.1 != nil }) {
            throw ParseError(line: 0, message: zero > 0
                ? "every address is 0 (kallsyms read without privilege: read it as root, or lower kernel.kptr_restrict)"
                : "no symbols")
        }
        // Stable: of several names at one address (aliases), the first listed wins; a text name over a data one.
        pairs = pairs.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        for (a, s) in pairs {
            if starts.last == a {
                if names[names.count - 1] == nil { names[names.count - 1] = s }
                continue
            }
            starts.append(a)
            names.append(s)
        }
    }

    /// The function whose code holds `address`: the last symbol starting at or below it, provided it is text and
    /// the next symbol starts above the address. Past the last symbol nothing is claimed (nothing bounds it).
    public func function(containing address: UInt64) -> String? {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, lo < starts.count else { return nil }
        return names[lo - 1]
    }
}
