import FtraceText
import LTTngReader
import TraceDatReader
import TraceModel

/// The one place that turns an input path into a reader, by content (see `InputFormat`): every command (`stats`,
/// `analyze`, `timeline`, ...) opens its input here and gets a `TraceSource`, whichever format fed it.
public enum TraceReaders {
    /// Run before a `.dat` is opened in this process. libtraceevent crashes on some corrupt event formats while
    /// libtracecmd opens the file (`trace-cmd report` crashes on them too), and a crash cannot be caught in-process:
    /// the command line installs a check that parses the headers in a child process first and throws a
    /// `TraceInputError` if that child died. Nil (the default, and in the child itself): no check.
    nonisolated(unsafe) public static var datHeaderCheck: ((String) throws -> Void)?

    public static func open(path: String) throws -> any TraceSource {
        try open(path: path, format: InputFormat.detect(path: path))
    }

    public static func open(path: String, format: InputFormat) throws -> any TraceSource {
        switch format {
        case .ftraceText, .standardInput:
            return try FtraceTextReader(path: path)
        case .traceCmdDat:
            try datHeaderCheck?(path)
            return try TraceDatReader(path: path)
        case .ctf:
            // A CTF `metadata` file passed directly stands for its trace directory.
            return try LTTngReader(path: path)
        case .empty:
            throw TraceInputError(path: path, message: "empty input: no trace events")
        case .compressed(let k):
            throw TraceInputError(path: path, message: "\(k)-compressed: decompress it first")
        case .binary(let why):
            throw TraceInputError(path: path, message: "binary data, not a trace ksleuth reads (\(why))", byteOffset: 0)
        }
    }
}
