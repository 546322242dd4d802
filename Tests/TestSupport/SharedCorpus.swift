import Foundation
import XCTest

/// Locates the package root and the shared corpus (`../shared` beside it) from this file's path, never from an
/// absolute path of one machine.
enum SharedCorpus {
    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    }

    static var fixtures: URL { packageRoot.appendingPathComponent("Fixtures/backtraces") }

    /// `../shared/corpus/backtraces/<sub>`, or XCTSkip when the shared material is not beside the package.
    static func directory(_ sub: String) throws -> URL {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/backtraces/\(sub)")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw XCTSkip("shared corpus not found at \(url.path) (it lives beside the package as ../shared)")
        }
        return url
    }

    static func files(_ sub: String) throws -> [URL] {
        let dir = try directory(sub)
        let all = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL } ?? []
        return all.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.path < $1.path }
    }

    static func seeds() throws -> URL {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/seeds")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared seeds not found at \(url.path)")
        }
        return url
    }
}

/// A syzkaller `report/N` test file: header lines until the first empty line, then the log.
struct SyzkallerCase {
    var name: String
    var title: String?
    var alts: [String] = []
    var corrupted = false
    var suppressed = false
    var type: String?
    var log: String

    init(name: String, text: String) {
        self.name = name
        var header = true
        var logLines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if header {
                if line.isEmpty { header = false; continue }
                if line.hasPrefix("TITLE:") { title = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                else if line.hasPrefix("ALT:") { alts.append(line.dropFirst(4).trimmingCharacters(in: .whitespaces)) }
                else if line.hasPrefix("CORRUPTED: Y") { corrupted = true }
                else if line.hasPrefix("SUPPRESSED: Y") { suppressed = true }
                else if line.hasPrefix("TYPE:") { type = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                continue
            }
            logLines.append(line)
        }
        if title?.isEmpty == true { title = nil }
        var log = logLines.joined(separator: "\n")
        // A trailing "REPORT:" section is the expected extraction, not part of the log.
        if let r = log.range(of: "\n\nREPORT:\n") { log = String(log[..<r.lowerBound]) }
        self.log = log.replacingOccurrences(of: "\r", with: "")
    }
}

/// A project fixture in `Fixtures/backtraces/`: `#` comments and `KEY: value` header lines until the first empty
/// line, then the input text. Repeated TITLE/KIND/MATCH lines describe successive reports, in input order.
struct Fixture {
    var name: String
    var kernel: String?
    var titles: [String] = []
    var kinds: [String] = []
    var matches: [String] = []
    var chains: [String] = []
    var correlate: [String] = []
    var blockedOn: [String] = []
    var reports: Int?
    var body: String

    init(url: URL) throws {
        name = url.lastPathComponent
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let split = text.range(of: "\n\n") else {
            throw NSError(domain: "fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name): no blank line after the header"])
        }
        body = String(text[split.upperBound...])
        for line in text[..<split.lowerBound].split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "KERNEL": kernel = value
            case "TITLE": titles.append(value)
            case "KIND": kinds.append(value)
            case "MATCH": matches.append(value)
            case "CHAIN": chains.append(value)
            case "CORRELATE": correlate.append(value)
            case "BLOCKED_ON": blockedOn.append(value)
            case "REPORTS": reports = Int(value)
            default: break
            }
        }
    }

    static func all() throws -> [Fixture] {
        let urls = try FileManager.default.contentsOfDirectory(at: SharedCorpus.fixtures, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }.sorted { $0.path < $1.path }
        return try urls.map(Fixture.init(url:))
    }
}
