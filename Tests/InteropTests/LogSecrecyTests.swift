import Foundation
import XCTest

/// No secret in the logs (issue 18): a caller authenticates by PIN (RFC 4733 keys) on the
/// shipped calling-card script with the server at its most verbose (`--log-level trace`);
/// neither the PIN nor the account's password appears anywhere in what it logged, not
/// even one key at a time, while the call's steps are all there.
final class LogSecrecyTests: XCTestCase {
    static let deck = """
        prefix,description,rate,connection fee,first increment,increment
        700,Calling card access,0.0725,0.0150,30,6
        """
    /// Digits that occur nowhere else in a call's log by chance (ports, tags, times).
    static let pin = "80417395"
    static let password = "Pw-9c1f-secret"

    func testAPINCallLogsNoSecretAtTraceLevel() throws {
        let data = try InteropPaths.temporaryDirectory("secrecy-data").appendingPathComponent("data")
        try OperatorCLI.importRateDeck(Self.deck, plan: "card", data: data)
        try OperatorCLI.run(["accounts", "add", "carol", "--password", Self.password, "--pin", Self.pin, "--balance", "10",
                             "--plan", "card"], data: data)
        let sipp = try Sipp(name: "secrecy")
        try sipp.makeDTMFPcap("\(Self.pin)#")
        let script = InteropPaths.packageRoot.appendingPathComponent("scripts/calling-card.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "700": { campaign: calling-card, callback: none }"#,
                                       campaignsYAML: "  calling-card: { script: \(script) }",
                                       name: "secrecy", dataDirectory: data, logLevel: "trace")
        defer { server.stop() }
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "pin_hold_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "700",
                                  mediaPort: ports.media, sipPort: ports.sip, extraArguments: ["-d", "6000"], timeout: 40)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] != nil }
        let log = server.rawLog

        // The call authenticated by PIN, and the log has every step of it.
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "login" }.map { $0["outcome"] ?? "" }
        XCTAssertEqual(outcomes, ["ok"], "the PIN was accepted\n\(log.suffix(6000))")
        XCTAssertFalse(server.events { $0["message"] == "dtmf" }.isEmpty, "trace level logs each key")
        XCTAssertFalse(server.events { $0["step"] == "digits-collected" }.isEmpty)
        XCTAssertFalse(server.events { $0["step"] == "service-requested" }.isEmpty)

        // ...and no secret: not the PIN, not the password, not the PIN's keys one by one.
        XCTAssertFalse(log.contains(Self.pin), "the PIN is in the log:\n\(log)")
        XCTAssertFalse(log.contains(Self.password), "the password is in the log")
        let keys = server.events { $0["message"] == "dtmf" || $0["step"] == "digit-accepted" }.map { $0["digit"] ?? "" }.joined()
        XCTAssertFalse(keys.contains(String(Self.pin.prefix(4))), "PIN keys logged one by one: \(keys)")
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" }.first?["value"],
                       String(repeating: "*", count: Self.pin.count))
    }

    /// At the default level a call is three lines: received, answered, hangup (with its
    /// cause and duration), and no script step.
    func testInfoLevelLogsThreeLinesPerCall() throws {
        let sipp = try Sipp(name: "info-level")
        try sipp.makeDTMFPcap("42#")
        let server = try ServerProcess(name: "info-level", logLevel: "info")
        defer { server.stop() }
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "demo_rfc4733.xml", target: "127.0.0.1:\(server.udpPort)",
                                  mediaPort: ports.media, sipPort: ports.sip)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let hangup = try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" }
        let call = server.events { $0["call-id"] != nil }
        XCTAssertEqual(call.map { $0["message"] ?? "" }, ["call received", "answered", "hangup"], server.rawLog)
        XCTAssertEqual(hangup.first?["cause"], "normal", server.rawLog)
        XCTAssertNotNil(hangup.first?["duration"].flatMap(Double.init), server.rawLog)
        XCTAssertTrue(call.allSatisfy { $0["level"] == "info" })
    }
}
