import Foundation

/// Function-name normalisation for matching: the same function prints differently across compilers, configs and
/// architectures.
public enum FrameNormalizer {
    /// Syscall wrapper prefixes, longest first (`__x64_sys_read`, `__do_sys_read`, `ksys_read`, `SyS_read`, `sys_read`
    /// all become `read`).
    public static let syscallPrefixes = ["__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_",
                                         "__s390x_sys_", "__riscv_sys_", "compat_SyS_", "compat_sys_", "__sys_",
                                         "ksys_", "SyS_", "SYSC_", "sys_"]
    /// Compiler clone suffixes: `.isra.0`, `.constprop.3`, `.part.12`, `.cold`, `.cold.7`, `.llvm.123`, `.lto_priv.0`.
    public static let cloneSuffixes = [".isra", ".constprop", ".part", ".cold", ".llvm", ".lto_priv", ".specialized"]

    public static func normalize(_ name: String) -> String {
        // Fast path: nothing to strip unless there is a '.' or a syscall-prefix first letter.
        if let f = name.utf8.first, f != 0x5F, f != 0x6B, f != 0x53, f != 0x73, f != 0x63, f != 0x2E,
           !name.utf8.contains(0x2E) {
            return name
        }
        if let n = normalizeASCII(name) { return n }
        var s = Substring(name)
        if s.hasPrefix(".") { s = s.dropFirst() }  // ppc64 ELFv1 function descriptors
        if let dot = s.firstIndex(of: "."), cloneSuffixes.contains(where: { s[dot...].hasPrefix($0) }) {
            s = s[..<dot]
        }
        for p in syscallPrefixes where s.hasPrefix(p) && s.count > p.count {
            s = s.dropFirst(p.count)
            break
        }
        return String(s)
    }

    private static let syscallPrefixBytes = syscallPrefixes.map { Array($0.utf8) }
    private static let cloneSuffixBytes = cloneSuffixes.map { Array($0.utf8) }

    /// `normalize` on bytes for an ASCII name (characters are bytes then, so the steps are the same); nil otherwise.
    private static func normalizeASCII(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { u -> String? in
            guard !u.contains(where: { $0 >= 0x80 }) else { return nil }
            var lo = 0, hi = u.count
            if lo < hi && u[lo] == 0x2E { lo += 1 }
            func starts(at i: Int, _ p: [UInt8]) -> Bool {
                guard hi - i >= p.count else { return false }
                for k in 0..<p.count where u[i + k] != p[k] { return false }
                return true
            }
            if let dot = (lo..<hi).first(where: { u[$0] == 0x2E }), cloneSuffixBytes.contains(where: { starts(at: dot, $0) }) {
                hi = dot
            }
            for p in syscallPrefixBytes where starts(at: lo, p) && hi - lo > p.count {
                lo += p.count
                break
            }
            return String(decoding: UnsafeBufferPointer(rebasing: u[lo..<hi]), as: UTF8.self)
        }
    }
}

/// The generic-frame list (`Resources/generic-frames.txt`): frames that identify no bug. Data, not code.
public struct GenericFrames: Sendable {
    public struct Rule: Sendable {
        public var pattern: String
        public var isPrefix: Bool
        public var category: String
    }
    public let rules: [Rule]
    private let exact: [String: String]
    private let prefixes: [(String, String)]
    /// `prefixes` as bytes, bucketed by first byte (list order kept), for ASCII names when every prefix is ASCII:
    /// then a byte prefix test gives exactly `String.hasPrefix`.
    private let prefixBuckets: [[([UInt8], String)]]
    private let prefixesASCII: Bool
    private let memo = Memo()

    final class Memo: @unchecked Sendable {
        let lock = NSLock()
        var values: [String: String?] = [:]
    }

    public init(text: String) {
        var rules: [Rule] = []
        var category = "generic"
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") { category = String(line.dropFirst().dropLast()); continue }
            if line.hasSuffix("*") {
                rules.append(Rule(pattern: String(line.dropLast()), isPrefix: true, category: category))
            } else {
                rules.append(Rule(pattern: line, isPrefix: false, category: category))
            }
        }
        self.rules = rules
        var ex: [String: String] = [:]
        for r in rules where !r.isPrefix { ex[r.pattern] = ex[r.pattern] ?? r.category }
        exact = ex
        prefixes = rules.filter(\.isPrefix).map { ($0.pattern, $0.category) }
        (prefixBuckets, prefixesASCII) = asciiPrefixBuckets(prefixes)
    }

    /// The category that makes `function` (raw or normalised) generic, or nil.
    public func category(of function: String) -> String? {
        memo.lock.lock()
        if let v = memo.values[function] { memo.lock.unlock(); return v }
        memo.lock.unlock()
        let v = computeCategory(function)
        memo.lock.lock()
        if memo.values.count > 100_000 { memo.values.removeAll(keepingCapacity: true) }
        memo.values[function] = .some(v)
        memo.lock.unlock()
        return v
    }

    private func computeCategory(_ function: String) -> String? {
        let n = FrameNormalizer.normalize(function)
        for name in [n, function] {
            if let c = exact[name] { return c }
            if prefixesASCII, let c = asciiFirstPrefix(name, prefixBuckets) {
                if let c { return c }
                continue
            }
            for (p, c) in prefixes where name.hasPrefix(p) { return c }
        }
        return nil
    }

    public func isGeneric(_ function: String) -> Bool { category(of: function) != nil }

    public static let bundled: GenericFrames = {
        guard let url = Bundle.module.url(forResource: "generic-frames", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("Backtraces: resource generic-frames.txt is missing from the bundle")
        }
        return GenericFrames(text: text)
    }()
}

/// Prefix lists bucketed by first byte, order kept (an empty prefix goes into every bucket); false when a prefix is
/// not ASCII (then the caller keeps `String.hasPrefix`).
func asciiPrefixBuckets<T>(_ list: [(String, T)]) -> ([[([UInt8], T)]], Bool) {
    var buckets = Array(repeating: [([UInt8], T)](), count: 128)
    for (p, v) in list {
        let b = Array(p.utf8)
        guard b.allSatisfy({ $0 < 0x80 }) else { return ([], false) }
        if let f = b.first { buckets[Int(f)].append((b, v)) } else { for i in buckets.indices { buckets[i].append((b, v)) } }
    }
    return (buckets, true)
}

/// The value of the first prefix (list order) that `name` starts with: `.some(nil)` when none does, nil when
/// `name` is not ASCII (the byte test would not be `String.hasPrefix`, which compares characters).
func asciiFirstPrefix<T>(_ name: String, _ buckets: [[([UInt8], T)]]) -> T?? {
    var name = name
    return name.withUTF8 { u -> T?? in
        guard !u.contains(where: { $0 >= 0x80 }) else { return nil }
        let bucket = u.isEmpty ? buckets[0].filter { $0.0.isEmpty } : buckets[Int(u[0])]
        for (p, v) in bucket where p.count <= u.count {
            var i = 0
            while i < p.count && u[i] == p[i] { i += 1 }
            if i == p.count { return .some(v) }
        }
        return .some(nil)
    }
}
