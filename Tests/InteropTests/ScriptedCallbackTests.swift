import Foundation
import XCTest

/// A script's `callback` verb on a live call, through the real binary (issue 10): what
/// `switchback simulate` shows scheduling is what a caller gets. The shipped PIN callback
/// (pin-callback.yaml, answered on its access number) takes a wrong PIN, then the right
/// one, queues the callback, and the caller's phone is called back into the calling-card
/// menu; a second call from the now remembered caller ID asks no PIN. A script that
/// writes `to:` and `delay: 1s` calls that number about a second later.
final class ScriptedCallbackTests: XCTestCase {
    static let callerNumber = "7001"
    static let delaySeconds = 2.0

    func testPINCallbackOnItsAccessNumberCallsBackAfterTheRightPINAndRemembersTheCaller() throws {
        let userNumber = "5551234"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "scripted-callback-pin-data")
        let root = InteropPaths.packageRoot.path
        let userPorts = CallbackEndToEndTests.freePorts()
        let server = try server(accessNumber: "1002", campaign: "pin-callback: { script: \(root)/scripts/pin-callback.yaml }",
                                userPort: userPorts.sip, data: data, name: "scripted-callback-pin")
        defer { server.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }

        // First call: 999999# is refused, 123456# is alice's PIN; the script schedules and hangs up.
        let firstUser = try Sipp(name: "scripted-callback-pin-user")
        var userRun = Background {
            try CallbackEndToEndTests.runUAS(firstUser, scenario: "callback-queue-user-short.xml", ports: userPorts,
                                             holdMilliseconds: 3000)
        }
        let caller = try Sipp(name: "scripted-callback-pin-caller")
        try caller.makeDTMFPcap("999999#", named: "first.pcap", seed: 91)
        try caller.makeDTMFPcap("123456#", named: "second.pcap", seed: 92)
        var called = try call(caller, server: server, accessNumber: "1002", from: userNumber, pauseMilliseconds: 4000,
                              avoiding: [userPorts])
        XCTAssertEqual(called.status, 0, "the caller's sipp failed:\n\(called.output)\n\(log())")
        var userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the called-back phone's sipp failed:\n\(userResult.output)\n\(log())")

        let results = server.events { $0["step"] == "service-answered" && $0["node"] == "login" }.map { $0["result"] ?? "" }
        XCTAssertEqual(Array(results.prefix(3)), ["authentication-failed", "authentication-failed", "authenticated alice"],
                       "ANI, the wrong PIN, the right PIN: \(results)")
        XCTAssertFalse(server.events { ($0["prompts"] ?? "").contains("login-failed") }.isEmpty, "the wrong PIN was said")
        let queued = try XCTUnwrap(server.events { $0["message"] == "callback queued" }.first, log())
        let invite = try XCTUnwrap(CallbackQueueTests.invites(in: firstUser).first, firstUser.messageTrace())
        XCTAssertEqual(CallbackQueueTests.invites(in: firstUser).count, 1)
        XCTAssertEqual(invite.requestUser, userNumber, "the caller is called back")
        XCTAssertEqual(invite.fromUser, Self.callerNumber, "callback.caller-number is presented")
        try assertDelay(from: queued, to: invite, seconds: Self.delaySeconds)
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        XCTAssertTrue(server.events { $0["step"] == "node-entered" }.contains { $0["node"] == "balance" },
                      "the callback leg runs the calling-card node the verb named\n\(log())")
        var rows = try CallbackEndToEndTests.requests(data)
        XCTAssertEqual(rows.count, 1, "\(rows)")
        XCTAssertEqual(rows.first?["trigger"], "script")
        XCTAssertEqual(rows.first?["originNumber"], userNumber)
        XCTAssertEqual(rows.first?["accountID"], try CallbackEndToEndTests.accountID(data, "alice"), "the account the PIN bound")
        XCTAssertTrue(try OperatorCLI.run(["callers", "list", "alice"], data: data).contains(userNumber),
                      "remember-caller stored the caller ID")
        let pinPrompts = server.events { $0["step"] == "prompt-requested" && ($0["prompts"] ?? "").contains("enter-pin") }.count

        // Second call, past the idempotency window: the caller ID authenticates, no PIN.
        Thread.sleep(forTimeInterval: 1.2)
        let secondUser = try Sipp(name: "scripted-callback-pin-user-2")
        userRun = Background {
            try CallbackEndToEndTests.runUAS(secondUser, scenario: "callback-queue-user-short.xml", ports: userPorts,
                                             holdMilliseconds: 2000)
        }
        let again = try Sipp(name: "scripted-callback-pin-caller-2")
        try again.makeDTMFPcap("*", named: "first.pcap", seed: 93)
        try again.makeDTMFPcap("*", named: "second.pcap", seed: 94)
        called = try call(again, server: server, accessNumber: "1002", from: userNumber, pauseMilliseconds: 0,
                          avoiding: [userPorts])
        XCTAssertEqual(called.status, 0, "the second caller's sipp failed:\n\(called.output)\n\(log())")
        userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the second callback's sipp failed:\n\(userResult.output)\n\(log())")
        XCTAssertEqual(CallbackQueueTests.invites(in: secondUser).first?.requestUser, userNumber)
        try server.waitForEvents(count: 2, timeout: 10) { $0["message"] == "callback completed" }
        XCTAssertEqual(server.events { $0["step"] == "prompt-requested" && ($0["prompts"] ?? "").contains("enter-pin") }.count,
                       pinPrompts, "no PIN asked the second time\n\(log())")
        rows = try CallbackEndToEndTests.requests(data)
        XCTAssertEqual(rows.count, 2, "\(rows)")

        // Parity: both triggers and both callback legs walk the nodes `simulate` walks with
        // the same keys (the legs hung up during the calling card's prompts).
        let alice = ["--account", "alice", "--ani", userNumber]
        let callbackLeg = ScriptParity.Walk(script: "calling-card", start: "balance", arguments: alice + ["--node", "balance"],
                                            endsEarly: true)
        try ScriptParity.assertParity(server, [
            .init(script: "pin-callback", start: "login", arguments: alice + ["--digits", "999999#", "--digits", "123456#"]),
            callbackLeg,
            .init(script: "pin-callback", start: "login", arguments: alice + ["--ani-registered"]),
            callbackLeg,
        ])
    }

    func testAScriptThatWritesToAndDelayCallsThatNumberASecondLater() throws {
        let target = "5557000"
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/callback-verb.yaml").path
        let userPorts = CallbackEndToEndTests.freePorts()
        let data = try InteropPaths.temporaryDirectory("scripted-callback-verb-data").appendingPathComponent("data")
        try OperatorCLI.importRateDeck(CallbackEndToEndTests.deck, plan: "card", data: data)
        // The callback costs money: the call is bound to an account (free IVR access) that
        // pays for it; a script's callback on a call nobody is bound to is refused (issue 11).
        try OperatorCLI.run(["accounts", "add", "house", "--password", "9753", "--balance", "10", "--plan", "card"], data: data)
        let server = try server(accessNumber: "1003", campaign: "callback-verb: { script: \(script) }",
                                userPort: userPorts.sip, data: data, name: "scripted-callback-verb", freeAccessUser: "house")
        defer { server.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        let user = try Sipp(name: "scripted-callback-verb-user")
        let userRun = Background {
            try CallbackEndToEndTests.runUAS(user, scenario: "callback-queue-user-short.xml", ports: userPorts,
                                             holdMilliseconds: 3000)
        }
        let caller = try Sipp(name: "scripted-callback-verb-caller")
        try caller.makeDTMFPcap("*", named: "first.pcap", seed: 95)
        try caller.makeDTMFPcap("*", named: "second.pcap", seed: 96)
        let called = try call(caller, server: server, accessNumber: "1003", from: "5551234", pauseMilliseconds: 0,
                              avoiding: [userPorts])
        XCTAssertEqual(called.status, 0, "the caller's sipp failed:\n\(called.output)\n\(log())")
        let userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the called number's sipp failed:\n\(userResult.output)\n\(log())")
        let queued = try XCTUnwrap(server.events { $0["message"] == "callback queued" }.first, log())
        let invite = try XCTUnwrap(CallbackQueueTests.invites(in: user).first, user.messageTrace())
        XCTAssertEqual(invite.requestUser, target, "the number the script wrote")
        try assertDelay(from: queued, to: invite, seconds: 1)
        try server.waitForEvents(timeout: 10) { $0["step"] == "node-entered" && $0["node"] == "greet" }
        // Rated, reserved and recorded: house's A-leg CDR to the number the script wrote.
        var cdrs: [[String: String]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            cdrs = try OperatorCLI.cdrRows(data).filter { $0["account"] == "house" && $0["disposition"] != "in-progress" }
            if !cdrs.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        let leg = try XCTUnwrap(cdrs.first, "the callback leg's CDR\n\(log())")
        XCTAssertEqual([leg["leg"], leg["to"], leg["trigger"]], ["a", target, "script"], "\(leg)")
    }

    // MARK: - Set-up

    /// `accessNumber` answers and runs `campaign`'s script (`callback: none`); the
    /// calling-card script is beside it; users' phones (555…) behind trunk `users`, whose
    /// source (loopback) is trusted.
    private func server(accessNumber: String, campaign: String, userPort: Int, data: URL, name: String,
                        freeAccessUser: String? = nil) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        let campaignName = String(campaign.prefix { $0 != ":" })
        return try ServerProcess(
            accessNumbersYAML: "  \"\(accessNumber)\": { campaign: \(campaignName), callback: none }",
            campaignsYAML: """
              \(campaign)
              calling-card: { script: \(root)/scripts/calling-card.yaml }
            """,
            extraYAML: """
            trunks:
              - name: users
                uri: sip:127.0.0.1:\(userPort)
                destinations: ["555"]
                # The callers (sipp on loopback) come from this trunk, so their caller IDs
                # are trusted for ANI and remember-caller (issue 11).
                trusted-sources: [127.0.0.1/32]
            callback:
              caller-number: "\(Self.callerNumber)"
              delay: \(Int(Self.delaySeconds))s
              anumberhandling: 3
              idempotency-window: 1s
            """ + (freeAccessUser.map { "\n  free-ivr-access: true\n  free-access-user: \($0)" } ?? ""),
            name: name, dataDirectory: data)
    }

    /// A caller answered by the script: first.pcap's digits, a pause, second.pcap's, then
    /// the server's BYE.
    private func call(_ sipp: Sipp, server: ServerProcess, accessNumber: String, from caller: String,
                      pauseMilliseconds: Int, avoiding taken: [(sip: Int, media: Int)]) throws -> ProcessResult {
        let ports = CallbackEndToEndTests.freePorts(avoiding: taken)
        return try sipp.run(scenario: "pin-callback-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: accessNumber,
                            mediaPort: ports.media, sipPort: ports.sip,
                            keys: ["caller": caller], extraArguments: ["-d", "\(max(1, pauseMilliseconds))"], timeout: 40)
    }

    /// The callback INVITE came `seconds` after the server queued it (within 1.5 s more).
    private func assertDelay(from queued: [String: String], to invite: CallbackQueueTests.ReceivedInvite,
                             seconds: Double) throws {
        let queuedAt = try XCTUnwrap(ServerProcess.time(of: queued), "\(queued)")
        let delay = invite.time.timeIntervalSince(queuedAt)
        XCTAssertGreaterThanOrEqual(delay, seconds - 0.05, "not before the delay")
        XCTAssertLessThan(delay, seconds + 1.5, "soon after the delay")
        print(String(format: "scripted callback: queued → INVITE %.3f s (delay %.0f s)", delay, seconds))
    }
}
