import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// SMS callback through a real Kannel (issue 15): a text injected at the fake SMSC goes
/// bearerbox → smsbox → `GET /sms/inbound`; Switchback carries out the command, the
/// callback is placed through a trunk to sipp playing the user's phone, and the reply goes
/// back through smsbox's sendsms to the fake SMSC. Covered: U. P. O. D., R., I., B., N, a
/// wrong password and a garbled text; a reply survives a Kannel restart; the latency from
/// the inbound request to the callback INVITE over 100 texts (printed, not asserted).
final class SMSKannelTests: XCTestCase {
    static let service = "7700"
    static let alicePhone = "5551234"
    static let destination = "4930777"
    static let secret = "kannel-shared-secret-1"

    // MARK: - Every command

    func testEveryCommandThroughKannelGetsItsReplyAndItsCallback() throws {
        let data = try aliceWithAddressBook(name: "sms-commands")
        let user = try Sipp(name: "sms-user")
        let ports = Sipp.ports()
        let kannel = try KannelGateway(name: "sms-kannel", secret: Self.secret)
        let server = try startServer(data: data, kannel: kannel, userPort: ports.sip, calleePort: ports.sip + 1000,
                                     name: "sms-commands")
        defer { server.stop(); kannel.stop() }
        try kannel.start(switchbackHTTPPort: server.httpPort)
        let userRun = Background {
            try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: ports, calls: 3, holdMilliseconds: 500,
                            timeout: 90)
        }
        Thread.sleep(forTimeInterval: 0.5)

        // A garbled text: the error names the word.
        kannel.inject(from: Self.alicePhone, to: Self.service, text: "hello D.4930777")
        try kannel.waitForReply(to: Self.alicePhone,
                                startingWith: "Error in 'hello': unknown command; use U. P. D. O. R. I. B. or N<k>.")
        // A wrong password.
        kannel.inject(from: "5559999", to: Self.service, text: "U.alice P.1111 D.4930777")
        let wrong = try kannel.waitForReply(to: "5559999", startingWith: "Error in 'U./P.': wrong login or password")
        XCTAssertEqual(wrong.sender, Self.service, "replies come from the service number")
        // I.: the balance, to the registered sender.
        kannel.inject(from: Self.alicePhone, to: Self.service, text: "i.")
        try kannel.waitForReply(to: Self.alicePhone, startingWith: "alice: balance 10.00 EUR, 1 registered number.")
        // R.: a new phone registers itself with U./P.
        kannel.inject(from: "5552222", to: Self.service, text: "U.alice P.2468 R.5552222")
        try kannel.waitForReply(to: "5552222", startingWith: "Registered 5552222 for alice: texts from it need no U./P. now.")
        // U. P. O. D.: from an unregistered phone, call the (now registered) O. number first.
        kannel.inject(from: "5559999", to: Self.service, text: "U.alice P.2468 O.5552222 D.\(Self.destination)")
        let accepted = try kannel.waitForReply(to: "5559999", startingWith: "Accepted: request ")
        XCTAssertTrue(accepted.text.hasSuffix("We call 5552222, then connecting \(Self.destination)."), accepted.text)
        // B. and N from the registered phone: no U./P., its own phone is called.
        kannel.inject(from: Self.alicePhone, to: Self.service, text: "B.mum")
        let byName = try kannel.waitForReply(to: Self.alicePhone, startingWith: "Accepted: request ")
        XCTAssertTrue(byName.text.hasSuffix("We call \(Self.alicePhone), then connecting 4930331."), byName.text)
        let seen = kannel.delivered.count
        kannel.inject(from: Self.alicePhone, to: Self.service, text: "N2")
        let bySlot = try kannel.waitForReply(to: Self.alicePhone, startingWith: "Accepted: request ", after: seen)
        XCTAssertTrue(bySlot.text.hasSuffix("We call \(Self.alicePhone), then connecting 4930332."), bySlot.text)

        // The queued requests: trigger, numbers, campaign, service number, account.
        let rows = try sqlite(data, """
            SELECT trigger, originNumber, destinations, campaign, accessNumber, \
            (SELECT login FROM account WHERE id = accountID) FROM callbackRequest ORDER BY id
            """)
        XCTAssertEqual(rows, [
            ["sms", "5552222", #"["4930777"]"#, "sms-callback", Self.service, "alice"],
            ["sms", Self.alicePhone, #"["4930331"]"#, "sms-callback", Self.service, "alice"],
            ["sms", Self.alicePhone, #"["4930332"]"#, "sms-callback", Self.service, "alice"],
        ])

        // The callbacks: one INVITE per accepted text, to the number called first.
        let result = try userRun.wait(timeout: 100)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "the user's sipp failed:\n\(result.output.suffix(3000))\n\(log)")
        let invites = CallbackQueueTests.invites(in: user)
        XCTAssertEqual(invites.map(\.requestUser).sorted(), ["5551234", "5551234", "5552222"], log)
        XCTAssertTrue(invites.allSatisfy { $0.fromUser == Self.service }, "the service number is presented: \(invites)")

        // Every text got exactly one reply, each to its sender.
        XCTAssertEqual(kannel.delivered.map(\.receiver),
                       [Self.alicePhone, "5559999", Self.alicePhone, "5552222", "5559999", Self.alicePhone, Self.alicePhone])
        XCTAssertEqual(try sqlite(data, "SELECT DISTINCT state FROM smsOutbox"), [["sent"]])
    }

    // MARK: - The outbox

    /// Kannel is down when texts come in through the other request shapes (JSON; Kannel's
    /// post-url): the replies wait in the outbox and reach the SMSC once Kannel is back. A
    /// request without the gateway's secret is refused.
    func testAReplyWrittenWhileKannelIsDownIsDeliveredAfterItsRestart() throws {
        let data = try aliceWithAddressBook(name: "sms-restart")
        let ports = Sipp.ports()
        let kannel = try KannelGateway(name: "sms-kannel-restart", secret: Self.secret)
        let server = try startServer(data: data, kannel: kannel, userPort: ports.sip, calleePort: ports.sip + 1000,
                                     name: "sms-restart")
        defer { server.stop(); kannel.stop() }
        try kannel.start(switchbackHTTPPort: server.httpPort)
        kannel.stopBoxes()

        let inbound = server.httpBase.appendingPathComponent("sms/inbound")
        let noSecret = try HTTPExchange.post(inbound, json: ["from": Self.alicePhone, "to": Self.service, "text": "I."])
        XCTAssertEqual(noSecret.status, 403, noSecret.text)
        let answer = try HTTPExchange.post(inbound, json: ["from": Self.alicePhone, "to": Self.service, "text": "I."],
                                           headers: ["X-SMS-Secret": Self.secret])
        XCTAssertEqual(answer.status, 202, answer.text)
        XCTAssertEqual(answer.json?["outcome"] as? String, "status")
        // Tried against the stopped smsbox (an attempt ends at the client's timeout), and kept.
        var pending: [[String]] = []
        let deadline = Date().addingTimeInterval(15)
        repeat {
            Thread.sleep(forTimeInterval: 0.2)
            pending = try sqlite(data, "SELECT state, attempts > 0 FROM smsOutbox")
        } while pending != [["pending", "1"]] && Date() < deadline
        XCTAssertEqual(pending, [["pending", "1"]], "kept, and tried")

        // Kannel's post-url shape: the text is the body, the numbers in X-Kannel-* headers.
        let postURL = try HTTPExchange.post(inbound, body: Data("U.alice P.2468 R.5552222".utf8), contentType: "text/plain",
                                            headers: ["X-SMS-Secret": Self.secret, "X-Kannel-From": "5552222",
                                                      "X-Kannel-To": Self.service])
        XCTAssertEqual(postURL.status, 202, postURL.text)
        XCTAssertEqual(postURL.json?["outcome"] as? String, "registered")

        try kannel.startBoxes()
        try kannel.waitForSMSC(connectedTimes: 2)
        let reply = try kannel.waitForReply(to: Self.alicePhone, startingWith: "alice: balance 10.00 EUR", timeout: 20)
        XCTAssertEqual(reply.sender, Self.service)
        try kannel.waitForReply(to: "5552222", startingWith: "Registered 5552222 for alice", timeout: 20)
        XCTAssertEqual(try sqlite(data, "SELECT DISTINCT state FROM smsOutbox"), [["sent"]])
    }

    // MARK: - The whole call (needs `$request` on callback legs)

    /// The user answers the callback and sms-callback.yaml connects the D. destination
    /// through the PSTN trunk. Needs `$request` bound on callback legs (the ScriptedLeg work).
    func testTheCalledBackUserIsConnectedToTheTextedDestination() throws {
        let data = try aliceWithAddressBook(name: "sms-connect")
        let user = try Sipp(name: "sms-connect-user")
        let callee = try Sipp(name: "sms-connect-callee")
        let userPorts = Sipp.ports()
        let calleePorts = (sip: userPorts.sip + 1000, media: userPorts.media + 2000)
        let kannel = try KannelGateway(name: "sms-kannel-connect", secret: Self.secret)
        let server = try startServer(data: data, kannel: kannel, userPort: userPorts.sip, calleePort: calleePorts.sip,
                                     name: "sms-connect")
        defer { server.stop(); kannel.stop() }
        try kannel.start(switchbackHTTPPort: server.httpPort)
        let userRun = Background {
            try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: userPorts, calls: 1,
                            holdMilliseconds: 12_000, timeout: 60)
        }
        let calleeRun = Background {
            try Self.runUAS(callee, scenario: "dial_callee.xml", ports: calleePorts, calls: 1, holdMilliseconds: 1000,
                            timeout: 60)
        }
        Thread.sleep(forTimeInterval: 0.5)
        kannel.inject(from: Self.alicePhone, to: Self.service, text: "D.\(Self.destination)")
        try kannel.waitForReply(to: Self.alicePhone, startingWith: "Accepted: request ")
        let userResult = try userRun.wait(timeout: 70)
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(userResult.status, 0, "the user's sipp failed:\n\(userResult.output.suffix(3000))\n\(log)")
        let calleeResult = try calleeRun.wait(timeout: 70)
        XCTAssertEqual(calleeResult.status, 0, "the destination was not called:\n\(calleeResult.output.suffix(3000))\n\(log)")
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(Self.destination)@"), "the D. number through the trunk")
        // Parity: the user's leg walked the nodes `simulate` walks for the same request.
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        try ScriptParity.assertParity(server, [
            .init(script: "sms-callback", start: "announce",
                  arguments: ["--account", "alice", "--ani", Self.alicePhone, "--destination", Self.destination],
                  endsEarly: true),
        ])
    }

    // MARK: - Latency

    /// 100 texts from 100 registered phones (D.), callbacks due at once: the time from the
    /// inbound request (the queued request's creation, written while `/sms/inbound` is
    /// answered) to the callback INVITE at the user's sipp, and from the injection at the SMSC.
    func testLatencyFromInboundTextToCallbackInviteOverOneHundredTexts() throws {
        let data = try aliceWithAddressBook(name: "sms-latency")
        // 100 callbacks up at once, each A leg holding its share of the balance (issue 11:
        // reserved before its INVITE): enough money for all of them.
        try OperatorCLI.run(["accounts", "credit", "alice", "2000"], data: data)
        let user = try Sipp(name: "sms-latency-user")
        let ports = Sipp.ports()
        let kannel = try KannelGateway(name: "sms-kannel-latency", secret: Self.secret)
        let server = try startServer(data: data, kannel: kannel, userPort: ports.sip, calleePort: ports.sip + 1000,
                                     name: "sms-latency", delay: "0s",
                                     limitsYAML: """
                                       limits: { per-minute-per-account: 1000, per-hour-per-account: 1000 }
                                     """,
                                     callbackLimitsYAML: "  limits: { concurrent-per-account: 200, per-hour-per-account: 1000, "
                                         // 100 texts in two seconds: above the default global trigger minute (60).
                                         + "per-minute-global: 1000 }")
        defer { server.stop(); kannel.stop() }
        try kannel.start(switchbackHTTPPort: server.httpPort)
        let userRun = Background {
            try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: ports, calls: 100, holdMilliseconds: 300,
                            timeout: 120)
        }
        Thread.sleep(forTimeInterval: 0.5)
        // 100 registered phones of alice (no password hash per text: the pipeline is measured).
        let phones = (1...100).map { String(format: "5558%03d", $0) }
        try sqlite(data, "BEGIN; " + phones.map {
            "INSERT INTO authorisedCallerID (accountID, number, createdAt) SELECT id, '\($0)', '2026-01-01 00:00:00.000' "
                + "FROM account WHERE login = 'alice';"
        }.joined(separator: " ") + " COMMIT;")
        var injected: [String: Date] = [:]
        for phone in phones {
            injected[phone] = kannel.inject(from: phone, to: Self.service, text: "D.\(Self.destination)")
            Thread.sleep(forTimeInterval: 0.02)
        }
        let result = try userRun.wait(timeout: 130)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output.suffix(3000))\n\(server.rawLog.suffix(3000))")
        let invites = CallbackQueueTests.invites(in: user)
        XCTAssertEqual(Set(invites.map(\.requestUser)), Set(phones), "one callback per text")
        let created = try sqlite(data, "SELECT originNumber, createdAt FROM callbackRequest").reduce(into: [String: Date]()) {
            $0[$1[0]] = CallbackQueueTests.databaseDate($1[1])
        }
        var fromInbound: [Double] = []
        var fromInjection: [Double] = []
        for invite in invites {
            if let at = created[invite.requestUser] { fromInbound.append(invite.time.timeIntervalSince(at) * 1000) }
            if let at = injected[invite.requestUser] { fromInjection.append(invite.time.timeIntervalSince(at) * 1000) }
        }
        XCTAssertEqual(fromInbound.count, 100)
        let p = CallbackQueueTests.percentile
        let report = """
            SMS callback, 100 texts through Kannel (delay 0 s): inbound /sms/inbound → callback INVITE median \
            \(p(fromInbound, 50)) ms, p99 \(p(fromInbound, 99)) ms, max \(p(fromInbound, 100)) ms; \
            injection at the SMSC → INVITE median \(p(fromInjection, 50)) ms, p99 \(p(fromInjection, 99)) ms
            """
        print(report)
        try? report.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("switchback-sms-latency.txt"),
                          atomically: true, encoding: .utf8)
        try kannel.waitForReply(to: phones[99], startingWith: "Accepted: request ", timeout: 30)
    }

    // MARK: - Set-up

    /// alice (password 2468, 10 EUR, caller ID 5551234) with address book mum (1) and office (2).
    private func aliceWithAddressBook(name: String) throws -> URL {
        let deck = """
            prefix,description,rate,connection fee,first increment,increment
            555,Callback leg,0.0600,0.0100,1,1
            49,Germany,0.1200,0.0000,1,1
            """
        let data = try OperatorCLI.cardPlanWithAlice(deck: deck, name: name)
        try OperatorCLI.run(["callers", "add", "alice", Self.alicePhone], data: data)
        try OperatorCLI.run(["addressbook", "add", "alice", "mum", "4930331", "--slot", "1"], data: data)
        try OperatorCLI.run(["addressbook", "add", "alice", "office", "4930332", "--slot", "2"], data: data)
        return data
    }

    /// Campaign sms-callback (scripts/sms-callback.yaml) on access number 1005 and service
    /// number 7700; the users' phones (555…) behind trunk `users`, the PSTN (49…) behind `pstn`.
    private func startServer(data: URL, kannel: KannelGateway, userPort: Int, calleePort: Int, name: String,
                             delay: String = "1s", limitsYAML: String = "", callbackLimitsYAML: String = "") throws
        -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        return try ServerProcess(accessNumbersYAML: #"  "1005": { campaign: sms-callback, callback: none }"#,
                                 campaignsYAML: "  sms-callback: { script: \(root)/scripts/sms-callback.yaml }",
                                 extraYAML: """
                                 trunks:
                                   - name: users
                                     uri: sip:127.0.0.1:\(userPort)
                                     destinations: ["555"]
                                   - name: pstn
                                     uri: sip:127.0.0.1:\(calleePort)
                                     destinations: ["49"]
                                 callback:
                                   delay: \(delay)
                                 \(callbackLimitsYAML)
                                 \(kannel.switchbackYAML(serviceNumber: Self.service, campaign: "sms-callback", extra: limitsYAML))
                                 """, name: name, dataDirectory: data)
    }

    @discardableResult
    private func sqlite(_ data: URL, _ sql: String) throws -> [[String]] {
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let result = try ChildProcess.run(sqlite, ["-cmd", ".timeout 10000", "-separator", "|",
                                                   data.appendingPathComponent("switchback.sqlite").path, sql], timeout: 30)
        guard result.status == 0 else { throw ServerProcess.Failure("sqlite3 failed: \(result.output)") }
        return result.output.components(separatedBy: .newlines).filter { !$0.isEmpty }
            .map { $0.components(separatedBy: "|") }
    }

    private static func runUAS(_ sipp: Sipp, scenario: String, ports: (sip: Int, media: Int), calls: Int,
                               holdMilliseconds: Int, timeout: TimeInterval) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-m", "\(calls)",
            "-d", "\(holdMilliseconds)", "-timeout", "\(Int(timeout) - 5)s", "-timeout_error", "-nostdin",
            "-trace_err", "-trace_msg", "-default_behaviors", "all,-abortunexp",
        ], in: sipp.work, timeout: timeout)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }
}

extension HTTPExchange {
    /// POSTs a JSON object.
    static func post(_ url: URL, json: [String: String], headers: [String: String] = [:], timeout: TimeInterval = 30) throws
        -> HTTPExchange {
        try post(url, body: try JSONSerialization.data(withJSONObject: json), contentType: "application/json",
                 headers: headers, timeout: timeout)
    }

    static func post(_ url: URL, body: Data, contentType: String, headers: [String: String] = [:],
                     timeout: TimeInterval = 30) throws -> HTTPExchange {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = PostBox()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else if let response = response as? HTTPURLResponse {
                box.result = .success(HTTPExchange(status: response.statusCode, headers: [:], body: data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + timeout + 5) == .success, let result = box.result else {
            task.cancel()
            throw ServerProcess.Failure("POST \(url): no answer within \(timeout) s")
        }
        return try result.get()
    }

    private final class PostBox: @unchecked Sendable {
        var result: Result<HTTPExchange, any Error>?
    }
}
