import Foundation
import XCTest

/// sipp drives a `menu` through the real server with retries: a wrong key (invalid →
/// feedback prompt, ask again), then silence (timeout → feedback prompt, ask again), then
/// the right key, whose branch runs before the server hangs up.
final class MenuCallTests: XCTestCase {
    func testWrongKeyThenTimeoutThenRightKeyRunsTheChosenBranch() throws {
        let sipp = try Sipp(name: "menu")
        // menu.yaml: main-menu (3.9 s, barge-in), 4 s time-out, feedback prompts of ~2 s.
        // sipp sends '9' 1.5 s after its ACK (during the first menu prompt) and '2' about
        // 15 s later: after the second round has timed out (~11.8 s) and well before the
        // third round would (~21.7 s), so the middle round hears only silence.
        try sipp.makeDTMFPcap("92", gapMilliseconds: 15_000)
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/menu.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "300": { campaign: menu }"#,
                                       campaignsYAML: "  menu: { script: \(script) }", name: "menu")
        defer { server.stop() }
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "menu_rfc4733.xml", target: "127.0.0.1:\(server.udpPort)", service: "300",
                                  mediaPort: ports.media, sipPort: ports.sip, timeout: 45)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }

        // The digits arrived by RFC 4733, in order.
        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }.joined(), "92")
        XCTAssertEqual(Set(digits.map { $0["via"] ?? "" }), ["rfc4733"])

        // The interpreter's trace: invalid, then timeout (each asking again), then the choice.
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["invalid", "timeout", "2"], server.rawLog.suffix(4000).description)
        XCTAssertEqual(outcomes.map { $0["next"] ?? "" }, ["main-menu", "main-menu", "option-two"])
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["main-menu", "main-menu", "main-menu", "option-two", "goodbye"])

        // What the caller was played: the menu, each feedback prompt, the menu again, the branch.
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts, ["en/main-menu", "en/invalid-entry", "en/main-menu", "en/no-input", "en/main-menu",
                                 "en/you-entered", "en/goodbye"])
        XCTAssertTrue(server.events { $0["step"] == "node-entered" && $0["node"] == "option-one" }.isEmpty,
                      "only the chosen branch runs")

        // The server ends the call, once, after the branch.
        let hangups = server.events { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(hangups.count, 1)
        XCTAssertEqual(hangups.first?["cause"], "normal")
    }
}
