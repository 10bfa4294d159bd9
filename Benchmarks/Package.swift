// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks (ordo-one/benchmark), kept out of the main package so tests build fast.
// Run: cd Benchmarks && swift package benchmark
let package = Package(
    name: "switchback-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "switchback", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SIPParserBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "SIP", package: "switchback")],
            path: "Benchmarks/SIPParser",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MediaBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "Media", package: "switchback")],
            path: "Benchmarks/Media",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "BillingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Billing", package: "switchback"),
                .product(name: "Store", package: "switchback"),
            ],
            path: "Benchmarks/Billing",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
