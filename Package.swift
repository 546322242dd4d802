// swift-tools-version:6.0
// ksleuth: Linux kernel trace and crash-report analyzer. Layers follow ../shared/design/ARCHITECTURE.md:
// each stage is its own target so the compiler keeps the data flow one-way.
import PackageDescription

let package = Package(
    name: "ksleuth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ksleuth", targets: ["ksleuth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The thin CLI: one subcommand per file, argument handling and printing only.
        .executableTarget(
            name: "ksleuth",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
