import Foundation
import XCTest

/// The repository root, found from this file, and the shared material beside it (`../shared`, absent on some
/// machines: corpus tests then skip). Never an absolute path of one machine.
enum Repo {
    static let root: URL = {
        var u = URL(fileURLWithPath: #filePath)
        while u.path != "/" && !FileManager.default.fileExists(atPath: u.appendingPathComponent("Package.swift").path) {
            u.deleteLastPathComponent()
        }
        return u
    }()
    static var shared: URL { root.deletingLastPathComponent().appendingPathComponent("shared") }
    static var corpusRoot: URL { shared.appendingPathComponent("corpus") }

    /// `../shared/corpus/<path>`, or XCTSkip when it is not on this machine.
    static func corpus(_ path: String) throws -> URL {
        let u = corpusRoot.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("../shared/corpus is not on this machine (\(path)); corpus tests skipped")
        }
        return u
    }

    static func fixture(_ path: String) -> URL { root.appendingPathComponent("Fixtures").appendingPathComponent(path) }

    /// The ksleuth executable `swift test` built next to the test bundle.
    static var executable: URL {
        let dir = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("ksleuth"), root.appendingPathComponent(".build/debug/ksleuth")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return dir.appendingPathComponent("ksleuth")
    }

    static func tempFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("ksleuth-\(getpid())-\(name)")
        try Data(bytes).write(to: u)
        return u
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built `ksleuth` with `args`, feeding `stdin` when given, or connecting `stdinFile` (any open file,
/// even a directory) as its standard input.
func runKsleuth(_ args: [String], stdin: Data? = nil, stdinFile: FileHandle? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = Repo.executable
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = stdinFile ?? input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
}
