// swift-tools-version:6.1
import Foundation
import PackageDescription

// `switchback --version`: the build scripts (run.sh, test.sh, packaging/build-deb.sh) pass
// `git describe` in SWITCHBACK_VERSION; a plain `swift build` says "dev".
let buildVersion = ProcessInfo.processInfo.environment["SWITCHBACK_VERSION"]
    .map { $0.filter { $0.isLetter || $0.isNumber || "._+-~".contains($0) } }
    .flatMap { $0.isEmpty ? nil : $0 } ?? "dev"

// Layering (see DESIGN.md): SIP, IVR and Billing are pure; SIPStack and Media own
// sockets and timers; Store owns SQL; Switchboard is where a call's pieces meet;
// Web and the CLI are thin edges.
let package = Package(
    name: "switchback",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchback", targets: ["switchback"]),
        // Libraries the benchmarks (Benchmarks/) and fuzz targets (Fuzz/) link.
        .library(name: "SIP", targets: ["SIP"]),
        .library(name: "SIPStack", targets: ["SIPStack"]),
        .library(name: "Media", targets: ["Media"]),
        .library(name: "IVR", targets: ["IVR"]),
        .library(name: "Billing", targets: ["Billing"]),
        .library(name: "SMSCommand", targets: ["SMSCommand"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Switchboard", targets: ["Switchboard"]),
        .library(name: "SwitchbackLogging", targets: ["SwitchbackLogging"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure: SIP messages, URIs, typed headers, SDP, digest auth.
        .target(name: "SIP", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Transactions, dialogs, UA core, transports (SwiftNIO).
        .target(name: "SIPStack", dependencies: [
            "SIP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // RTP/RTCP, G.711, RFC 4733, prompts, media clock.
        // recvmmsg, which Swift's Glibc module does not show.
        .target(name: "CDatagramBatch"),
        .target(name: "Media", dependencies: [
            "CSndfile", "CDatagramBatch",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Pure: the IVR language and its interpreter.
        .target(name: "IVR", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),
        // Pure: exact money and rating.
        .target(name: "Billing"),
        // Pure: the SMS command language (a function of the text, no I/O).
        .target(name: "SMSCommand"),
        // Persistence behind protocols; SQLite via GRDB (the embedded default) and
        // PostgreSQL via postgres-nio (several nodes sharing one database).
        .target(name: "Store", dependencies: [
            "Billing",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // Log lines formatted cheaply (text, journald, JSON), secrets redacted.
        .target(name: "SwitchbackLogging", dependencies: [
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The version and build (`git describe`), fixed when the binary is built.
        .target(name: "CBuildInfo", cSettings: [.define("SWITCHBACK_VERSION", to: "\"\(buildVersion)\"")]),
        // Call control: where SIP, media, the interpreter and billing meet.
        .target(name: "Switchboard", dependencies: [
            "SIP", "SIPStack", "Media", "IVR", "Billing", "Store", "CBuildInfo", "SMSCommand",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // HTTP edge.
        .target(name: "Web", dependencies: [
            "Switchboard", "Store",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // The commands, as a library so tests can run them in-process.
        .target(name: "SwitchbackCLI", dependencies: [
            "SIP", "SIPStack", "Media", "IVR", "Billing", "Store", "Switchboard", "Web", "SwitchbackLogging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "switchback", dependencies: ["SwitchbackCLI"]),

        .testTarget(name: "SIPTests", dependencies: ["SIP"], resources: [.copy("RFC4475")]),
        .testTarget(name: "SIPStackTests", dependencies: [
            "SIP", "SIPStack",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "MediaTests", dependencies: [
            "Media", "CSndfile",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "IVRTests", dependencies: ["IVR"]),
        .testTarget(name: "BillingTests", dependencies: ["Billing"]),
        .testTarget(name: "SMSCommandTests", dependencies: ["SMSCommand"]),
        // A throwaway PostgreSQL server (initdb/pg_ctl in a temporary directory) for the
        // Store tests on PostgreSQL and the multi-node interop tests.
        .target(name: "PostgresTestSupport", path: "Tests/PostgresTestSupport"),
        // Billed calls per second on SQLite and PostgreSQL (Benchmarks/ReservationRate/main.swift).
        .executableTarget(name: "reservation-rate-benchmark", dependencies: ["Store", "Billing", "PostgresTestSupport"],
                          path: "Benchmarks/ReservationRate"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Billing", "PostgresTestSupport"]),
        .testTarget(name: "SwitchboardTests", dependencies: [
            "Switchboard", "SIP", "SIPStack", "Media", "IVR",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "WebTests", dependencies: [
            "Web", "Store", "Switchboard", "IVR", "Billing",
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "SwitchbackLoggingTests", dependencies: [
            "SwitchbackLogging",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CLITests", dependencies: ["SwitchbackCLI", "Store", "Billing", "SwitchbackLogging"]),
        // Drives the real binary with real peers (sipp, baresip).
        .testTarget(name: "InteropTests", dependencies: ["SIP", "PostgresTestSupport"], resources: [.copy("Fixtures")]),
    ]
)
