/// Formatting of nanosecond timestamps the way ftrace prints them.
public enum TimestampFormat {
    /// `1212.465074` (microseconds, as tracefs prints).
    public static func seconds(_ ns: Int64, digits: Int = 6) -> String {
        guard ns != Event.unknownTimestamp else { return "?" }
        let neg = ns < 0
        let v = neg ? -ns : ns
        let sec = v / 1_000_000_000
        var frac = v % 1_000_000_000
        var div: Int64 = 1
        for _ in 0..<(9 - digits) { div *= 10 }
        frac /= div
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (neg ? "-" : "") + "\(sec)" + (digits > 0 ? "." + f : "")
    }

    /// A duration for people: `812 ns`, `3.2 µs`, `41.7 ms`, `123.4 s`.
    public static func duration(_ ns: Int64) -> String {
        let d = Double(ns)
        switch abs(ns) {
        case ..<1_000: return "\(ns) ns"
        case ..<1_000_000: return String(format1: d / 1e3) + " µs"
        case ..<1_000_000_000: return String(format1: d / 1e6) + " ms"
        default: return String(format1: d / 1e9) + " s"
        }
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 v: Double) {
        let scaled = (v * 10).rounded()
        let whole = Int64(scaled) / 10
        let tenth = abs(Int64(scaled) % 10)
        self = "\(whole).\(tenth)"
    }
}
