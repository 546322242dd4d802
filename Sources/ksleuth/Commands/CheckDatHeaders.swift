import ArgumentParser
import KSleuth
import TraceModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Hidden: opens a trace-cmd `.dat` (headers and event formats, through libtracecmd/libtraceevent) and exits 0.
/// The other commands run it as a child before opening a `.dat` themselves, so that a corrupt event format that
/// crashes libtraceevent becomes a one-line error instead of a crash of ksleuth.
struct CheckDatHeaders: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-dat-headers", abstract: "Parse a .dat file's headers (used internally).",
        shouldDisplay: false)

    @Argument var path: String

    func run() throws {
        TraceReaders.datHeaderCheck = nil
        do { _ = try TraceReaders.open(path: path) } catch { throw ExitCode(2) }
    }

    /// Spawns `ksleuth check-dat-headers PATH` (this very executable) and throws if the child died of a signal.
    /// A child that exits, with any status, leaves the error reporting to the in-process open (same message as
    /// before). About 10 ms per `.dat` input.
    static func checkInChild(_ path: String) throws {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["ksleuth", "check-dat-headers", path]
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargv { free(p) } }
        // Environment as is: SWIFT_BACKTRACE off in the child, so that its crash is quick and silent.
        var env: [UnsafeMutablePointer<CChar>?] = [strdup("SWIFT_BACKTRACE=enable=no")]
        var e = environ
        while let p = e.pointee { env.append(strdup(p)); e += 1 }
        env.append(nil)
        defer { for p in env { free(p) } }
        guard posix_spawn(&pid, "/proc/self/exe", &actions, nil, &cargv, &env) == 0 else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f {
            throw TraceInputError(path: path, message: "corrupt trace-cmd .dat file: libtraceevent crashes parsing its"
                                  + " event formats (signal \(signal) in a child process)")
        }
    }
}
