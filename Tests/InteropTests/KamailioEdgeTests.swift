import Foundation
import XCTest

/// Several nodes behind Kamailio (issue 17), on loopback: the shipped
/// `deploy/kamailio/kamailio.cfg` dispatching over two `switchback serve` nodes, each
/// on its own SQLite data directory (until the nodes share PostgreSQL), both declaring
/// the edge in `sip.edge-proxies`. sipp plays callers and phones.
///
/// - calling-card calls through the edge are answered and hung up, spread over both
///   nodes, and every BYE reaches the node that holds its call (record-route);
/// - a REGISTER through the edge carries Path, the node stores it and returns it;
/// - trust is judged by the source the edge vouches for; an attacker's forged
///   `X-Switchback-Source` sent straight to a node is ignored;
/// - a node killed with -9 is marked down by the OPTIONS probes and new calls all go
///   to the survivor.
final class KamailioEdgeTests: XCTestCase {
    /// alice's authorised caller ID: trusted (ANI login) only from the trunk's address.
    static let aliceCallerID = "5551234"

    func testCallsThroughTheEdgeSpreadOverBothNodesAndEndOnTheNodeThatHoldsThem() throws {
        let (nodes, edge) = try startCluster("spread")
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let calls = 10
        let result = try Self.runCallers(named: "spread-callers", scenario: "edge-caller.xml", target: "127.0.0.1:\(edge.port)",
                                    from: "127.0.0.1", calls: calls, rate: 5, callIDs: "edge-%u@sipp")
        try waitForHangups(calls, on: nodes)
        let log = describe(nodes, edge)
        XCTAssertEqual(result.status, 0, "every call answered and its BYE answered 200:\n\(result.output.suffix(4000))\n\(log)")

        var total = 0
        for (index, node) in nodes.enumerated() {
            let answered = Set(node.events { $0["message"] == "answered" }.compactMap { $0["call-id"] })
            let hungUp = Set(node.events { $0["message"] == "hangup" && $0["by"] == "caller" }.compactMap { $0["call-id"] })
            XCTAssertFalse(answered.isEmpty, "node \(index + 1) took calls (the dispatcher spreads them)\n\(log)")
            // Record-route: each caller's BYE came back to the node that answered the call.
            XCTAssertEqual(hungUp, answered, "node \(index + 1): every call it answered was hung up there by the caller\n\(log)")
            XCTAssertTrue(node.events { $0["message"] == "edge source header ignored" }.isEmpty,
                          "the edge is in sip.edge-proxies: its header is believed\n\(log)")
            total += answered.count
        }
        XCTAssertEqual(total, calls, "every call answered once, by one node\n\(log)")
        // The OPTIONS probes found both nodes answering 200 all along.
        XCTAssertFalse(edge.lines.contains { $0.contains("node down") }, log)
        print("edge spread: node 1 \(nodes[0].events { $0["message"] == "answered" }.count), "
            + "node 2 \(nodes[1].events { $0["message"] == "answered" }.count) of \(calls) calls")
    }

    func testTrustIsJudgedByTheSourceTheEdgeVouchesForAndAForgedHeaderIsIgnored() throws {
        let (nodes, edge) = try startCluster("trust")
        defer { edge.stop(); nodes.forEach { $0.stop() } }

        // Through the edge from 127.0.0.1, the trunk's trusted address: ANI logs alice in.
        let trusted = try Self.runCallers(named: "trust-trusted", scenario: "edge-caller.xml", target: "127.0.0.1:\(edge.port)",
                                     from: "127.0.0.1", calls: 1, rate: 1, callIDs: "trusted-%u@sipp")
        // Through the edge from 127.0.0.3: the edge itself is 127.0.0.1 (trusted), but the
        // node judges the caller by the source the edge names, which no trunk declares.
        let relayed = try Self.runCallers(named: "trust-relayed", scenario: "edge-caller.xml", target: "127.0.0.1:\(edge.port)",
                                     from: "127.0.0.3", calls: 1, rate: 1, callIDs: "relayed-%u@sipp")
        // Straight to a node from 127.0.0.2, claiming to come from the trusted 127.0.0.1.
        let forged = try Self.runCallers(named: "trust-forged", scenario: "edge-forged-caller.xml",
                                    target: "127.0.0.1:\(nodes[0].udpPort)", from: "127.0.0.2", calls: 1, rate: 1,
                                    callIDs: "forged-%u@sipp", keys: ["claimed": "127.0.0.1:5060"])
        try waitForHangups(3, on: nodes)
        let log = describe(nodes, edge)
        for (name, result) in [("trusted", trusted), ("relayed", relayed), ("forged", forged)] {
            XCTAssertEqual(result.status, 0, "\(name) caller:\n\(result.output.suffix(3000))\n\(log)")
        }

        func answers(_ prefix: String) -> [String] {
            nodes.flatMap { $0.events { $0["step"] == "service-answered" && ($0["call-id"] ?? "").hasPrefix(prefix) } }
                .map { $0["result"] ?? "" }
        }
        func askedForPIN(_ prefix: String) -> Bool {
            nodes.contains { node in
                node.events { ($0["call-id"] ?? "").hasPrefix(prefix) && $0["step"] == "prompt-requested" }
                    .contains { ($0["prompts"] ?? "").contains("enter-pin") }
            }
        }
        XCTAssertTrue(answers("trusted-").contains { $0.hasPrefix("authenticated") },
                      "from the trusted address through the edge, ANI logs in: \(answers("trusted-"))\n\(log)")
        XCTAssertFalse(answers("relayed-").contains { $0.hasPrefix("authenticated") },
                       "the relayed caller is judged by 127.0.0.3, not by the edge's address: \(answers("relayed-"))\n\(log)")
        XCTAssertTrue(askedForPIN("relayed-"), "the relayed caller is asked for the PIN\n\(log)")
        XCTAssertFalse(answers("forged-").contains { $0.hasPrefix("authenticated") },
                       "the forged header logged nobody in: \(answers("forged-"))\n\(log)")
        XCTAssertTrue(askedForPIN("forged-"), "the forger is asked for the PIN\n\(log)")
        let ignored = nodes[0].events { $0["message"] == "edge source header ignored" }
        XCTAssertEqual(ignored.map { $0["claimed"] ?? "" }, ["127.0.0.1:5060"], "the node saw and ignored the forgery\n\(log)")
        XCTAssertTrue(ignored.allSatisfy { ($0["from"] ?? "").contains("127.0.0.2") }, "\(ignored)")
    }

    func testARegisterThroughTheEdgeCarriesPathAndTheNodeStoresIt() throws {
        let (nodes, edge) = try startCluster("register")
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let sipp = try Sipp(name: "edge-phone")
        let ports = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0)])
        let result = try ChildProcess.run(sipp.executable, [
            "127.0.0.1:\(edge.port)", "-sf", "edge-register.xml", "-s", "alice", "-au", "alice", "-ap", "2468",
            "-key", "contact_port", "\(ports.sip)", "-i", "127.0.0.1", "-p", "\(ports.sip)", "-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin",
            "-trace_err", "-trace_msg", "-trace_logs",
        ], in: sipp.work, timeout: 30)
        let log = describe(nodes, edge)
        XCTAssertEqual(result.status, 0, "registered, and the 200 returned a Path:\n\(result.output)\n\(sipp.messageTrace())\n\(log)")

        let registered = nodes.flatMap { $0.events { $0["message"] == "registered" } }
        XCTAssertEqual(registered.count, 1, "one node took the registration\n\(log)")
        let edgeHop = "127.0.0.1:\(edge.port)"
        XCTAssertTrue((registered.first?["path"] ?? "").contains(edgeHop), "the binding's path names the edge: \(registered)")
        // The phone's own address, as the edge vouched for it (not the edge's).
        XCTAssertTrue((registered.first?["source"] ?? "").contains(":\(ports.sip)"), "\(registered)")
        // Stored with the binding: any node reading the store routes through the edge.
        let node = try XCTUnwrap(nodes.first { !$0.events { $0["message"] == "registered" }.isEmpty })
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let stored = try ChildProcess.run(sqlite, [node.dataDirectory.appendingPathComponent("switchback.sqlite").path,
                                                   "SELECT user || ' ' || path FROM registrationBinding"], timeout: 20)
        XCTAssertTrue(stored.output.contains("alice <sip:\(edgeHop);lr>"), "stored path: \(stored.output)")
        let trace = try CallingCardTests.fullMessageTrace(sipp)
        XCTAssertTrue(trace.contains("Path: <sip:\(edgeHop);lr>"), "the 200 returned the Path:\n\(trace.suffix(3000))")
    }

    /// The way back: a phone registered through the edge is called by the node through
    /// it. The caller keys the phone's login on the dialler; the node sends the INVITE to
    /// the edge with the stored Path as Route, the edge relays it to the phone and
    /// record-routes, and the node's ACK and BYE come back through the edge too.
    func testAPhoneRegisteredThroughTheEdgeIsCalledThroughIt() throws {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/dial.yaml").path
        let data = try OperatorCLI.cardPlanWithAlice(deck: ServerProcess.dialerRateDeck, name: "path-call-data")
        try OperatorCLI.run(["accounts", "add", "5001", "--password", "phone-5001", "--balance", "1"], data: data)
        let node = try ServerProcess(accessNumbersYAML: #"  "200": { campaign: dialer }"#,
                                     campaignsYAML: "  dialer: { script: \(script) }",
                                     extraYAML: """
                                     trunks:
                                       - { name: elsewhere, uri: "sip:127.0.0.1:9", destinations: ["*"] }
                                     callback: { free-ivr-access: true, free-access-user: alice }
                                     """, name: "path-call-node", dataDirectory: data,
                                     sipYAML: "edge-proxies: [127.0.0.1/32]")
        defer { node.stop() }
        let edge = try KamailioProcess(nodes: [node.udpPort], name: "path-call-kamailio")
        defer { edge.stop() }

        // The phone: one sipp answers calls on `phonePorts.sip`, another registers that port.
        let phone = try Sipp(name: "path-call-phone")
        let phonePorts = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0)])
        let phoneRun = Background {
            let result = try ChildProcess.run(phone.executable, [
                "-sf", "edge-phone.xml", "-i", "127.0.0.1", "-p", "\(phonePorts.sip)", "-mp", "\(phonePorts.media)", "-m", "1",
                "-timeout", "50s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
            ], in: phone.work, timeout: 60)
            return ProcessResult(status: result.status, output: result.output + "\n" + phone.messageTrace())
        }
        let registrar = try Sipp(name: "path-call-register")
        let registerPorts = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0), phonePorts])
        let registered = try ChildProcess.run(registrar.executable, [
            "127.0.0.1:\(edge.port)", "-sf", "edge-register.xml", "-s", "5001", "-au", "5001", "-ap", "phone-5001",
            "-key", "contact_port", "\(phonePorts.sip)", "-i", "127.0.0.1", "-p", "\(registerPorts.sip)", "-m", "1",
            "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
        ], in: registrar.work, timeout: 30)
        XCTAssertEqual(registered.status, 0, "registered through the edge:\n\(registered.output)\n\(node.rawLog.suffix(3000))")

        // The caller, through the edge too, keys 5001 and hangs up after 4 s on the bridge.
        let caller = try Sipp(name: "path-call-caller")
        try caller.makeDTMFPcap("5001#", named: "dest.pcap", seed: 91)
        let callerPorts = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0), phonePorts, registerPorts])
        let called = try caller.run(scenario: "forward-caller.xml", target: "127.0.0.1:\(edge.port)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, extraArguments: ["-d", "4000"],
                                    timeout: 40)
        let phoneResult = try phoneRun.wait(timeout: 60)
        let log = "node log:\n\(node.rawLog.suffix(5000))\nkamailio log:\n\(edge.rawLog.suffix(2000))"
        XCTAssertEqual(called.status, 0, "caller:\n\(called.output.suffix(3000))\n\(log)")
        XCTAssertEqual(phoneResult.status, 0, "phone:\n\(phoneResult.output.suffix(4000))\n\(log)")

        let edgeHop = "127.0.0.1:\(edge.port)"
        let dialing = node.events { $0["message"] == "dialing" }
        XCTAssertEqual(dialing.map { $0["trunk"] ?? "" }, ["registered-contact"], log)
        XCTAssertEqual(dialing.first?["destination"], "udp:\(edgeHop)", "the INVITE went to the Path's first hop\n\(log)")
        XCTAssertEqual(node.events { $0["message"] == "bridged" }.count, 1, log)
        // What the phone received came through the edge: the edge's Via on top, its
        // Record-Route in the INVITE, and the node's BYE relayed by it.
        let trace = try CallingCardTests.fullMessageTrace(phone)
        let invite = try XCTUnwrap(Self.message(in: trace, startingWith: "INVITE sip:5001@"), trace)
        XCTAssertTrue(invite.contains("Record-Route: <sip:\(edgeHop);lr"), invite)
        XCTAssertTrue(invite.contains("Via: SIP/2.0/UDP \(edgeHop)"), invite)
        XCTAssertFalse(invite.contains("\nRoute:"), "the edge consumed its own Route header: \(invite)")
        let bye = try XCTUnwrap(Self.message(in: trace, startingWith: "BYE sip:"), trace)
        XCTAssertTrue(bye.contains("Via: SIP/2.0/UDP \(edgeHop)"), "the node's BYE came through the edge: \(bye)")
    }

    func testANodeKilledWithSIGKILLIsProbedDownAndNewCallsGoToTheSurvivor() throws {
        let (nodes, edge) = try startCluster("kill")
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let (survivor, victim) = (nodes[0], nodes[1])

        // Load on both nodes; the victim dies with -9 in the middle of it.
        let edgePort = edge.port
        let load = Background {
            try Self.runCallers(named: "kill-load", scenario: "edge-caller.xml", target: "127.0.0.1:\(edgePort)",
                                from: "127.0.0.1", calls: 8, rate: 4, callIDs: "load-%u@sipp")
        }
        try victim.waitForEvents(timeout: 20) { $0["message"] == "answered" }
        victim.killHard()
        let loadResult = try load.wait(timeout: 90)

        // The probes notice: the dispatcher marks the dead node down.
        try edge.waitForLog(timeout: 15) { $0.contains("node down: sip:127.0.0.1:\(victim.udpPort)") }
        let before = survivor.events { $0["message"] == "answered" }.count

        // New calls, whatever their Call-ID hashes to, all reach the survivor and end there.
        let calls = 8
        let after = try Self.runCallers(named: "kill-after", scenario: "edge-caller.xml", target: "127.0.0.1:\(edge.port)",
                                   from: "127.0.0.1", calls: calls, rate: 4, callIDs: "after-%u@sipp")
        try survivor.waitForEvents(count: calls, timeout: 30) {
            $0["message"] == "hangup" && ($0["call-id"] ?? "").hasPrefix("after-")
        }
        let log = describe(nodes, edge)
        XCTAssertEqual(after.status, 0, "every new call answered and ended:\n\(after.output.suffix(4000))\n\(log)")
        let answeredAfter = survivor.events { $0["message"] == "answered" && ($0["call-id"] ?? "").hasPrefix("after-") }
        XCTAssertEqual(answeredAfter.count, calls, "the survivor answered every new call\n\(log)")
        XCTAssertEqual(survivor.events { $0["message"] == "answered" }.count, before + calls)
        print("edge kill: load run status \(loadResult.status); survivor answered \(before) before, \(calls) after")
    }

    /// Failover without the probes' help (they run every 30 s here): a node killed with -9
    /// gets the INVITEs its Call-IDs hash to, does not answer, and after the edge's
    /// FR_TIMER each goes to the next node; every call is answered by the survivor.
    func testAnINVITEANodeDoesNotAnswerFailsOverToTheNextNode() throws {
        let (nodes, edge) = try startCluster("failover", pingInterval: 30)
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let (survivor, victim) = (nodes[0], nodes[1])
        victim.killHard()
        let calls = 6
        // The same Call-IDs as the spread test, which sends some of them to the second node.
        let result = try Self.runCallers(named: "failover-callers", scenario: "edge-caller.xml",
                                         target: "127.0.0.1:\(edge.port)", from: "127.0.0.1", calls: calls, rate: 2,
                                         callIDs: "edge-%u@sipp")
        try waitForHangups(calls, on: [survivor])
        let log = describe(nodes, edge)
        XCTAssertEqual(result.status, 0, "every call answered (late, for the failed-over ones) and ended:\n\(result.output.suffix(3000))\n\(log)")
        XCTAssertEqual(survivor.events { $0["message"] == "answered" }.count, calls, log)
        let failovers = edge.lines.filter { $0.contains("node sip:127.0.0.1:\(victim.udpPort) failed") }
        XCTAssertFalse(failovers.isEmpty, "the edge tried the dead node, then the next\n\(log)")
        print("edge failover: \(failovers.count) INVITE(s) failed over from the dead node")
    }

    /// pike: one address flooding the edge is blocked there (the nodes stop seeing its
    /// requests) while a caller from another address still gets through.
    func testAFloodFromOneAddressIsDroppedAtTheEdgeAndOthersStillCall() throws {
        let (nodes, edge) = try startCluster("flood")
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let flooder = try Sipp(name: "flood-options")
        let ports = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0)])
        let sent = 300
        let flood = try ChildProcess.run(flooder.executable, [
            "127.0.0.1:\(edge.port)", "-sf", "edge-options-flood.xml", "-s", "700", "-i", "127.0.0.4", "-p", "\(ports.sip)",
            "-m", "\(sent)", "-r", "150", "-l", "\(sent)", "-timeout", "30s", "-nostdin", "-trace_msg",
        ], in: flooder.work, timeout: 40)
        let trace = try CallingCardTests.fullMessageTrace(flooder)
        let answered = trace.components(separatedBy: "SIP/2.0 200 OK").count - 1
        let log = describe(nodes, edge)
        XCTAssertTrue(edge.lines.contains { $0.contains("pike: flood from 127.0.0.4") }, "pike blocked the flooder\n\(flood.output.suffix(2000))\n\(log)")
        XCTAssertGreaterThan(answered, 0, "the first requests got through")
        XCTAssertLessThan(answered, sent / 2, "most of the flood never reached a node (\(answered) of \(sent) answered)")

        let caller = try Self.runCallers(named: "flood-caller", scenario: "edge-caller.xml", target: "127.0.0.1:\(edge.port)",
                                         from: "127.0.0.1", calls: 1, rate: 1, callIDs: "after-flood-%u@sipp")
        XCTAssertEqual(caller.status, 0, "another address still calls:\n\(caller.output.suffix(3000))\n\(describe(nodes, edge))")
        print("edge flood: \(answered) of \(sent) OPTIONS answered before pike blocked 127.0.0.4")
    }

    /// ratelimit: new INVITEs over the edge's rate (here 5 a second, pike set aside) are
    /// refused 503 by the edge itself; those within it reach a node (404: no such number).
    func testINVITEsOverTheEdgesRateAreRefusedThere() throws {
        let (nodes, edge) = try startCluster("ratelimit", defines: ["INVITE_PIPE": "\"1:TAILDROP:5\"", "PIKE_DENSITY": "10000"])
        defer { edge.stop(); nodes.forEach { $0.stop() } }
        let burst = try Sipp(name: "ratelimit-burst")
        let ports = CallbackEndToEndTests.freePorts(avoiding: [(sip: edge.port, media: 0)])
        let sent = 40
        let result = try ChildProcess.run(burst.executable, [
            "127.0.0.1:\(edge.port)", "-sf", "edge-invite-burst.xml", "-s", "999", "-i", "127.0.0.1", "-p", "\(ports.sip)",
            "-mp", "\(ports.media)", "-m", "\(sent)", "-r", "40", "-l", "\(sent)", "-timeout", "30s", "-timeout_error",
            "-nostdin", "-trace_msg", "-trace_err",
        ], in: burst.work, timeout: 40)
        let trace = try CallingCardTests.fullMessageTrace(burst)
        let limited = trace.components(separatedBy: "SIP/2.0 503 Service Unavailable (rate limit)").count - 1
        let reached = nodes.reduce(0) { $0 + $1.events { $0["message"] == "call to unknown number" }.count }
        let log = describe(nodes, edge)
        XCTAssertEqual(result.status, 0, "every INVITE answered, 404 or 503:\n\(result.output.suffix(3000))\n\(log)")
        XCTAssertGreaterThan(limited, sent / 2, "most of the burst refused at the edge (\(limited) of \(sent))\n\(log)")
        XCTAssertGreaterThan(reached, 0, "those within the rate reached a node\n\(log)")
        XCTAssertEqual(limited + reached, sent, "each INVITE either refused at the edge or answered by a node\n\(log)")
        XCTAssertTrue(edge.lines.contains { $0.contains("ratelimit: INVITE from 127.0.0.1 over the rate") }, log)
        print("edge ratelimit: \(limited) of \(sent) INVITEs refused at the edge, \(reached) reached a node")
    }

    // MARK: - Set-up

    static let rateDeck = CallingCardTests.rateDeck

    /// Two nodes (calling card on 700, alice with caller ID 5551234, the trunk trusting
    /// 127.0.0.1, the edge 127.0.0.1 in `sip.edge-proxies`) and Kamailio over them.
    private func startCluster(_ name: String, pingInterval: Int = 1,
                              defines: [String: String] = [:]) throws -> (nodes: [ServerProcess], edge: KamailioProcess) {
        let root = InteropPaths.packageRoot.path
        var nodes: [ServerProcess] = []
        for index in 1...2 {
            // Enough credit for every concurrent call's access-leg reservation.
            let data = try InteropPaths.temporaryDirectory("\(name)-data\(index)").appendingPathComponent("data")
            try OperatorCLI.importRateDeck(Self.rateDeck, plan: "card", data: data)
            try OperatorCLI.run(["accounts", "add", "alice", "--password", "2468", "--pin", "123456", "--balance", "1000",
                                 "--plan", "card"], data: data)
            try OperatorCLI.run(["callers", "add", "alice", Self.aliceCallerID], data: data)
            nodes.append(try ServerProcess(
                accessNumbersYAML: #"  "700": { campaign: calling-card, callback: none }"#,
                campaignsYAML: "  calling-card: { script: \(root)/scripts/calling-card.yaml }",
                extraYAML: """
                trunks:
                  - name: pstn
                    uri: sip:127.0.0.1:9
                    destinations: ["49"]
                    trusted-sources: [127.0.0.1/32]
                """, name: "\(name)-node\(index)", dataDirectory: data,
                rtpPorts: index == 1 ? "42000-42499" : "42500-42999", sipYAML: "edge-proxies: [127.0.0.1/32]"))
        }
        let edge = try KamailioProcess(nodes: nodes.map(\.udpPort), name: "\(name)-kamailio", pingInterval: pingInterval,
                                       defines: defines)
        return (nodes, edge)
    }

    /// sipp callers from `address` (any 127.x address: loopback is all local), `calls` at
    /// `rate` per second, Call-IDs from the pattern (`%u`: the call number).
    static func runCallers(named name: String, scenario: String, target: String, from address: String, calls: Int,
                            rate: Int, callIDs: String, keys: [String: String] = [:]) throws -> ProcessResult {
        let sipp = try Sipp(name: name)
        let ports = CallbackEndToEndTests.freePorts()
        var arguments = [target, "-sf", scenario, "-s", "700", "-i", address, "-p", "\(ports.sip)", "-mp", "\(ports.media)",
                         "-m", "\(calls)", "-r", "\(rate)", "-l", "\(calls)", "-cid_str", callIDs,
                         "-key", "caller", Self.aliceCallerID, "-timeout", "60s", "-timeout_error", "-nostdin",
                         "-trace_err", "-trace_msg"]
        for (key, value) in keys { arguments += ["-key", key, value] }
        let result = try ChildProcess.run(sipp.executable, arguments, in: sipp.work, timeout: 70)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }

    /// The first SIP message in a sipp trace whose start line begins with `prefix`, up to
    /// the trace's next separator line.
    static func message(in trace: String, startingWith prefix: String) -> String? {
        guard let start = trace.range(of: "\n" + prefix) else { return nil }
        let rest = trace[start.lowerBound...]
        let end = rest.range(of: "\n-----")?.lowerBound ?? rest.endIndex
        return String(rest[..<end]).replacingOccurrences(of: "\r", with: "")
    }

    private func waitForHangups(_ count: Int, on nodes: [ServerProcess]) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if nodes.reduce(0, { $0 + $1.events { $0["message"] == "hangup" }.count }) >= count { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private func describe(_ nodes: [ServerProcess], _ edge: KamailioProcess) -> String {
        nodes.enumerated().map { "node \($0.offset + 1) log:\n\($0.element.rawLog.suffix(3000))" }.joined(separator: "\n")
            + "\nkamailio log:\n\(edge.rawLog.suffix(3000))"
    }
}
