import ArgumentParser
import Foundation
import KnownBugs

/// `ksleuth bugs`: list the merged known-bug database (bundled + --db files).
struct Bugs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the known-bug database: fix commits, kinds, characteristic frames, lock chains."
    )

    @Option(name: .customLong("db"), help: "An extra known-bug database (YAML); repeatable. Same id replaces.")
    var databases: [String] = []

    @Flag(help: "Print JSON (the entries as the database format describes them).")
    var json = false

    @Flag(name: .shortAndLong, help: "Add each entry's summary and provenance.")
    var verbose = false

    @Option(help: "Show only the entry with this id.")
    var id: String?

    func run() throws {
        var db: KnownBugDatabase
        do {
            db = try KnownBugDatabase.bundled()
            for path in databases { try db.merge(file: path) }
        } catch {
            FileHandle.standardError.write(Data("ksleuth: known-bug database: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let id {
            guard let bug = db.bug(id: id) else {
                FileHandle.standardError.write(Data("ksleuth: no known bug with id \(id)\n".utf8))
                throw ExitCode(1)
            }
            db = KnownBugDatabase(bugs: [bug], sources: db.sources)
        }
        print(json ? BugListRenderer.json(db) : BugListRenderer.text(db, verbose: verbose || id != nil), terminator: "")
    }
}
