import TraceModel

/// The kinds of kernel objects a trace lets us follow. Keys (research/race-signatures.md §2): a pointer or debug id
/// for most; the pair (word, bit) for bit waits, whose hashed waitqueue is shared by unrelated words.
public enum ObjectKind: String, Sendable, CaseIterable, Comparable, Codable {
    case task
    case waitqueue
    /// `wait_on_bit` / `wake_up_bit` key: `(word, bit)`.
    case waitKey = "waitkey"
    case cookie
    /// fscache object (`o=`) or cachefiles object.
    case fscacheObject = "object"
    case netfsRequest = "netfs"
    /// A dentry by pointer (kprobe arguments), or by NFS `dev:dir/name` when only nfs tracepoints name it.
    case dentry
    /// A lock instance (lockdep address); its class name travels in the action detail.
    case lock
    /// An XFS log (`dev M:N`): iclog state changes.
    case xlog

    public static func < (a: ObjectKind, b: ObjectKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One object: its kind and key. `sub` is the bit of a wait key, 1 for a dentry named by NFS name hash, else 0.
public struct ObjectRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var id: UInt64
    public var sub: UInt64

    public init(_ kind: ObjectKind, _ id: UInt64, sub: UInt64 = 0) {
        self.kind = kind
        self.id = id
        self.sub = sub
    }

    /// One multiply-mix instead of three hasher rounds: object keys are hashed on every action.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(word)
    }

    /// Id, bit and kind folded into one word.
    @inline(__always) var word: UInt64 {
        (id &* 0x9E37_79B9_7F4A_7C15) ^ (sub << 8) ^ UInt64(withUnsafeBytes(of: kind) { $0[0] })
    }

    /// What `Dictionary` and `Set` call: a finalizer mix of the word and the table's seed, not a `Hasher` (SipHash
    /// seeding, combining and finalizing cost ~130 instructions per lookup, and the observing thread looks objects up
    /// several times per action). Keys are kernel addresses and ids, not attacker-chosen, so a fixed mix is enough.
    public func _rawHashValue(seed: Int) -> Int {
        var x = word ^ UInt64(bitPattern: Int64(seed))
        x = (x ^ (x >> 33)) &* 0xff51_afd7_ed55_8ccd
        x = (x ^ (x >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return Int(bitPattern: UInt(truncatingIfNeeded: x ^ (x >> 33)))
    }

    public static func == (a: ObjectRef, b: ObjectRef) -> Bool {
        a.id == b.id && a.sub == b.sub && a.kind == b.kind
    }

    public static func task(_ pid: Int32) -> ObjectRef { ObjectRef(.task, UInt64(UInt32(bitPattern: pid))) }

    /// The pid of a task object.
    public var pid: Int32 { Int32(truncatingIfNeeded: id) }

    /// `task:137`, `waitqueue:0xff271bc27ff52300`, `waitkey:0xffff8880...#0`, `netfs:00000012`.
    public var description: String {
        switch kind {
        case .task: return "task:\(pid)"
        case .waitKey: return "waitkey:0x\(String(id, radix: 16))#\(sub)"
        case .netfsRequest: return "netfs:" + Self.pad8(id)
        case .cookie, .fscacheObject: return "\(kind.rawValue):" + (id <= 0xffff_ffff ? Self.pad8(id) : "0x" + String(id, radix: 16))
        case .dentry where sub == 1: return "dentry:name#" + String(id, radix: 16)
        case .xlog: return "xlog:\(id >> 20):\(id & 0xfffff)"
        default: return "\(kind.rawValue):0x\(String(id, radix: 16))"
        }
    }

    static func pad8(_ v: UInt64) -> String {
        var s = String(v, radix: 16)
        while s.count < 8 { s = "0" + s }
        return s
    }

    /// Parses `KIND:ID` as printed by `description` or typed by a user (`dentry:0xff40…`, `task:137`,
    /// `waitkey:0xffff…#0`, `cookie:00000003`). Ids are hex except for tasks.
    public static func parse(_ s: String) -> ObjectRef? {
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let kindText = s[..<colon].lowercased()
        var rest = s[s.index(after: colon)...]
        guard let kind = ObjectKind(rawValue: kindText) ?? (kindText == "wq" ? .waitqueue : nil) else { return nil }
        if kind == .task { return Int32(rest).map { ObjectRef.task($0) } }
        var sub: UInt64 = 0
        if let hash = rest.firstIndex(of: "#") {
            if rest[..<hash] == "name" {
                guard let v = UInt64(rest[rest.index(after: hash)...], radix: 16) else { return nil }
                return ObjectRef(kind, v, sub: 1)
            }
            guard let b = UInt64(rest[rest.index(after: hash)...]) else { return nil }
            sub = b
            rest = rest[..<hash]
        }
        if kind == .xlog, let c = rest.firstIndex(of: ":"), let ma = UInt64(rest[..<c]),
           let mi = UInt64(rest[rest.index(after: c)...]) {
            return ObjectRef(.xlog, ma << 20 | mi)
        }
        if rest.hasPrefix("0x") || rest.hasPrefix("0X") { rest = rest.dropFirst(2) }
        guard let v = UInt64(rest, radix: 16) else { return nil }
        return ObjectRef(kind, v, sub: sub)
    }

    public static func < (a: ObjectRef, b: ObjectRef) -> Bool {
        (a.kind, a.id, a.sub) < (b.kind, b.id, b.sub)
    }
}
