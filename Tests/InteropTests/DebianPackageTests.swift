import Foundation
import XCTest

/// The Debian package (issue 18), as an operator gets it: `packaging/build-deb.sh` builds it
/// from a release build; the test unpacks it into a throwaway root (`dpkg-deb -x`), checks
/// the layout, the unit and the maintainer scripts, then runs the packaged binary on a
/// configuration that names only a trunk. The demo on access number 100 must answer from
/// the packaged share directory, found beside the binary.
///
/// Where the package comes from, first found:
/// - `SWITCHBACK_DEB`: an existing `.deb`;
/// - `SWITCHBACK_RELEASE_BINARY`: an existing release build, packaged by build-deb.sh;
/// - otherwise build-deb.sh makes the release build itself (about 10 minutes on two cores
///   the first time, into `.build-release`, incremental after that).
final class DebianPackageTests: XCTestCase {
    func testPackagedBinaryAnswersTheDemoWithATrunksOnlyConfig() throws {
        let dpkgDeb = try Peer.require("dpkg-deb", package: "dpkg")
        let deb = try Self.debianPackage()
        let work = try InteropPaths.temporaryDirectory("deb")
        let root = work.appendingPathComponent("root")
        let control = work.appendingPathComponent("control")
        for (option, target) in [("-x", root), ("-e", control)] {
            let unpacked = try ChildProcess.run(dpkgDeb, [option, deb.path, target.path], timeout: 120)
            XCTAssertEqual(unpacked.status, 0, "dpkg-deb \(option) failed:\n\(unpacked.output)")
        }

        // The layout: binary, share directory, configuration, unit.
        let share = root.appendingPathComponent("usr/share/switchback")
        for path in ["usr/bin/switchback", "usr/share/switchback/scripts/demo.yaml",
                     "usr/share/switchback/scripts/calling-card.yaml", "usr/share/switchback/sounds/en/welcome.wav",
                     "usr/share/switchback/schemas/config.schema.json", "usr/share/switchback/schemas/ivr-script.schema.json",
                     "etc/switchback/config.yaml", "lib/systemd/system/switchback.service",
                     "usr/share/doc/switchback/README.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path) is not in \(deb.path)")
        }
        let unit = try String(contentsOf: root.appendingPathComponent("lib/systemd/system/switchback.service"), encoding: .utf8)
        for line in ["User=switchback", "ProtectSystem=strict", "ReadWritePaths=/var/lib/switchback",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE", "Restart=on-failure", "NoNewPrivileges=yes",
                     "ExecStart=/usr/bin/switchback serve --config /etc/switchback/config.yaml --data-dir /var/lib/switchback",
                     "ExecReload=/usr/bin/switchback check --config /etc/switchback/config.yaml",
                     "ExecReload=/bin/kill -HUP $MAINPID"] {
            XCTAssertTrue(unit.split(separator: "\n").contains(Substring(line)), "the unit lacks `\(line)`:\n\(unit)")
        }
        let fields = try String(contentsOf: control.appendingPathComponent("control"), encoding: .utf8)
        XCTAssertTrue(fields.contains("Package: switchback\n"), fields)
        let postinst = try String(contentsOf: control.appendingPathComponent("postinst"), encoding: .utf8)
        XCTAssertTrue(postinst.contains("useradd --system") && postinst.contains("/var/lib/switchback"), postinst)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: control.appendingPathComponent("postinst").path))
        let conffiles = try String(contentsOf: control.appendingPathComponent("conffiles"), encoding: .utf8)
        XCTAssertEqual(conffiles, "/etc/switchback/config.yaml\n")

        // The packaged binary: its version, and `check` on the packaged configuration.
        let binary = root.appendingPathComponent("usr/bin/switchback")
        let versionRun = try ChildProcess.run(binary.path, ["--version"], timeout: 30)
        let version = try XCTUnwrap(versionRun.output.split(whereSeparator: \.isWhitespace).last.map(String.init), versionRun.output)
        XCTAssertTrue(fields.contains("Version: "), fields)
        let check = try ChildProcess.run(binary.path, ["check", "--config", root.appendingPathComponent("etc/switchback/config.yaml").path],
                                         in: work, timeout: 60)
        XCTAssertEqual(check.status, 0, "the shipped configuration fails its check:\n\(check.output)")

        // A configuration with nothing but a trunk, away from the share directory.
        let etc = work.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        let config = etc.appendingPathComponent("config.yaml")
        try """
        trunks:
          - name: pstn
            uri: sip:127.0.0.1:9
            destinations: ["*"]
        """.write(to: config, atomically: true, encoding: .utf8)
        let data = work.appendingPathComponent("data")
        let server = try ServerProcess(executable: binary, arguments: [
            "serve", "--config", config.path, "--sip-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
            "--data-dir", data.path, "--log-format", "json", "--log-level", "debug",
        ], directory: work, configURL: config, dataDirectory: data)
        defer { server.stop() }
        let starting = try server.waitForEvents(timeout: 5) { $0["message"] == "starting" }
        XCTAssertEqual(starting.first?["share-dir"], share.standardizedFileURL.path, "the share directory beside the binary")
        XCTAssertEqual(starting.first?["version"], version)

        let sipp = try Sipp(name: "deb-demo")
        try sipp.makeDTMFPcap("1234#")
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "demo_rfc4733.xml", target: "127.0.0.1:\(server.udpPort)",
                                  mediaPort: ports.media, sipPort: ports.sip)
        XCTAssertEqual(result.status, 0, "sipp's call to 100 failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        XCTAssertEqual(server.events { $0["message"] == "answered" }.count, 1, server.rawLog)
        let collected = try server.waitForEvents(timeout: 5) { $0["step"] == "digits-collected" }
        XCTAssertEqual(collected.map { $0["value"] ?? "" }, ["1234"])
        XCTAssertTrue(server.events { $0["message"] == "prompt started" }.contains { ($0["prompts"] ?? "").contains("welcome") })

        // The version is in the SIP Server header and in /healthz.
        let traces = try FileManager.default.contentsOfDirectory(atPath: sipp.work.path).filter { $0.hasSuffix("_messages.log") }
        let messages = try traces.map { try String(contentsOf: sipp.work.appendingPathComponent($0), encoding: .utf8) }.joined()
        XCTAssertTrue(messages.contains("Server: Switchback/\(version)"), "no Server header with \(version):\n\(messages)")
        let health = try HTTPExchange.send("GET", server.httpBase.appendingPathComponent("healthz"))
        XCTAssertEqual(health.json?["version"] as? String, version, health.text)
    }

    /// The `.deb` to test: given, or built by packaging/build-deb.sh (see the type's comment).
    static func debianPackage() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["SWITCHBACK_DEB"], !given.isEmpty {
            guard FileManager.default.fileExists(atPath: given) else { throw ServerProcess.Failure("SWITCHBACK_DEB=\(given): no such file") }
            return URL(fileURLWithPath: given)
        }
        let out = try InteropPaths.temporaryDirectory("deb-out")
        var arguments = ["--out", out.path]
        if let binary = environment["SWITCHBACK_RELEASE_BINARY"], !binary.isEmpty { arguments += ["--binary", binary] }
        let script = InteropPaths.packageRoot.appendingPathComponent("packaging/build-deb.sh").path
        let built = try ChildProcess.run(script, arguments, in: InteropPaths.packageRoot, timeout: 3600)
        guard built.status == 0,
              let last = built.output.split(separator: "\n").last(where: { $0.hasSuffix(".deb") }) else {
            throw ServerProcess.Failure("packaging/build-deb.sh failed (\(built.status)):\n\(built.output.suffix(6000))")
        }
        return URL(fileURLWithPath: String(last))
    }
}
