import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The callback services end to end through the real binary (issue 6): a sipp caller's
/// trigger call (180, then 486, never answered) queues the callback, the queue worker
/// calls back through a trunk to sipp playing the user's phone, and the campaign's script
/// runs on that leg. Covered: ANI callback forwarding to a destination (both legs billed);
/// PIN callback of an unknown caller ID that remembers it, so the next callback skips the
/// PIN; DID callback with the caller ID withheld, to the account's forward number.
final class CallbackEndToEndTests: XCTestCase {
    static let callerNumber = "7001"
    static let delaySeconds = 2.0

    /// alice's authorised caller ID 5551234 calls access number 1001 (ani-callback,
    /// `callback: always`): busy, then the callback after 2 s, presenting 7001; alice keys
    /// 2 and the destination, the script forwards, and both legs are answered and billed.
    func testANITriggerIsCalledBackAndItsForwardIsBilledOnBothLegs() throws {
        let userNumber = "5551234", destination = "4930777"
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "callback-e2e-ani-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let trigger = try Sipp(name: "callback-e2e-ani-trigger")
        let user = try Sipp(name: "callback-e2e-ani-user")
        let callee = try Sipp(name: "callback-e2e-ani-callee")
        try user.makeDTMFPcap("\(destination)#", named: "dest.pcap", seed: 82)
        let userPorts = Self.freePorts()
        let calleePorts = Self.freePorts(avoiding: [userPorts])
        let server = try startServer(data: data, script: "\(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml",
                                     userPort: userPorts.sip, calleePort: calleePorts.sip, name: "callback-e2e-ani")
        defer { server.stop() }
        let userRun = Background { try Self.runUAS(user, scenario: "callback-queue-user.xml", ports: userPorts) }
        let calleeRun = Background { try Self.runUAS(callee, scenario: "dial_callee.xml", ports: calleePorts) }
        Thread.sleep(forTimeInterval: 0.5)   // both phones listening

        let triggered = try runTrigger(trigger, server: server, accessNumber: "1001", caller: userNumber,
                                       avoiding: [userPorts, calleePorts])
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        let userResult = try userRun.wait(timeout: 70)
        let calleeResult = try calleeRun.wait(timeout: 70)
        XCTAssertEqual(userResult.status, 0, "the user's sipp failed:\n\(userResult.output)\n\(log())")
        XCTAssertEqual(calleeResult.status, 0, "the callee's sipp failed:\n\(calleeResult.output)\n\(log())")

        let invite = try XCTUnwrap(CallbackQueueTests.invites(in: user).first, "a callback INVITE\n\(user.messageTrace())")
        XCTAssertEqual(CallbackQueueTests.invites(in: user).count, 1)
        XCTAssertEqual(invite.requestUser, userNumber, "the caller ID is called back")
        XCTAssertEqual(invite.fromUser, Self.callerNumber, "callback.caller-number is presented")
        try assertTiming(invite, trigger: triggered, what: "ANI")

        // The queue entry went calling-b → connected when the forward was bridged.
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback connected" }
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        for node in ["login", "balance", "ask-number", "check", "call"] {
            XCTAssertTrue(nodes.contains(node), "node \(node) ran: \(nodes)\n\(log())")
        }
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" }.map { $0["value"] ?? "" }, [destination], log())
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(destination)@"), "the forward went through the trunk")
        // Parity: `simulate` of the trigger refuses it busy and calls back at `login`; the
        // callback leg walks from there the nodes `simulate` walks with the same keys.
        let alice = ["--account", "alice", "--ani", userNumber, "--ani-registered"]
        let walked = try ScriptParity.simulatedTrigger(script: "ani-callback", arguments: alice)
        XCTAssertEqual(walked.hangup, "busy")
        XCTAssertEqual(walked.node, "login")
        try ScriptParity.assertParity(server, [
            .init(script: walked.script ?? "ani-callback", start: "login",
                  arguments: alice + ["--node", "login", "--digits", "\(destination)#"], endsEarly: true),
        ])

        let cdrs = try settledCDRs(data, account: "alice", count: 2)
        let aLeg = try XCTUnwrap(cdrs.first { $0["leg"] == "a" }, "an A-leg CDR: \(cdrs)\n\(log())")
        let bLeg = try XCTUnwrap(cdrs.first { $0["leg"] == "b" }, "a B-leg CDR: \(cdrs)\n\(log())")
        XCTAssertEqual(aLeg["to"], userNumber)
        XCTAssertEqual(bLeg["to"], destination)
        XCTAssertEqual([aLeg["trigger"], bLeg["trigger"]], ["sip-ani", "sip-ani"], "the CDRs say what started the call")
        for leg in [aLeg, bLeg] {
            XCTAssertEqual(leg["disposition"], "answered", "\(leg)")
            XCTAssertGreaterThan(Decimal(string: leg["cost"] ?? "") ?? 0, 0, "\(leg)")
        }
    }

    /// An unknown caller ID on an ANI-callback number (`callback: always`, anumberhandling
    /// 3): busy, then a callback that asks the PIN; the PIN success remembers the caller ID.
    /// A second trigger from it (after the 1 s idempotency window) is called back as alice
    /// by ANI, without a PIN prompt.
    func testPINCallbackRemembersTheCallerIDSoTheNextCallbackSkipsThePIN() throws {
        let userNumber = "5552000"
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "callback-e2e-pin-data")
        XCTAssertFalse(try OperatorCLI.run(["callers", "list", "alice"], data: data).contains(userNumber))
        // The PIN callback's first leg is placed before anyone is authenticated: the house pays for it (issue 11).
        try OperatorCLI.run(["accounts", "add", "house", "--password", "9753", "--balance", "10", "--plan", "card"], data: data)
        // The shipped script: a PIN success on the callback leg remembers the caller ID.
        let script = InteropPaths.packageRoot.appendingPathComponent("scripts/ani-callback.yaml")
        let trigger = try Sipp(name: "callback-e2e-pin-trigger")
        let firstUser = try Sipp(name: "callback-e2e-pin-user")
        try firstUser.makeDTMFPcap("123456#", named: "pin.pcap", seed: 83)
        let userPorts = Self.freePorts()
        let server = try startServer(data: data, script: script.path, userPort: userPorts.sip,
                                     calleePort: userPorts.sip + 1000, name: "callback-e2e-pin", houseAccount: "house")
        defer { server.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }

        // First: unknown caller ID, the callback leg asks the PIN.
        var userRun = Background { try Self.runUAS(firstUser, scenario: "callback-e2e-user-pin.xml", ports: userPorts) }
        Thread.sleep(forTimeInterval: 0.5)
        var triggered = try runTrigger(trigger, server: server, accessNumber: "1001", caller: userNumber,
                                       avoiding: [userPorts])
        var userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the user's sipp failed:\n\(userResult.output)\n\(log())")
        let firstInvite = try XCTUnwrap(CallbackQueueTests.invites(in: firstUser).first, firstUser.messageTrace())
        XCTAssertEqual(firstInvite.requestUser, userNumber)
        XCTAssertEqual(firstInvite.fromUser, Self.callerNumber)
        try assertTiming(firstInvite, trigger: triggered, what: "PIN")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        XCTAssertEqual(try Self.requests(data).first?["trigger"], "sip-pin", "an unknown caller ID is a PIN callback")
        XCTAssertEqual(try Self.requests(data).first?["accountID"], "", "no account before the PIN")
        let firstPrompts = Self.pinPrompts(server)
        XCTAssertFalse(firstPrompts.isEmpty, "the first callback asked the PIN\n\(log())")
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" && $0["node"] == "login" }.count, 1, log())
        XCTAssertTrue(server.events { $0["step"] == "service-answered" && $0["node"] == "login" }
            .contains { $0["result"] == "authenticated alice" }, log())
        let callers = try OperatorCLI.run(["callers", "list", "alice"], data: data)
        XCTAssertTrue(callers.contains(userNumber), "the PIN success remembered the caller ID:\n\(callers)\n\(log())")
        // The first leg was rated, reserved and billed to the house account until the PIN,
        // then handed over to alice, who pays for the rest of it.
        let houseLeg = try XCTUnwrap(try settledCDRs(data, account: "house", count: 1).first, log())
        XCTAssertEqual([houseLeg["leg"], houseLeg["to"], houseLeg["trigger"]], ["a", userNumber, "sip-pin"], "\(houseLeg)")
        XCTAssertGreaterThan(Decimal(string: houseLeg["cost"] ?? "") ?? 0, 0, "\(houseLeg)")
        let aliceLeg = try XCTUnwrap(try settledCDRs(data, account: "alice", count: 1).first, log())
        XCTAssertEqual([aliceLeg["leg"], aliceLeg["to"], aliceLeg["trigger"], aliceLeg["from"]],
                       ["a", userNumber, "sip-pin", houseLeg["from"]], "the same leg goes on: \(aliceLeg)")
        XCTAssertEqual(aliceLeg["answer"], houseLeg["end"], "alice pays from the moment the house stopped")
        XCTAssertGreaterThan(Decimal(string: aliceLeg["cost"] ?? "") ?? 0, 0, "\(aliceLeg)")
        XCTAssertEqual(server.events { $0["message"] == "access leg handed over" }.first?["account"], "alice", log())
        XCTAssertEqual(try Self.sqlite(data, """
            SELECT a.login FROM account a LEFT JOIN ledgerEntry l ON l.accountID = a.id
            GROUP BY a.id HAVING a.balanceMinorUnits <> COALESCE(SUM(l.amountMinorUnits), 0)
            """), [], "every balance equals its ledger")

        // Second: the remembered caller ID authenticates; no PIN prompt on the callback.
        Thread.sleep(forTimeInterval: 1.2)   // past the idempotency window
        let secondUser = try Sipp(name: "callback-e2e-pin-user-2")
        userRun = Background {
            try Self.runUAS(secondUser, scenario: "callback-queue-user-short.xml", ports: userPorts, holdMilliseconds: 4000)
        }
        Thread.sleep(forTimeInterval: 0.5)
        triggered = try runTrigger(trigger, server: server, accessNumber: "1001", caller: userNumber,
                                       avoiding: [userPorts])
        userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the user's second sipp failed:\n\(userResult.output)\n\(log())")
        let secondInvite = try XCTUnwrap(CallbackQueueTests.invites(in: secondUser).first, secondUser.messageTrace())
        XCTAssertEqual(secondInvite.requestUser, userNumber)
        try assertTiming(secondInvite, trigger: triggered, what: "second PIN")
        try server.waitForEvents(count: 2, timeout: 10) { $0["message"] == "callback completed" }
        let rows = try Self.requests(data)
        XCTAssertEqual(rows.count, 2, "\(rows)")
        XCTAssertEqual(rows.last?["trigger"], "sip-ani", "the remembered caller ID is an ANI callback: \(rows)")
        XCTAssertEqual(rows.last?["accountID"], try Self.accountID(data, "alice"), "bound to alice")
        XCTAssertEqual(Self.pinPrompts(server).count, firstPrompts.count, "no PIN prompt on the second callback\n\(log())")
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" && $0["node"] == "login" }.count, 1,
                       "no PIN collected on the second callback")
        XCTAssertEqual(server.events { $0["step"] == "node-entered" && $0["node"] == "balance" }.count, 2,
                       "both callbacks said the balance\n\(log())")
    }

    /// bob's personal DID 4930500 is called with the caller ID withheld: busy, then the
    /// callback goes to bob's forward number 5557777, presenting 7001.
    func testDIDTriggerWithWithheldCallerIDCallsTheForwardNumberBack() throws {
        let forward = "5557777"
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "callback-e2e-did-data")
        try OperatorCLI.run(["accounts", "add", "bob", "--password", "1357", "--pin", "567890", "--balance", "10",
                             "--plan", "card", "--forward", forward, "--did", "4930500"], data: data)
        let trigger = try Sipp(name: "callback-e2e-did-trigger")
        let user = try Sipp(name: "callback-e2e-did-user")
        let userPorts = Self.freePorts()
        let server = try startServer(data: data, script: "\(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml",
                                     userPort: userPorts.sip, calleePort: userPorts.sip + 1000, name: "callback-e2e-did")
        defer { server.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        let userRun = Background {
            try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: userPorts, holdMilliseconds: 3000)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let triggered = try runTrigger(trigger, server: server, accessNumber: "4930500", caller: nil, avoiding: [userPorts])
        let userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the forward number's sipp failed:\n\(userResult.output)\n\(log())")
        let invite = try XCTUnwrap(CallbackQueueTests.invites(in: user).first, user.messageTrace())
        XCTAssertEqual(invite.requestUser, forward, "the account's forward number is called back")
        XCTAssertEqual(invite.fromUser, Self.callerNumber, "callback.caller-number is presented")
        try assertTiming(invite, trigger: triggered, what: "DID")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        let row = try XCTUnwrap(Self.requests(data).first)
        XCTAssertEqual(row["trigger"], "sip-did")
        XCTAssertEqual(row["originNumber"], forward)
        XCTAssertEqual(row["accountID"], try Self.accountID(data, "bob"))
        XCTAssertEqual(row["state"], "completed")
        XCTAssertTrue(server.events { $0["step"] == "node-entered" }.contains { $0["node"] == "balance" },
                      "the callback leg runs the calling-card flow\n\(log())")
        // Parity: `simulate` of the trigger (identified by its DID) refuses it busy and calls
        // the forward number back into the calling card at `balance`; the callback leg, which
        // the forward number hung up during its prompts, walks what `simulate` walks.
        let bob = ["--account", "bob", "--did", "4930500", "--forward", forward]
        let walked = try ScriptParity.simulatedTrigger(script: "did-callback",
                                                       arguments: bob + ["--ani", "anonymous", "--dnis", "4930500"])
        XCTAssertEqual(walked.hangup, "busy")
        XCTAssertEqual(walked.script, "calling-card")
        XCTAssertEqual(walked.node, "balance")
        try ScriptParity.assertParity(server, [
            .init(script: "calling-card", start: "balance", arguments: bob + ["--node", "balance"], endsEarly: true),
        ])
    }

    /// alice's callback A leg is busy (sipp answers 486): the leg was rated and reserved
    /// before its INVITE, and its reservation is settled at no charge with a CDR that says
    /// busy, 486 and the trigger (issue 11: every trunk leg is recorded, answered or not).
    func testAnUnansweredCallbackALegLeavesAZeroCostCDR() throws {
        let userNumber = "5551234"
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "callback-e2e-busy-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let trigger = try Sipp(name: "callback-e2e-busy-trigger")
        let user = try Sipp(name: "callback-e2e-busy-user")
        let userPorts = Self.freePorts()
        let server = try startServer(data: data, script: "\(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml",
                                     userPort: userPorts.sip, calleePort: userPorts.sip + 1000, name: "callback-e2e-busy")
        defer { server.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        let userRun = Background { try Self.runUAS(user, scenario: "callback-queue-user-busy.xml", ports: userPorts) }
        Thread.sleep(forTimeInterval: 0.5)
        _ = try runTrigger(trigger, server: server, accessNumber: "1001", caller: userNumber, avoiding: [userPorts])
        let userResult = try userRun.wait(timeout: 40)
        XCTAssertEqual(userResult.status, 0, "the user's sipp failed:\n\(userResult.output)\n\(log())")
        XCTAssertEqual(CallbackQueueTests.invites(in: user).count, 1, user.messageTrace())
        let cdrs = try settledCDRs(data, account: "alice", count: 1)
        let aLeg = try XCTUnwrap(cdrs.first { $0["leg"] == "a" }, "an A-leg CDR for the busy leg: \(cdrs)\n\(log())")
        XCTAssertEqual(aLeg["to"], userNumber)
        XCTAssertEqual(aLeg["disposition"], "busy", "\(aLeg)")
        XCTAssertEqual(aLeg["sip_cause"], "486", "\(aLeg)")
        XCTAssertEqual(aLeg["trigger"], "sip-ani", "\(aLeg)")
        XCTAssertEqual(Decimal(string: aLeg["cost"] ?? ""), 0, "\(aLeg)")
        XCTAssertEqual(Decimal(string: try OperatorCLI.show("alice", data: data).balance.components(separatedBy: " ").first ?? ""),
                       10, "the balance is untouched")
        XCTAssertFalse(server.events { $0["message"] == "callback leg admitted" }.isEmpty, "admitted before the INVITE\n\(log())")
    }

    // MARK: - Set-up

    /// Plan `card`: the callback leg to a user's phone (555…) and the PSTN (49…).
    static let deck = """
        prefix,description,rate,connection fee,first increment,increment
        555,Callback leg,0.0600,0.0100,1,1
        49,Germany,0.1200,0.0000,1,1
        """

    /// Access number 1001 runs `script` (an ANI callback, `callback: always`); DIDs call
    /// back with did-callback. Users' phones (555…) behind trunk `users`, the PSTN (49…)
    /// behind trunk `pstn`; callbacks 2 s after the trigger, presenting 7001; the
    /// idempotency window is 1 s so a second trigger is a new request.
    private func startServer(data: URL, script: String, userPort: Int, calleePort: Int, name: String,
                             houseAccount: String? = nil) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        return try ServerProcess.callbacks(campaignsYAML: """
                                             ani-callback: { script: \(script) }
                                             did-callback: { script: \(root)/scripts/did-callback.yaml }
                                           """,
                                           userPort: userPort, calleePort: calleePort, callerNumber: Self.callerNumber,
                                           callbackYAML: """
                                             delay: \(Int(Self.delaySeconds))s
                                             anumberhandling: 3
                                             idempotency-window: 1s
                                             did-campaign: did-callback
                                           """ + (houseAccount.map { "\n  free-access-user: \($0)" } ?? ""), name: name, data: data)
    }

    /// When a trigger call was made: just before its INVITE, and once sipp saw the 486.
    struct Trigger {
        var sent: Date
        var refused: Date
    }

    /// A trigger call: 180 then 486 (the scenario fails on a 200), ACKed. `caller` nil:
    /// the caller ID is withheld (From sip:anonymous@anonymous.invalid).
    private func runTrigger(_ sipp: Sipp, server: ServerProcess, accessNumber: String, caller: String?,
                            avoiding taken: [(sip: Int, media: Int)]) throws -> Trigger {
        let ports = Self.freePorts(avoiding: taken)
        let sent = Date()
        let result = try sipp.run(scenario: caller == nil ? "callback-e2e-anonymous-trigger.xml" : "callback-trigger-caller.xml",
                                  target: "127.0.0.1:\(server.udpPort)", service: accessNumber,
                                  mediaPort: ports.media, sipPort: ports.sip, keys: caller.map { ["caller": $0] } ?? [:],
                                  timeout: 20)
        let refused = Date()
        XCTAssertEqual(result.status, 0, "trigger sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        XCTAssertTrue(sipp.messageTrace().contains("SIP/2.0 486"), "the trigger was refused busy")
        return Trigger(sent: sent, refused: refused)
    }

    /// The callback INVITE came after the delay and within delay + 2 s of the trigger.
    private func assertTiming(_ invite: CallbackQueueTests.ReceivedInvite, trigger: Trigger, what: String) throws {
        // The server queues (notBefore = now + delay) between our INVITE and the 486 sipp
        // saw, and sipp's exit comes later still: the delay is measured from the INVITE.
        let afterTrigger = invite.time.timeIntervalSince(trigger.sent)
        let afterRefusal = invite.time.timeIntervalSince(trigger.refused)
        XCTAssertGreaterThanOrEqual(afterTrigger, Self.delaySeconds - 0.05, "\(what): not before the delay")
        XCTAssertLessThan(afterTrigger, Self.delaySeconds + 2, "\(what): within delay + 2 s of the trigger")
        let figure = String(format: "%@ callback: trigger INVITE → callback INVITE %.3f s (486 → INVITE %.3f s, delay %.0f s)",
                            what, afterTrigger, afterRefusal, Self.delaySeconds)
        print(figure)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("switchback-callback-e2e.txt")
        let previous = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        try? (previous + figure + "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    /// The PIN prompts the server asked for (the `login` node's enter-pin).
    private static func pinPrompts(_ server: ServerProcess) -> [[String: String]] {
        server.events { $0["step"] == "prompt-requested" && $0["node"] == "login" && ($0["prompts"] ?? "").contains("enter-pin") }
    }

    /// The account's CDRs once `count` of them are settled (bounded wait).
    private func settledCDRs(_ data: URL, account: String, count: Int) throws -> [[String: String]] {
        var cdrs: [[String: String]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            cdrs = try OperatorCLI.cdrRows(data).filter { $0["account"] == account }
            if cdrs.count >= count, cdrs.allSatisfy({ $0["disposition"] != "in-progress" }) { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return cdrs
    }

    /// The callback queue, by id.
    static func requests(_ data: URL) throws -> [[String: String]] {
        let names = ["state", "trigger", "originNumber", "accountID"]
        return try Self.sqlite(data, "SELECT state, trigger, originNumber, IFNULL(accountID, '') FROM callbackRequest ORDER BY id")
            .map { Dictionary(uniqueKeysWithValues: zip(names, $0)) }
    }

    static func accountID(_ data: URL, _ login: String) throws -> String? {
        try Self.sqlite(data, "SELECT id FROM account WHERE login = '\(login)'").first?.first
    }

    static func sqlite(_ data: URL, _ sql: String) throws -> [[String]] {
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let result = try ChildProcess.run(sqlite, ["-cmd", ".timeout 10000", "-separator", "|",
                                                   data.appendingPathComponent("switchback.sqlite").path, sql], timeout: 30)
        guard result.status == 0 else { throw ServerProcess.Failure("sqlite3 failed: \(result.output)") }
        return result.output.components(separatedBy: .newlines).filter { !$0.isEmpty }.map { $0.components(separatedBy: "|") }
    }

    /// Ports for a sipp (SIP, and audio/video RTP and RTCP from the media port on) that are
    /// free now and clear of `taken`: other interop tests run sipp on the same ranges.
    static func freePorts(avoiding taken: [(sip: Int, media: Int)] = []) -> (sip: Int, media: Int) {
        var candidate = Sipp.ports()
        for _ in 0..<50 {
            let clear = taken.allSatisfy { abs($0.sip - candidate.sip) > 1 && abs($0.media - candidate.media) > 4 }
            if clear, ([candidate.sip] + Array(candidate.media...(candidate.media + 3))).allSatisfy(udpPortIsFree) {
                return candidate
            }
            candidate = Sipp.ports()
        }
        return candidate
    }

    private static func udpPortIsFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A sipp UAS playing a phone behind a trunk, for one call.
    static func runUAS(_ sipp: Sipp, scenario: String, ports: (sip: Int, media: Int),
                               holdMilliseconds: Int = 1000, timeout: TimeInterval = 60) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-m", "1",
            "-d", "\(holdMilliseconds)", "-timeout", "\(Int(timeout) - 5)s", "-timeout_error", "-nostdin",
            "-trace_err", "-trace_msg", "-default_behaviors", "all,-abortunexp",
        ], in: sipp.work, timeout: timeout)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }
}
