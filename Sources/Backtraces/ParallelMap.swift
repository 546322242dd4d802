import Foundation

/// Order-preserving parallel map over the machine's cores (the results come back in input order, so the output
/// is byte-identical to a sequential map). Falls back to a plain loop for short inputs or a single core.
public enum Parallel {
    /// Cores used; `KSLEUTH_THREADS=1` forces the sequential path (for measurement).
    public static let cores: Int = {
        if let s = ProcessInfo.processInfo.environment["KSLEUTH_THREADS"], let n = Int(s), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    public static func map<T: Sendable, R: Sendable>(_ items: [T], minimum: Int = 16, maxChunk: Int = 8,
                                                     _ transform: @Sendable (T) -> R) -> [R] {
        let n = items.count
        if cores < 2 || n < minimum { return items.map(transform) }
        // Small interleaved chunks: reports differ a lot in size, so a static halving would leave a core idle.
        let chunk = max(1, min(maxChunk, n / (cores * 8)))
        let chunks = (n + chunk - 1) / chunk
        let out = UnsafeMutableBufferPointer<R?>.allocate(capacity: n)
        out.initialize(repeating: nil)
        defer { out.deallocate() }
        let box = UnsafeSendable(out)
        items.withUnsafeBufferPointer { src in
            let srcBox = UnsafeSendable(src)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * chunk, hi = min(n, lo + chunk)
                for i in lo..<hi { box.value[i] = transform(srcBox.value[i]) }
            }
        }
        let result = out.map { $0! }
        _ = out.deinitialize()
        return result
    }

    /// Runs `a` and `b` at the same time (when there is more than one core) and returns both results.
    public static func both<A: Sendable, B: Sendable>(_ a: @Sendable () -> A, _ b: @Sendable () -> B) -> (A, B) {
        if cores < 2 { return (a(), b()) }
        nonisolated(unsafe) var ra: A?
        nonisolated(unsafe) var rb: B?
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            if i == 0 { ra = a() } else { rb = b() }
        }
        return (ra!, rb!)
    }
}

struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
