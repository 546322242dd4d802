import FtraceText
import LTTngReader
import TraceDatReader
import TraceModel

/// The one place that turns an input path into a reader, by content (see `InputFormat`): every command (`stats`,
/// `analyze`, `timeline`, ...) opens its input here and gets a `TraceSource`, whichever format fed it.
public enum TraceReaders {
    public static func open(path: String) throws -> any TraceSource {
        try open(path: path, format: InputFormat.detect(path: path))
    }

    public static func open(path: String, format: InputFormat) throws -> any TraceSource {
        switch format {
        case .ftraceText, .standardInput:
            return try FtraceTextReader(path: path)
        case .traceCmdDat:
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
