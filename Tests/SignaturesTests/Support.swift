import Foundation
import FtraceText
import Signatures
import TraceModel

/// The package root, found from this file's path (Tests/SignaturesTests/Support.swift).
let packageRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

func path(_ relative: String) -> String { packageRoot + "/" + relative }

func analyze(_ relative: String, options: AnalysisOptions = AnalysisOptions()) throws -> AnalysisResult {
    var reader = try FtraceTextReader(path: path(relative))
    return try Analyzer(options: options).analyze(&reader, name: relative)
}

func analyze(text: String, name: String, options: AnalysisOptions = AnalysisOptions()) throws -> AnalysisResult {
    var reader = FtraceTextReader(text: text, name: name)
    return try Analyzer(options: options).analyze(&reader, name: name)
}

func readText(_ absolute: String) -> String? {
    FileManager.default.contents(atPath: absolute).map { String(decoding: $0, as: UTF8.self) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
