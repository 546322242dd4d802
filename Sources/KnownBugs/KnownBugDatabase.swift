import Foundation
import Yams

/// Why a database file cannot be used.
public struct DatabaseError: Error, CustomStringConvertible {
    public var file: String
    public var reason: String
    public var description: String { "\(file): \(reason)" }
}

/// The merged known-bug database: the bundled `Resources/known-bugs.yaml` plus any user files (`--db FILE`).
/// A user entry with the same `id` as an earlier one replaces it, so a site can correct or extend the bundle.
public struct KnownBugDatabase: Sendable {
    public private(set) var bugs: [KnownBug]
    public private(set) var sources: [String]

    public init(bugs: [KnownBug] = [], sources: [String] = []) {
        self.bugs = bugs
        self.sources = sources
    }

    /// The database bundled with ksleuth.
    public static func bundled() throws -> KnownBugDatabase {
        guard let url = Bundle.module.url(forResource: "known-bugs", withExtension: "yaml") else {
            throw DatabaseError(file: "known-bugs.yaml", reason: "missing from the resource bundle")
        }
        var db = KnownBugDatabase()
        // The bundled file is known to be a list: decoded in one parse, without first composing the document to
        // find out its shape (which parsed the YAML twice, ~40 % of the database load).
        try db.merge(yaml: String(contentsOf: url, encoding: .utf8), origin: "bundled", knownList: true)
        return db
    }

    /// Adds the entries of a YAML document (a list of entries, or a mapping with a `bugs:` list).
    public mutating func merge(yaml: String, origin: String) throws {
        try merge(yaml: yaml, origin: origin, knownList: false)
    }

    private mutating func merge(yaml: String, origin: String, knownList: Bool) throws {
        struct Wrapped: Decodable { var bugs: [KnownBug] }
        var entries: [KnownBug]
        do {
            if knownList {
                entries = try YAMLDecoder().decode([KnownBug].self, from: yaml)
            } else {
                let node = try Yams.compose(yaml: yaml)
                if node == nil {
                    entries = []
                } else if node?.sequence != nil {
                    entries = try YAMLDecoder().decode([KnownBug].self, from: yaml)
                } else {
                    entries = try YAMLDecoder().decode(Wrapped.self, from: yaml).bugs
                }
            }
        } catch let error as DecodingError {
            throw DatabaseError(file: origin, reason: Self.describe(error))
        } catch {
            throw DatabaseError(file: origin, reason: "not valid YAML: \(error)")
        }
        // Validate the whole file before taking any of it, so a bad file leaves the database as it was.
        var seen = Set<String>()
        for e in entries {
            guard !e.id.isEmpty else { throw DatabaseError(file: origin, reason: "an entry has an empty id") }
            guard seen.insert(e.id).inserted else {
                throw DatabaseError(file: origin, reason: "duplicate id \(e.id)")
            }
        }
        for var e in entries {
            e.origin = origin
            if let i = bugs.firstIndex(where: { $0.id == e.id }) { bugs[i] = e } else { bugs.append(e) }
        }
        sources.append(origin)
    }

    /// Reads and merges a user database file.
    public mutating func merge(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatabaseError(file: path, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatabaseError(file: path, reason: "not UTF-8 text")
        }
        try merge(yaml: text, origin: path)
    }

    public func bug(id: String) -> KnownBug? { bugs.first { $0.id == id } }

    private static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case let .keyNotFound(k, ctx): return "missing field '\(k.stringValue)' at \(path(ctx.codingPath))"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
            return "\(ctx.debugDescription) at \(path(ctx.codingPath))"
        @unknown default: return "\(e)"
        }
    }
}
