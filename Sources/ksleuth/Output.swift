#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line on standard error: the form every user-facing error takes.
func printError(_ message: String) {
    let line = String(message.map { $0 == "\n" ? " " : $0 }) + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
