// swift-tools-version:6.0
// ksleuth: Linux kernel trace and crash-report analyzer. Layers follow ../shared/design/ARCHITECTURE.md:
// each stage is its own target so the compiler keeps the data flow one-way.
import PackageDescription

// The per-event analysis code mutates detector and timeline state held in classes; the runtime exclusivity checks
// on those accesses cost about a fifth of `analyze` (measured with callgrind). Release builds skip them there.
let analysisHotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "ksleuth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ksleuth", targets: ["ksleuth"]),
        .library(name: "KSleuth", targets: ["KSleuth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // The event model every reader produces and every analysis consumes.
        .target(name: "TraceModel"),
        // ftrace text: tracefs trace / trace_pipe, trace-cmd report, every kernel-era variant.
        .target(name: "FtraceText", dependencies: ["TraceModel"]),
        // trace-cmd .dat (v6, v7 compressed) through libtracecmd / libtraceevent.
        .systemLibrary(name: "CTraceCmd", pkgConfig: "libtracecmd", providers: [.apt(["libtracecmd-dev", "libtraceevent-dev"])]),
        .target(name: "CTraceCmdShim", dependencies: ["CTraceCmd"]),
        .target(name: "TraceDatReader", dependencies: ["CTraceCmd", "CTraceCmdShim", "TraceModel"],
                // The per-record loop touches the reader's class state millions of times; the accesses are
                // single-threaded by construction, and the dynamic exclusivity checks cost ~10% of the read.
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // CTF (LTTng, perf -> CTF) through libbabeltrace2; the C shim builds the graph and renders fields.
        .systemLibrary(name: "CBabeltrace2", pkgConfig: "babeltrace2", providers: [.apt(["libbabeltrace2-dev"])]),
        .target(name: "CBabeltrace2Shim", dependencies: ["CBabeltrace2"]),
        .target(name: "LTTngReader", dependencies: ["CBabeltrace2Shim", "TraceModel"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // Semantics as data: raw events → actions on objects; per-object timelines.
        .target(name: "Timelines", dependencies: ["TraceModel"], swiftSettings: analysisHotPath),
        // The race signatures (one file each), the analysis engine and its findings.
        .target(name: "Signatures", dependencies: ["Timelines", "TraceModel"], swiftSettings: analysisHotPath),
        // Renderers of findings and timelines: text, JSON, Markdown. Return strings, never print.
        .target(name: "Reports", dependencies: ["Signatures", "Timelines", "TraceModel"]),
        // The library façade: format detection, readers by content, wiring to analyses and the known-bug matcher.
        // Never prints.
        .target(name: "KSleuth", dependencies: ["TraceModel", "FtraceText", "TraceDatReader", "LTTngReader",
                                                "Signatures", "Backtraces", "KnownBugs"]),
        // The thin CLI: one subcommand per file, argument handling and printing only.
        .executableTarget(
            name: "ksleuth",
            dependencies: ["KSleuth", "Timelines", "Signatures", "Reports", "FtraceText", "Backtraces", "KnownBugs",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Crash text -> reports (kind, title, frames, lock chain, registers), no dependencies.
        // The report-format table is data (Resources/linux-oopses.json), the project's own.
        // On Linux the report regexes run on the toolchain's ICU directly (see Pattern.swift), so it is linked.
        .target(
            name: "Backtraces",
            resources: [.process("Resources")],
            linkerSettings: [.linkedLibrary("_FoundationICU", .when(platforms: [.linux]))]
        ),
        // The known-bug database (a bundled YAML resource plus user files) and the matcher.
        .target(
            name: "KnownBugs",
            dependencies: ["Backtraces", .product(name: "Yams", package: "Yams")],
            resources: [.process("Resources")]
        ),
        .testTarget(name: "BacktracesTests", dependencies: ["Backtraces", "TestSupport"]),
        .testTarget(
            name: "KnownBugsTests",
            dependencies: ["KnownBugs", "Backtraces", "TestSupport", .product(name: "Yams", package: "Yams")]
        ),
        // Generates large realistic traces for `make bench`.
        .executableTarget(name: "ksleuth-tracegen", dependencies: ["TraceModel"], path: "Benchmarks/TraceGen"),
        // Helpers the test targets share: where the repository, its fixtures and ../shared are; running the CLI.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TraceModelTests", dependencies: ["TraceModel"]),
        .testTarget(name: "FtraceTextTests", dependencies: ["FtraceText", "TraceModel", "TestSupport"]),
        .testTarget(name: "KSleuthTests",
                    dependencies: ["KSleuth", "TraceDatReader", "LTTngReader", "Signatures", "Timelines", "FtraceText", "TraceModel",
                                   "TestSupport"]),
        .testTarget(name: "TimelinesTests", dependencies: ["Timelines", "TraceModel"]),
        .testTarget(name: "SignaturesTests", dependencies: ["Signatures", "Reports", "Timelines", "TraceModel", "FtraceText"]),
    ],
    swiftLanguageModes: [.v6]
)
