import Foundation
import XCTest

/// The callback queue through the real binary (issue 6): requests are queued straight into
/// the server's database (as a trigger, the web page or the spool would), the worker calls
/// the user back through a trunk to sipp playing the user's phone, and the campaign's
/// script runs on that leg. Checked: the callback comes after the delay with the configured
/// caller number and the script forwards the call (billed on both legs); a busy A leg is
/// retried after the back-off; a restart with queued requests places each once; and the
/// trigger → INVITE latency of a burst of 100 is measured (printed, not asserted).
final class CallbackQueueTests: XCTestCase {
    static let callerNumber = "7001"
    static let userNumber = "5551234"
    static let destination = "4930777"

    /// 5551234 is alice's authorised caller ID: the callback leg's `authenticate` (ani) binds
    /// alice, whose plan charges the A leg; she keys 2 (a call) and the destination.
    func testANICallbackComesAfterTheDelayWithTheCallerNumberAndItsForwardIsBilledOnBothLegs() throws {
        let data = try operatorSetUp()
        let user = try Sipp(name: "callback-user")
        let callee = try Sipp(name: "callback-callee")
        try user.makeDTMFPcap("\(Self.destination)#", named: "dest.pcap", seed: 62)
        let userPorts = Sipp.ports()
        let calleePorts = (sip: userPorts.sip + 1000, media: userPorts.media + 2000)
        let server = try startServer(data: data, userPort: userPorts.sip, calleePort: calleePorts.sip, name: "callback-ani")
        defer { server.stop() }
        let userRun = Background { try Self.runUAS(user, scenario: "callback-queue-user.xml", ports: userPorts, calls: 1) }
        let calleeRun = Background { try Self.runUAS(callee, scenario: "dial_callee.xml", ports: calleePorts, calls: 1) }
        Thread.sleep(forTimeInterval: 0.5)   // both phones listening
        let queued = try enqueue(data, numbers: [Self.userNumber], account: "alice", delaySeconds: 3)[0]

        let userResult = try userRun.wait(timeout: 70)
        let calleeResult = try calleeRun.wait(timeout: 70)
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(userResult.status, 0, "the user's sipp failed:\n\(userResult.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "the callee's sipp failed:\n\(calleeResult.output)\n\(log)")

        // The callback: after the delay, within 2 s of it, presenting the configured number.
        let invites = Self.invites(in: user)
        XCTAssertEqual(invites.count, 1, "one callback INVITE\n\(user.messageTrace())")
        let invite = try XCTUnwrap(invites.first)
        XCTAssertEqual(invite.fromUser, Self.callerNumber, "callbackcallernumber is presented")
        XCTAssertEqual(invite.requestUser, Self.userNumber)
        let late = invite.time.timeIntervalSince(queued.notBefore)
        XCTAssertGreaterThanOrEqual(invite.time.timeIntervalSince(queued.createdAt), 3 - 0.05, "not before the 3 s delay")
        XCTAssertLessThan(late, 2, "within 2 s after the delay (came \(late) s after it)")

        // The script ran on the callback leg: ANI login, menu, destination, forward, bridged.
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        for node in ["login", "balance", "ask-number", "check", "call"] {
            XCTAssertTrue(nodes.contains(node), "node \(node) ran: \(nodes)\n\(log)")
        }
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" }.map { $0["value"] ?? "" }, [Self.destination], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(Self.destination)@"), "the forward went through the trunk")
        let row = try XCTUnwrap(queue(data).first)
        XCTAssertEqual(row["state"], "completed")
        XCTAssertEqual(row["attempts"], "1")

        // Billed on both legs: the A leg (the callback to the user) and the B leg (the forward),
        // settled once the call is over.
        var cdrs: [[String: String]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            cdrs = try OperatorCLI.cdrRows(data).filter { $0["account"] == "alice" }
            if cdrs.count >= 2, cdrs.allSatisfy({ $0["disposition"] != "in-progress" }) { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        let aLeg = try XCTUnwrap(cdrs.first { $0["leg"] == "a" }, "an A-leg CDR: \(cdrs)\n\(log)")
        let bLeg = try XCTUnwrap(cdrs.first { $0["leg"] == "b" }, "a B-leg CDR: \(cdrs)\n\(log)")
        XCTAssertEqual(aLeg["to"], Self.userNumber)
        XCTAssertEqual(bLeg["to"], Self.destination)
        let billingLog = server.events { ($0["message"] ?? "").contains("leg") }.map { "\($0)" }.joined(separator: "\n")
        for leg in [aLeg, bLeg] {
            XCTAssertEqual(leg["disposition"], "answered", "\(leg)\n\(billingLog)")
            XCTAssertNotEqual(leg["cost"], "0.0000", "\(leg)")
        }
    }

    /// The user's phone is busy at the first attempt: the request goes back to the queue and
    /// is placed again after the 2 s back-off, then completes.
    func testABusyALegIsRetriedAfterTheBackoff() throws {
        let user = try Sipp(name: "callback-busy")
        let ports = Sipp.ports()
        let server = try startServer(data: nil, userPort: ports.sip, calleePort: ports.sip + 1000, name: "callback-busy")
        defer { server.stop() }
        let busyRun = Background { try Self.runUAS(user, scenario: "callback-queue-user-busy.xml", ports: ports, calls: 1) }
        Thread.sleep(forTimeInterval: 0.5)
        _ = try enqueue(server.dataDirectory, numbers: [Self.userNumber], account: nil, delaySeconds: 1)
        let busy = try busyRun.wait(timeout: 30)
        XCTAssertEqual(busy.status, 0, "busy sipp failed:\n\(busy.output)\n\(server.rawLog.suffix(4000))")
        let firstInvite = try XCTUnwrap(Self.invites(in: user).first)
        let retried = try XCTUnwrap(server.waitForEvents(timeout: 5) { $0["message"] == "callback retry queued" }.first)
        XCTAssertEqual(retried["outcome"], "busy")
        XCTAssertEqual(retried["retry-in-ms"], "2000")
        XCTAssertEqual(try queue(server.dataDirectory).first?["state"], "queued", "back in the queue during the back-off")

        let answer = try Sipp(name: "callback-busy-answer")
        let answered = try Self.runUAS(answer, scenario: "callback-queue-user-short.xml", ports: ports, calls: 1, timeout: 30)
        XCTAssertEqual(answered.status, 0, "answering sipp failed:\n\(answered.output)\n\(server.rawLog.suffix(4000))")
        let secondInvite = try XCTUnwrap(Self.invites(in: answer).first)
        XCTAssertGreaterThanOrEqual(secondInvite.time.timeIntervalSince(firstInvite.time), 2, "not before the back-off")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        let row = try XCTUnwrap(queue(server.dataDirectory).first)
        XCTAssertEqual(row["state"], "completed")
        XCTAssertEqual(row["attempts"], "2")
        XCTAssertTrue(row["lastError"]?.hasPrefix("busy") ?? false, "\(row)")
    }

    /// The server stops with two requests queued for later; the next start places each
    /// exactly once.
    func testARestartWithQueuedRequestsPlacesEachOnce() throws {
        let user = try Sipp(name: "callback-restart")
        let ports = Sipp.ports()
        let first = try startServer(data: nil, userPort: ports.sip, calleePort: ports.sip + 1000, name: "callback-restart-1")
        let data = first.dataDirectory
        let queued = try enqueue(data, numbers: ["5550001", "5550002"], account: nil, delaySeconds: 8)
        Thread.sleep(forTimeInterval: 1)
        first.stop()
        XCTAssertTrue(first.events { $0["message"] == "callback placing" }.isEmpty, "nothing was due before the stop")
        XCTAssertEqual(try queue(data).map { $0["state"] ?? "" }, ["queued", "queued"])

        let userRun = Background { try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: ports, calls: 2) }
        let second = try startServer(data: data, userPort: ports.sip, calleePort: ports.sip + 1000, name: "callback-restart-2")
        defer { second.stop() }
        let result = try userRun.wait(timeout: 40)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(second.rawLog.suffix(4000))")
        try second.waitForEvents(count: 2, timeout: 10) { $0["message"] == "callback completed" }
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(second.events { $0["message"] == "callback placing" }.count, 2, "each placed once")
        let invites = Self.invites(in: user)
        XCTAssertEqual(invites.map(\.requestUser).sorted(), ["5550001", "5550002"])
        for invite in invites {
            let request = try XCTUnwrap(queued.first { $0.number == invite.requestUser })
            XCTAssertGreaterThanOrEqual(invite.time.timeIntervalSince(request.notBefore), -0.05, "kept its time across the restart")
        }
        XCTAssertEqual(try queue(data).map { $0["state"] ?? "" }, ["completed", "completed"])
        XCTAssertEqual(try queue(data).map { $0["attempts"] ?? "" }, ["1", "1"])
    }

    /// 100 requests queued in one transaction, all due 2 s later: each callback INVITE's
    /// time at the user's sipp against its request's due time and creation (the trigger).
    /// Figures are printed (speed is measured, never asserted); every request must complete.
    func testBurstOfOneHundredCallbacksLatency() throws {
        let user = try Sipp(name: "callback-burst")
        let ports = Sipp.ports()
        // No account: the per-account limits do not apply.
        let server = try startServer(data: nil, userPort: ports.sip, calleePort: ports.sip + 1000, name: "callback-burst")
        defer { server.stop() }
        let userRun = Background {
            try Self.runUAS(user, scenario: "callback-queue-user-short.xml", ports: ports, calls: 100, holdMilliseconds: 500,
                            timeout: 90)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let numbers = (1...100).map { String(format: "5559%03d", $0) }
        let queued = try enqueue(server.dataDirectory, numbers: numbers, account: nil, delaySeconds: 2)
        let result = try userRun.wait(timeout: 100)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output.suffix(3000))\n\(server.rawLog.suffix(3000))")
        try server.waitForEvents(count: 100, timeout: 30) { $0["message"] == "callback completed" }
        let invites = Self.invites(in: user)
        XCTAssertEqual(Set(invites.map(\.requestUser)), Set(numbers), "one INVITE per request")
        XCTAssertEqual(invites.count, 100)
        var afterDue: [Double] = []
        var afterTrigger: [Double] = []
        for invite in invites {
            guard let request = queued.first(where: { $0.number == invite.requestUser }) else { continue }
            afterDue.append(invite.time.timeIntervalSince(request.notBefore) * 1000)
            afterTrigger.append(invite.time.timeIntervalSince(request.createdAt) * 1000)
        }
        XCTAssertTrue(afterDue.allSatisfy { $0 >= -50 }, "no callback before its time: \(afterDue.min() ?? 0) ms")
        let report = """
            callback burst of 100 (delay 2 s): trigger → INVITE median \(Self.percentile(afterTrigger, 50)) ms, \
            p99 \(Self.percentile(afterTrigger, 99)) ms, max \(Self.percentile(afterTrigger, 100)) ms; \
            due → INVITE median \(Self.percentile(afterDue, 50)) ms, p99 \(Self.percentile(afterDue, 99)) ms, \
            max \(Self.percentile(afterDue, 100)) ms
            """
        print(report)
        try? report.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("switchback-callback-burst.txt"),
                          atomically: true, encoding: .utf8)
        XCTAssertEqual(try queue(server.dataDirectory).filter { $0["state"] == "completed" }.count, 100)
    }

    // MARK: - Helpers

    static func percentile(_ values: [Double], _ p: Double) -> Int {
        guard !values.isEmpty else { return -1 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return Int(sorted[min(max(rank, 0), sorted.count - 1)].rounded())
    }

    /// Plan `card` charges the A leg; alice (PIN 123456, 10 EUR) has caller ID 5551234.
    static let deck = """
        prefix,description,rate,connection fee,first increment,increment
        555,Callback leg,0.0600,0.0100,1,1
        49,Germany,0.1200,0.0000,1,1
        """

    private func operatorSetUp() throws -> URL {
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "callback-queue-data")
        try OperatorCLI.run(["callers", "add", "alice", Self.userNumber], data: data)
        return data
    }

    /// Campaign ani-callback on access number 1001; the user's phones (555…) behind trunk
    /// `users`, the PSTN (49…) behind trunk `pstn`; callbacks 3 s after the trigger,
    /// presenting 7001, retried after 2 s, 3 attempts.
    /// Requests queued with no account are PIN callbacks (`enqueue`): nobody but the house
    /// account `callback.free-access-user` pays for their first leg (issue 11), so a fresh
    /// data directory gets plan `card` and account `house` with enough for 100 at once.
    private func startServer(data: URL?, userPort: Int, calleePort: Int, name: String) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        let data = try data ?? {
            let fresh = try OperatorCLI.cardPlanWithAlice(deck: Self.deck, name: "\(name)-data")
            try OperatorCLI.run(["accounts", "add", "house", "--password", "9753", "--balance", "100000", "--plan", "card"],
                                data: fresh)
            return fresh
        }()
        return try ServerProcess.callbacks(campaignsYAML: "  ani-callback: { script: \(root)/scripts/ani-callback.yaml }",
                                           userPort: userPort, calleePort: calleePort, callerNumber: Self.callerNumber,
                                           callbackYAML: """
                                             delay: 3s
                                             retry: { attempts: 3, backoff: 2s }
                                             free-access-user: house
                                           """, name: name, data: data)
    }

    struct Queued {
        var id: Int
        var number: String
        var createdAt: Date
        var notBefore: Date
    }

    /// Queues one request per number, in one transaction, as an ANI trigger would (due after
    /// `delaySeconds`, starting at the node its `callback` verb names: `login`), with the
    /// sqlite3 shell on the server's live database (WAL). Without an account, as a PIN
    /// trigger would: an ANI request always names the account it authenticated.
    private func enqueue(_ data: URL, numbers: [String], account: String?, delaySeconds: Int) throws -> [Queued] {
        let accountID = account.map { "(SELECT id FROM account WHERE login = '\($0)')" } ?? "NULL"
        let trigger = account == nil ? "sip-pin" : "sip-ani"
        var sql = "BEGIN IMMEDIATE;\n"
        for number in numbers {
            sql += """
                INSERT INTO callbackRequest (accountID, campaign, trigger, originNumber, destinations, accessNumber,
                                             node, notBefore, state, attempts, createdAt, updatedAt)
                VALUES (\(accountID), 'ani-callback', '\(trigger)', '\(number)', '[]', '1001', 'login',
                        strftime('%Y-%m-%d %H:%M:%f', 'now', '+\(delaySeconds) seconds'), 'queued', 0,
                        strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now'));

                """
        }
        sql += "COMMIT;\n"
        try sqlite(data, sql)
        let numbersList = numbers.map { "'\($0)'" }.joined(separator: ",")
        let rows = try sqlite(data, "SELECT id, originNumber, createdAt, notBefore FROM callbackRequest "
                                  + "WHERE originNumber IN (\(numbersList)) ORDER BY id")
        return try rows.map { fields in
            guard fields.count == 4, let id = Int(fields[0]), let created = Self.databaseDate(fields[2]),
                  let due = Self.databaseDate(fields[3]) else { throw ServerProcess.Failure("bad queue row \(fields)") }
            return Queued(id: id, number: fields[1], createdAt: created, notBefore: due)
        }
    }

    /// The queue: state, attempts, lastError per request, by id.
    private func queue(_ data: URL) throws -> [[String: String]] {
        try sqlite(data, "SELECT state, attempts, IFNULL(lastError, '') FROM callbackRequest ORDER BY id").map {
            ["state": $0[0], "attempts": $0.count > 1 ? $0[1] : "", "lastError": $0.count > 2 ? $0[2] : ""]
        }
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

    /// GRDB's UTC text dates ("yyyy-MM-dd HH:mm:ss.SSS").
    static func databaseDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.date(from: text)
    }

    struct ReceivedInvite {
        var time: Date
        var requestUser: String
        var fromUser: String
    }

    /// The INVITEs a sipp UAS received, with the time its message trace stamped on each
    /// (local time, microseconds); a retransmission (same Call-ID) counts once, at its first.
    static func invites(in sipp: Sipp) -> [ReceivedInvite] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: sipp.work.path)) ?? [])
            .filter { $0.hasSuffix("_messages.log") }
        var found: [ReceivedInvite] = []
        var seen: Set<String> = []
        for file in files {
            guard let text = try? String(contentsOf: sipp.work.appendingPathComponent(file), encoding: .utf8) else { continue }
            for block in text.components(separatedBy: "----------------------------------------------- ").dropFirst() {
                // SIP lines end in CRLF, which Swift takes as one Character: split on scalars.
                let lines = block.components(separatedBy: .newlines)
                guard lines.count > 3, lines[1].contains("message received"),
                      let requestLine = lines.dropFirst(2).first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }),
                      requestLine.hasPrefix("INVITE "),
                      let time = formatter.date(from: lines[0].trimmingCharacters(in: .whitespaces)) else { continue }
                let from = lines.first { $0.lowercased().hasPrefix("from:") } ?? ""
                let callID = lines.first { $0.lowercased().hasPrefix("call-id:") } ?? ""
                guard seen.insert(callID).inserted else { continue }
                found.append(ReceivedInvite(time: time, requestUser: Self.user(in: requestLine), fromUser: Self.user(in: from)))
            }
        }
        return found.sorted { $0.time < $1.time }
    }

    /// The user part of the first sip: URI in a line.
    private static func user(in line: String) -> String {
        guard let range = line.range(of: "sip:") else { return "" }
        return String(line[range.upperBound...].prefix { $0 != "@" && $0 != ">" && $0 != ";" && $0 != " " })
    }

    private static func runUAS(_ sipp: Sipp, scenario: String, ports: (sip: Int, media: Int), calls: Int,
                               holdMilliseconds: Int = 1000, timeout: TimeInterval = 60) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-m", "\(calls)",
            "-d", "\(holdMilliseconds)", "-timeout", "\(Int(timeout) - 5)s", "-timeout_error", "-nostdin",
            "-trace_err", "-trace_msg",
            // Under load, re-sent ACKs of re-sent 200s (RFC 3261 §13.2.2.4) may come late:
            // ignore them rather than abort the call.
            "-default_behaviors", "all,-abortunexp",
        ], in: sipp.work, timeout: timeout)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }
}
