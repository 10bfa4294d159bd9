import Foundation
import PostgresTestSupport
import XCTest

/// Several nodes on one PostgreSQL behind Kamailio (issue 17), on loopback: a throwaway
/// PostgreSQL (`PostgresTestServer`), two `switchback serve` nodes `a` and `b` on one
/// database with a 6 s lease, and the shipped Kamailio configuration over both. sipp places
/// calling-card calls and ANI callback triggers through the edge, and plays the phones the
/// callbacks ring. Node `a` is killed with -9 while it holds calls and callbacks.
///
/// Afterwards: every queued callback was placed by one node at a time — each INVITE the
/// phones got is an attempt recorded in the shared queue, and only a request the dead node
/// had claimed (calling-a) was placed a second time, by `b`, after `a`'s lease ran out;
/// `b` logged the takeover and no reservation of `a` is open; every balance equals the sum
/// of its ledger; new calls through the edge go to `b`.
final class SeveralNodesTests: XCTestCase {
    static let lease = 6.0
    static let aliceCallerID = "5551234"
    /// One account per callback trigger: a repeated ANI trigger of one caller is one request.
    static let callbackCallers = (1...6).map { "555000\($0)" }
    static let deck = """
        prefix,description,rate,connection fee,first increment,increment
        700,Calling card access,0.0725,0.0150,30,6
        5550,Callback leg,0.0600,0.0100,1,1
        4930,Berlin,0.1200,0.0100,1,1
        """

    func testANodeKilledMidLoadIsTakenOverAndNoCallbackOrCentIsLost() throws {
        let postgres = try PostgresTestServer.shared()
        let url = postgres.url(database: try postgres.createDatabase())
        let database = try XCTUnwrap(url.split(separator: "/").last.map(String.init))
        func sql(_ text: String) throws -> [String] {
            try postgres.psql(text, database: database).split(separator: "\n").map(String.init)
        }

        // The operator's set-up, on the shared database with the CLI's --database.
        let base = try InteropPaths.temporaryDirectory("nodes")
        let data = base.appendingPathComponent("data")
        let pepper = base.appendingPathComponent("data.pin-pepper")
        func cli(_ arguments: [String]) throws { _ = try OperatorCLI.run(arguments + ["--database", url], data: data) }
        let deckFile = base.appendingPathComponent("card.csv")
        try Self.deck.write(to: deckFile, atomically: true, encoding: .utf8)
        try cli(["rates", "import", "card", deckFile.path, "--currency", "EUR", "--charge-a-leg"])
        try cli(["accounts", "add", "alice", "--password", "2468", "--pin", "123456", "--balance", "1000", "--plan", "card"])
        try cli(["callers", "add", "alice", Self.aliceCallerID])
        for (index, number) in Self.callbackCallers.enumerated() {
            try cli(["accounts", "add", "cb\(index + 1)", "--password", "1357", "--balance", "10", "--plan", "card"])
            try cli(["callers", "add", "cb\(index + 1)", number])
        }

        // The phones the callbacks ring: ring 2.5 s, answer, stay 5 s, hang up (as many calls as come).
        let phones = try Sipp(name: "nodes-phones")
        let phonePorts = CallbackEndToEndTests.freePorts()
        let phoneProcess = Process()
        phoneProcess.executableURL = URL(fileURLWithPath: phones.executable)
        phoneProcess.arguments = ["-sf", "callback-user-rings-then-answers.xml", "-i", "127.0.0.1", "-p", "\(phonePorts.sip)",
                                  "-mp", "\(phonePorts.media)", "-m", "50", "-d", "5000", "-nostdin", "-trace_err",
                                  "-trace_msg", "-default_behaviors", "all,-abortunexp"]
        phoneProcess.currentDirectoryURL = phones.work
        phoneProcess.standardOutput = FileHandle.nullDevice
        phoneProcess.standardError = FileHandle.nullDevice
        phoneProcess.standardInput = FileHandle.nullDevice
        try phoneProcess.run()
        defer { if phoneProcess.isRunning { phoneProcess.terminate() }; phoneProcess.waitUntilExit() }

        let a = try Self.node("a", url: url, pepper: pepper, phonePort: phonePorts.sip, rtpPorts: "43000-43499")
        defer { a.stop() }
        let b = try Self.node("b", url: url, pepper: pepper, phonePort: phonePorts.sip, rtpPorts: "43500-43999")
        defer { b.stop() }
        let edge = try KamailioProcess(nodes: [a.udpPort, b.udpPort], name: "nodes-kamailio")
        defer { edge.stop() }
        func log() -> String {
            "node a log:\n\(a.rawLog.suffix(4000))\nnode b log:\n\(b.rawLog.suffix(6000))\nkamailio log:\n\(edge.rawLog.suffix(2000))"
        }
        XCTAssertEqual(Set(try sql("SELECT id FROM node")), ["a", "b"], "both nodes renewed their lease before serving")

        // Calling-card calls (4 s each) through the edge, spread over both nodes.
        let edgePort = edge.port
        let load = Background {
            try KamailioEdgeTests.runCallers(named: "nodes-load", scenario: "edge-caller.xml", target: "127.0.0.1:\(edgePort)",
                                             from: "127.0.0.1", calls: 8, rate: 4, callIDs: "load-%u@sipp")
        }
        // ANI callback triggers through the edge: each queues a request due 1 s later, which
        // either node's worker may claim.
        for (index, number) in Self.callbackCallers.enumerated() {
            let trigger = try Sipp(name: "nodes-trigger-\(index + 1)")
            let ports = CallbackEndToEndTests.freePorts(avoiding: [phonePorts])
            let result = try trigger.run(scenario: "callback-trigger-caller.xml", target: "127.0.0.1:\(edge.port)",
                                         service: "1001", mediaPort: ports.media, sipPort: ports.sip,
                                         keys: ["caller": number], timeout: 20)
            XCTAssertEqual(result.status, 0, "trigger \(number):\n\(result.output.suffix(2000))\n\(log())")
        }
        XCTAssertEqual(try sql("SELECT count(*) FROM callbackRequest"), ["\(Self.callbackCallers.count)"],
                       "one request per trigger\n\(log())")

        // Node a dies with -9 while it holds a calling-card call and a callback.
        _ = try a.waitForEvents(timeout: 20) { $0["message"] == "answered" && ($0["call-id"] ?? "").hasPrefix("load-") }
        _ = try a.waitForEvents(timeout: 20) { $0["message"] == "callback placing" }
        Thread.sleep(forTimeInterval: 0.5)
        let killedAt = Date()
        a.killHard()
        let openOfA = try sql("SELECT count(*) FROM reservation WHERE state = 'open' AND node = 'a'")
        print("several nodes: node a killed holding \(openOfA.first ?? "?") open reservation(s)")
        _ = try? load.wait(timeout: 90)   // a's calls die with it: the run's status is not the point

        // b takes a's work over once a's lease ran out (a heartbeat every 2 s).
        let takeover = try b.waitForEvents(timeout: Self.lease + 10) { $0["message"] == "node takeover" }[0]
        XCTAssertEqual(takeover["dead-nodes"], "a", "\(takeover)\n\(log())")
        let takenAt = try XCTUnwrap(ServerProcess.time(of: takeover))
        XCTAssertGreaterThan(takenAt.timeIntervalSince(killedAt), Self.lease - Self.lease / 3 - 0.5,
                             "not before a's lease ran out\n\(log())")
        XCTAssertEqual(try sql("SELECT count(*) FROM reservation WHERE state = 'open' AND node = 'a'"), ["0"],
                       "no reservation of a left open\n\(log())")

        // Every request ends; the requeued ones are placed again by b.
        let deadline = Date().addingTimeInterval(45)
        var unfinished = ["?"]
        while Date() < deadline {
            unfinished = try sql("SELECT id || ' ' || state FROM callbackRequest "
                                 + "WHERE state NOT IN ('completed', 'failed', 'cancelled') ORDER BY id")
            if unfinished.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertEqual(unfinished, [], "every callback request ended\n\(log())")
        Thread.sleep(forTimeInterval: 1)

        // Exactly once: each INVITE the phones got is one attempt recorded in the queue; a
        // second placement only for a request a had claimed, by b, after the takeover.
        let requeued = Set((takeover["requeued-requests"] ?? "").split(separator: ",").map(String.init))
        let rows = try sql("SELECT id, originNumber, attempts, state, COALESCE(claimedNode, '') FROM callbackRequest ORDER BY id")
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let invites = CallbackQueueTests.invites(in: phones)
        var placedByA = 0
        var placedAgain = 0
        for row in rows {
            guard row.count == 5 else { XCTFail("bad row \(row)"); continue }
            let (id, number, attempts, state, claimedNode) = (row[0], row[1], Int(row[2]) ?? -1, row[3], row[4])
            let received = invites.filter { $0.requestUser == number }
            XCTAssertEqual(received.count, attempts,
                           "request \(id) (\(number), \(state)): INVITEs at the phone = attempts recorded\n\(log())")
            if requeued.contains(id) {
                XCTAssertEqual(attempts, 2, "request \(id), requeued from a, placed once more by b\n\(log())")
                XCTAssertEqual(claimedNode, "b", "request \(id)")
                if received.count == 2 {
                    XCTAssertGreaterThan(received[1].time.timeIntervalSince(killedAt), Self.lease - Self.lease / 3 - 0.5,
                                         "request \(id) placed again only after a's lease ran out")
                }
                placedAgain += 1
            } else {
                XCTAssertEqual(attempts, 1, "request \(id) (\(number), \(state)) placed exactly once\n\(log())")
            }
            if claimedNode == "a" { placedByA += 1 }
        }
        XCTAssertEqual(invites.count, rows.reduce(0) { $0 + (Int($1[2]) ?? 0) }, "no INVITE outside the recorded attempts")
        XCTAssertEqual(Set(invites.map(\.requestUser)), Set(Self.callbackCallers), "every request was placed")

        // New calls through the edge all go to b once the probes marked a down.
        // (Marked by the probes, or already by an INVITE that failed over from it.)
        try edge.waitForLog(timeout: 15) {
            $0.contains("node down: sip:127.0.0.1:\(a.udpPort)") || $0.contains("node sip:127.0.0.1:\(a.udpPort) failed")
        }
        let after = try KamailioEdgeTests.runCallers(named: "nodes-after", scenario: "edge-caller.xml",
                                                     target: "127.0.0.1:\(edge.port)", from: "127.0.0.1", calls: 4, rate: 4,
                                                     callIDs: "after-%u@sipp")
        XCTAssertEqual(after.status, 0, "every new call answered and ended:\n\(after.output.suffix(3000))\n\(log())")
        try b.waitForEvents(count: 4, timeout: 20) { $0["message"] == "hangup" && ($0["call-id"] ?? "").hasPrefix("after-") }
        XCTAssertEqual(b.events { $0["message"] == "answered" && ($0["call-id"] ?? "").hasPrefix("after-") }.count, 4, log())

        // The money: nothing open, and every balance is the sum of its ledger.
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(try sql("SELECT count(*) FROM reservation WHERE state = 'open'"), ["0"], log())
        let mismatched = try sql("""
            SELECT a.login || ' ' || a.balanceMinorUnits || ' ' || COALESCE(SUM(l.amountMinorUnits), 0)
            FROM account a LEFT JOIN ledgerEntry l ON l.accountID = a.id
            GROUP BY a.id, a.login, a.balanceMinorUnits
            HAVING a.balanceMinorUnits <> COALESCE(SUM(l.amountMinorUnits), 0)
            """)
        XCTAssertEqual(mismatched, [], "balance = sum of the ledger for every account")
        let charged = try sql("SELECT count(*) FROM ledgerEntry WHERE reservationID IS NOT NULL")
        print("several nodes: \(rows.count) callbacks (\(placedByA) last claimed by a, \(placedAgain) placed again by b), "
              + "\(invites.count) INVITEs at the phones; takeover \(takeover); \(charged.first ?? "?") settlements in the ledger")
    }

    /// A node on the shared database: calling card on 700 (ANI login for alice's caller ID
    /// from the trusted 127.0.0.1), ANI callbacks on 1001 ringing the phones behind trunk
    /// `users`, the edge in `sip.edge-proxies`, a 6 s lease.
    static func node(_ id: String, url: String, pepper: URL, phonePort: Int, rtpPorts: String) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        return try ServerProcess(
            accessNumbersYAML: """
              "700": { campaign: calling-card, callback: none }
              "1001": { campaign: ani-callback, callback: always }
            """,
            campaignsYAML: """
              calling-card: { script: \(root)/scripts/calling-card.yaml }
              ani-callback: { script: \(root)/scripts/ani-callback.yaml }
            """,
            extraYAML: """
            database: \(url)
            node: { id: \(id), lease: \(Int(lease))s }
            secrets: { pin-pepper-file: \(pepper.path) }
            trunks:
              - name: users
                uri: sip:127.0.0.1:\(phonePort)
                destinations: ["5550"]
              - name: pstn
                uri: sip:127.0.0.1:9
                destinations: ["49"]
                trusted-sources: [127.0.0.1/32]
            callback:
              caller-number: "7001"
              delay: 1s
            """, name: "nodes-\(id)", rtpPorts: rtpPorts, sipYAML: "edge-proxies: [127.0.0.1/32]")
    }
}
