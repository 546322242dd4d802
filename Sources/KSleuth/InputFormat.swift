import LTTngReader
import TraceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What an input is, decided from its content (never its name): the first bytes of a file, or the entries of a
/// directory.
public enum InputFormat: Equatable, Sendable {
    case ftraceText
    case traceCmdDat(version: Int?)
    case ctf
    case compressed(String)
    case binary(String)
    case empty
    case standardInput

    public var name: String {
        switch self {
        case .ftraceText: "ftrace text"
        case .traceCmdDat(let v): "trace-cmd .dat" + (v.map { " v\($0)" } ?? "")
        case .ctf: "CTF (LTTng)"
        case .compressed(let k): "\(k)-compressed data"
        case .binary(let k): "binary data (\(k))"
        case .empty: "empty"
        case .standardInput: "standard input"
        }
    }

    public static func detect(path: String) throws -> InputFormat {
        if path == "-" { return .standardInput }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            // Like the babeltrace2 CLI: any directory at or below the path that holds a `metadata` file is a trace.
            if !LTTngReader.discover(path).isEmpty { return .ctf }
            throw TraceInputError(path: path, message:
                "is a directory with no trace in it (no CTF `metadata` file in it or below it)")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TraceInputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4096)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 4096) }
        guard n > 0 else { return .empty }
        return detect(head: Array(head[0..<n]))
    }

    public static func detect(head: [UInt8]) -> InputFormat {
        func starts(_ m: [UInt8]) -> Bool { head.count >= m.count && Array(head[0..<m.count]) == m }
        if starts([0x17, 0x08, 0x44] + Array("tracing".utf8)) {
            let version = head.count > 11 ? Int(String(decoding: head[10...].prefix(while: { $0 != 0 }), as: UTF8.self)) : nil
            return .traceCmdDat(version: version)
        }
        // CTF: a stream packet (0xC1FC1FC1), a metadata packet (0x75D11D57), either byte order, or text metadata.
        if starts([0xC1, 0x1F, 0xFC, 0xC1]) || starts([0xC1, 0xFC, 0x1F, 0xC1]) || starts([0x57, 0x1D, 0xD1, 0x75])
            || starts([0x75, 0xD1, 0x1D, 0x57]) || starts(Array("/* CTF ".utf8)) {
            return .ctf
        }
        if starts(Array("TRACE:\n".utf8) + [0x78]) { return .compressed("zlib (Android atrace)") }
        if starts([0x1F, 0x8B]) { return .compressed("gzip") }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .compressed("zstd") }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .compressed("xz") }
        if starts(Array("BZh".utf8)) && head.count > 3 && head[3] >= UInt8(ascii: "1") && head[3] <= UInt8(ascii: "9") {
            return .compressed("bzip2")
        }
        if starts([0x7F] + Array("ELF".utf8)) { return .binary("ELF") }
        // Text has almost no control bytes; a trace with a stray NUL is still text (its lines are counted).
        let control = head.reduce(0) { $0 + (($1 < 9 || ($1 > 13 && $1 < 32)) ? 1 : 0) }
        if control * 10 > head.count { return .binary("\(control) control bytes in the first \(head.count)") }
        return .ftraceText
    }
}
