import Foundation
import XCTest

/// Reloading a running server (issue 3, item 8) through the real binary: SIGHUP and
/// `POST /admin/reload` both re-read the configuration file and the scripts; a script
/// that fails validation is refused with `file:line:column` and the old one keeps
/// serving; calls in progress keep the version they started with.
final class ReloadTests: XCTestCase {
    /// A campaign script whose node names carry its version, so the log tells which
    /// version a call ran. `first` plays `prompts`, then `second` says goodbye and hangs up.
    static func script(version: String, prompts: [String]) -> String {
        """
        script: reload-probe
        language: en
        start: first-\(version)
        nodes:
          first-\(version):
            do: play
            prompt: [\(prompts.joined(separator: ", "))]
            next: second-\(version)
          second-\(version):
            do: hangup
            prompt: goodbye

        """
    }

    /// A server whose access number 200 runs `reload.yaml` from a fresh directory.
    private func startServer(name: String, script: String, extraYAML: String = "",
                             httpListen: String = "127.0.0.1:0") throws -> (ServerProcess, URL) {
        let scripts = try InteropPaths.temporaryDirectory("\(name)-scripts")
        let file = scripts.appendingPathComponent("reload.yaml")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let server = try ServerProcess(accessNumbersYAML: #"  "200": { campaign: probe }"#,
                                       campaignsYAML: "  probe: { script: \(file.path) }", extraYAML: extraYAML,
                                       httpListen: httpListen, name: name)
        return (server, file)
    }

    /// The `node-entered` node names of one call, in order.
    private func nodes(of callID: String, in events: [[String: String]]) -> [String] {
        events.filter { $0["step"] == "node-entered" && $0["call-id"] == callID }.map { $0["node"] ?? "" }
    }

    /// The call-id of the call whose first node was `node`.
    private func callID(enteringFirst node: String, _ server: ServerProcess) throws -> String {
        let entered = try server.waitForEvents(timeout: 15) { $0["step"] == "node-entered" && $0["node"] == node }
        return try XCTUnwrap(entered.first?["call-id"])
    }

    // MARK: - (a) SIGHUP

    func testSIGHUPPutsTheChangedScriptInServiceWhileACallInProgressFinishesOnTheOldOne() throws {
        // Version 1 plays ~7.5 s of prompts before its second node: time to reload mid-call.
        let (server, file) = try startServer(name: "reload-hup", script: Self.script(version: "v1", prompts: ["welcome", "main-menu"]))
        defer { server.stop() }
        let target = "127.0.0.1:\(server.udpPort)"

        // Call A starts on version 1 and is still in its first node when the reload happens.
        let callerA = try Sipp(name: "reload-a")
        let portsA = Sipp.ports()
        let finishedA = DispatchSemaphore(value: 0)
        let resultA = OutcomeBox()
        DispatchQueue.global().async {
            resultA.value = Result { try callerA.run(scenario: "listen_until_bye.xml", target: target, service: "200",
                                               mediaPort: portsA.media, sipPort: portsA.sip, timeout: 45) }
            finishedA.signal()
        }
        let callA = try callID(enteringFirst: "first-v1", server)

        try Self.script(version: "v2", prompts: ["you-entered"]).write(to: file, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let reloaded = try server.waitForEvents(timeout: 10) { $0["message"] == "configuration reloaded" }
        XCTAssertEqual(reloaded.first?["trigger"], "SIGHUP")
        XCTAssertEqual(reloaded.first?["access-numbers"], "100,200")

        // Call B, placed after the reload, runs version 2 (while A is still playing).
        let callerB = try Sipp(name: "reload-b")
        let portsB = Sipp.ports()
        let resultB = try callerB.run(scenario: "listen_until_bye.xml", target: target, service: "200",
                                      mediaPort: portsB.media, sipPort: portsB.sip, timeout: 30)
        XCTAssertEqual(resultB.status, 0, "call B:\n\(resultB.output)\nserver log:\n\(server.rawLog.suffix(4000))")

        XCTAssertEqual(finishedA.wait(timeout: .now() + 50), .success, "call A did not finish")
        let outcomeA = try XCTUnwrap(resultA.value).get()
        XCTAssertEqual(outcomeA.status, 0, "call A:\n\(outcomeA.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        try server.waitForEvents(count: 2, timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }

        let events = server.events
        let callB = try XCTUnwrap(events.first { $0["step"] == "node-entered" && $0["node"] == "first-v2" }?["call-id"])
        XCTAssertNotEqual(callA, callB)
        XCTAssertEqual(nodes(of: callA, in: events), ["first-v1", "second-v1"], "the call in progress keeps version 1")
        XCTAssertEqual(nodes(of: callB, in: events), ["first-v2", "second-v2"], "a new call runs version 2")
        // A entered its second (version 1) node only after the reload had happened.
        let reloadIndex = try XCTUnwrap(events.firstIndex { $0["message"] == "configuration reloaded" })
        let secondA = try XCTUnwrap(events.firstIndex { $0["step"] == "node-entered" && $0["call-id"] == callA && $0["node"] == "second-v1" })
        XCTAssertGreaterThan(secondA, reloadIndex, "call A should have reached its second node after the reload")
        XCTAssertEqual(server.events { $0["message"] == "call received" }.count, 2)
    }

    // MARK: - (b) POST /admin/reload refuses broken scripts

    func testAdminReloadRefusesABrokenScriptWithItsLocationAndTheOldVersionKeepsServing() throws {
        let (server, file) = try startServer(name: "reload-admin", script: Self.script(version: "v1", prompts: ["you-entered"]))
        defer { server.stop() }
        let reload = server.httpBase.appendingPathComponent("admin/reload")

        // A transition to a node that does not exist: the loader's error, at the target's name.
        try """
        script: reload-probe
        language: en
        start: first-v3
        nodes:
          first-v3:
            do: play
            prompt: you-entered
            next: nowhere

        """.write(to: file, atomically: true, encoding: .utf8)
        let unknownNode = try HTTPExchange.send("POST", reload)
        XCTAssertEqual(unknownNode.status, 422, unknownNode.text)
        XCTAssertEqual(unknownNode.json?["reloaded"] as? Bool, false)
        let unknownErrors = try XCTUnwrap(unknownNode.json?["errors"] as? [String], unknownNode.text)
        XCTAssertEqual(unknownErrors.count, 1, "\(unknownErrors)")
        XCTAssertTrue(unknownErrors.first?.hasPrefix("\(file.path):8:11: error: ") ?? false, "\(unknownErrors)")
        XCTAssertTrue(unknownErrors.first?.contains("nowhere") ?? false, "\(unknownErrors)")

        // A well-formed script with a meaning error: a prompt with no file under sounds/en/.
        try Self.script(version: "v3", prompts: ["you-entered", "no-such-prompt"]).write(to: file, atomically: true, encoding: .utf8)
        let missingPrompt = try HTTPExchange.send("POST", reload)
        XCTAssertEqual(missingPrompt.status, 422, missingPrompt.text)
        let promptErrors = try XCTUnwrap(missingPrompt.json?["errors"] as? [String], missingPrompt.text)
        XCTAssertEqual(promptErrors.count, 1, "\(promptErrors)")
        XCTAssertTrue(promptErrors.first?.hasPrefix("\(file.path):7:27: error: prompt 'no-such-prompt' does not exist") ?? false,
                      "\(promptErrors)")
        // Both refusals are in the server's log, diagnostics first.
        let refusals = server.events { $0["message"] == "reload refused; the running configuration and scripts stay" }
        XCTAssertEqual(refusals.count, 2)
        XCTAssertEqual(refusals.map { $0["trigger"] ?? "" }, ["POST /admin/reload", "POST /admin/reload"])
        XCTAssertEqual(server.events { $0["level"] == "error" && ($0["message"] ?? "").hasPrefix("\(file.path):") }.count, 2)

        // Version 1 still serves.
        let caller = try Sipp(name: "reload-admin-call")
        let ports = Sipp.ports()
        let call = try caller.run(scenario: "listen_until_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                  mediaPort: ports.media, sipPort: ports.sip, timeout: 30)
        XCTAssertEqual(call.status, 0, "call:\n\(call.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let oldCall = try callID(enteringFirst: "first-v1", server)
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(nodes(of: oldCall, in: server.events), ["first-v1", "second-v1"])

        // A broken configuration file is refused the same way, naming the file and line.
        let goodConfig = try String(contentsOf: server.configURL, encoding: .utf8)
        try (goodConfig + "\nbogus-section: 1\n").write(to: server.configURL, atomically: true, encoding: .utf8)
        let badConfig = try HTTPExchange.send("POST", reload)
        XCTAssertEqual(badConfig.status, 422, badConfig.text)
        let configErrors = try XCTUnwrap(badConfig.json?["errors"] as? [String], badConfig.text)
        XCTAssertTrue(configErrors.first?.hasPrefix("\(server.configURL.path):") ?? false, "\(configErrors)")
        XCTAssertTrue(configErrors.first?.contains("bogus-section") ?? false, "\(configErrors)")

        // Fixed script and a configuration with one more access number: both in service.
        try Self.script(version: "v2", prompts: ["you-entered"]).write(to: file, atomically: true, encoding: .utf8)
        try server.writeConfig(accessNumbersYAML: #"  "200": { campaign: probe }"# + "\n" + #"  "201": { campaign: probe }"#,
                               campaignsYAML: "  probe: { script: \(file.path) }")
        let fixed = try HTTPExchange.send("POST", reload)
        XCTAssertEqual(fixed.status, 200, fixed.text)
        XCTAssertEqual(fixed.header("Content-Type"), "application/json")
        XCTAssertEqual(fixed.json?["reloaded"] as? Bool, true, fixed.text)
        XCTAssertEqual(fixed.json?["accessNumbers"] as? [String], ["100", "200", "201"], fixed.text)
        let newNumber = try caller.run(scenario: "listen_until_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "201",
                                       mediaPort: ports.media, sipPort: ports.sip, timeout: 30)
        XCTAssertEqual(newNumber.status, 0, "call to 201:\n\(newNumber.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let newCall = try callID(enteringFirst: "first-v2", server)
        try server.waitForEvents(count: 2, timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(nodes(of: newCall, in: server.events), ["first-v2", "second-v2"])
    }

    // MARK: - (c) who may reload

    func testAdminTokenIsRequiredWhenConfigured() throws {
        let token = "s3cret-\(UUID().uuidString.prefix(8))"
        let (server, _) = try startServer(name: "reload-token", script: Self.script(version: "v1", prompts: ["you-entered"]),
                                          extraYAML: "http: { admin-token: \"\(token)\" }")
        defer { server.stop() }
        let reload = server.httpBase.appendingPathComponent("admin/reload")

        let missing = try HTTPExchange.send("POST", reload)
        XCTAssertEqual(missing.status, 401, missing.text)
        XCTAssertEqual(missing.header("WWW-Authenticate"), #"Bearer realm="switchback-admin""#)
        let wrong = try HTTPExchange.send("POST", reload, headers: ["Authorization": "Bearer \(token)x"])
        XCTAssertEqual(wrong.status, 401, wrong.text)
        let otherScheme = try HTTPExchange.send("POST", reload, headers: ["Authorization": "Basic \(token)"])
        XCTAssertEqual(otherScheme.status, 401, otherScheme.text)
        XCTAssertTrue(server.events { $0["message"] == "configuration reloaded" }.isEmpty, "no reload without the token")

        let allowed = try HTTPExchange.send("POST", reload, headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(allowed.status, 200, allowed.text)
        XCTAssertEqual(allowed.json?["reloaded"] as? Bool, true)
        XCTAssertEqual(allowed.json?["accessNumbers"] as? [String], ["100", "200"])
        try server.waitForEvents(timeout: 5) { $0["message"] == "configuration reloaded" && $0["trigger"] == "POST /admin/reload" }

        // Only the admin routes are guarded.
        let health = try HTTPExchange.send("GET", server.httpBase.appendingPathComponent("healthz"))
        XCTAssertEqual(health.status, 200, health.text)
    }

    // MARK: - start

    /// At start, a campaign script with an error stops the server with its diagnostics.
    func testServerRefusesToStartWithABrokenScript() throws {
        let directory = try InteropPaths.temporaryDirectory("reload-start")
        let file = directory.appendingPathComponent("reload.yaml")
        try Self.script(version: "v1", prompts: ["no-such-prompt"]).write(to: file, atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("switchback.yaml")
        try """
        sip:
          listen: [udp:127.0.0.1:0, tcp:127.0.0.1:0]
        media: { rtp-ports: 42000-42999, bind: 127.0.0.1 }
        sounds: \(InteropPaths.packageRoot.path)/sounds
        campaigns:
          probe: { script: \(file.path) }
        access-numbers:
          "200": { campaign: probe }
        """.write(to: config, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(InteropPaths.binary.path, [
            "serve", "--config", config.path, "--http-listen", "127.0.0.1:0",
            "--data-dir", directory.appendingPathComponent("data").path, "--log-format", "json",
        ], in: directory, timeout: 30)
        XCTAssertNotEqual(result.status, 0, result.output)
        let messages = result.output.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["message"] as? String
        }
        XCTAssertTrue(messages.contains { $0.hasPrefix("\(file.path):7:14: error: prompt 'no-such-prompt' does not exist") },
                      result.output)
        XCTAssertFalse(messages.contains("SIP listening"), "the server must not start serving")
    }

    /// Call A's result, handed from the thread that ran it (read after its semaphore).
    private final class OutcomeBox: @unchecked Sendable {
        var value: Result<ProcessResult, any Error>?
    }
}
