// swift-tools-version:6.0
// ksleuth: Linux kernel trace and crash-report analyzer. Layers follow ../shared/design/ARCHITECTURE.md:
// each stage is its own target so the compiler keeps the data flow one-way.
import PackageDescription

let package = Package(
    name: "ksleuth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ksleuth", targets: ["ksleuth"]),
        .library(name: "KSleuth", targets: ["KSleuth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        // The library façade: format detection, wiring readers to analyses. Never prints.
        .target(name: "KSleuth", dependencies: ["TraceModel", "FtraceText", "TraceDatReader", "LTTngReader"]),
        // The thin CLI: one subcommand per file, argument handling and printing only.
        .executableTarget(
            name: "ksleuth",
            dependencies: ["KSleuth", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Generates large realistic traces for `make bench`.
        .executableTarget(name: "ksleuth-tracegen", dependencies: ["TraceModel"], path: "Benchmarks/TraceGen"),
        .testTarget(name: "TraceModelTests", dependencies: ["TraceModel"]),
        .testTarget(name: "FtraceTextTests", dependencies: ["FtraceText", "TraceModel"]),
        .testTarget(name: "KSleuthTests", dependencies: ["KSleuth", "TraceDatReader", "LTTngReader", "FtraceText", "TraceModel"]),
    ],
    swiftLanguageModes: [.v6]
)
