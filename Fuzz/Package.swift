// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one per parser, kept out of the main package so `swift build` and
// `swift test` are unaffected. Build and run them with Fuzz/run.sh, which passes
// -sanitize=fuzzer,address and -enable-testing (SIPStreamFuzz reaches the internal TCP
// decoder with @testable import); see README.md, "Fuzzing".
let package = Package(
    name: "switchback-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "switchback", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Calls libFuzzer's driver from each target's `main`.
        .target(name: "FuzzDriver", path: "Targets/FuzzDriver"),
        // `require`: invariant checks that keep their message in release builds.
        .target(name: "FuzzSupport", path: "Targets/FuzzSupport"),
        fuzzTarget("SIPMessageFuzz", [.product(name: "SIP", package: "switchback")]),
        fuzzTarget("SIPStreamFuzz", [
            .product(name: "SIP", package: "switchback"),
            .product(name: "SIPStack", package: "switchback"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        fuzzTarget("SDPFuzz", [.product(name: "SIP", package: "switchback")]),
        fuzzTarget("DigestFuzz", [.product(name: "SIP", package: "switchback")]),
        fuzzTarget("RTPFuzz", [.product(name: "Media", package: "switchback")]),
        fuzzTarget("IVRLoaderFuzz", [.product(name: "IVR", package: "switchback")]),
        fuzzTarget("ConfigLoaderFuzz", [.product(name: "Switchboard", package: "switchback")]),
        fuzzTarget("RateDeckFuzz", [.product(name: "Billing", package: "switchback")]),
        fuzzTarget("SMSCommandFuzz", [.product(name: "SMSCommand", package: "switchback")]),
    ]
)

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzDriver", "FuzzSupport"] + dependencies, path: "Targets/\(name)")
}
