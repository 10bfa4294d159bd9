import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The kill -9 soak (issue 16): under steady load — sipp calling the calling-card access
/// number and bridging through a trunk whose far end is another sipp, callbacks queued
/// through the HTTP API whose users' phones (a third sipp) answer and get bridged to the
/// same trunk — the server is killed with -9 at random moments and restarted on the same
/// data. Afterwards, read from the database (read-only, Python's sqlite3):
///
/// - every callback request was queued once, reached its user at most once (an INVITE
///   answered and ACKed: a user on a script), and ended completed, or failed as
///   interrupted, or is still queued — none left in a calling state;
/// - every balance equals its ledger (the initial credit plus the call charges, each
///   running balance following from the one before);
/// - every settled reservation's charge is the sum of its charged legs' costs (no CDR
///   missing) and has its ledger entry; no reservation and no leg is left open;
/// - the phone registered before the first kill is restored by every restart, without
///   registering again, and is still bound at the end.
///
/// CI runs 3 kills (about two minutes); `SWITCHBACK_SOAK_KILLS=20` runs a long one.
/// `SWITCHBACK_SOAK_SEED` repeats a run's kill moments.
final class KillSoakTests: XCTestCase {
    static let deck = """
        prefix,description,rate,connection fee,first increment,increment
        700,Calling card access,0.0725,0.0150,30,6
        4930,Berlin,0.1200,0.0100,1,1
        555,Users,0.0100,0.0000,1,1
        """

    func testMoneyQueueAndRegistrationsSurviveKillNines() throws {
        let kills = Int(ProcessInfo.processInfo.environment["SWITCHBACK_SOAK_KILLS"] ?? "") ?? 3
        try soak(kills: kills, sipLoops: 1)
    }

    /// The same load and invariants with the SIP side on two event loops (`sip.event-loops`):
    /// calls, callbacks and the registration are spread over both by Call-ID, and the
    /// money, queue and registration come out as on one.
    func testTheSoakOnTwoSIPEventLoops() throws {
        try soak(kills: 1, sipLoops: 2)
    }

    private func soak(kills: Int, sipLoops: Int) throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = UInt64(environment["SWITCHBACK_SOAK_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
        var random = SeededRandom(seed: seed)
        let callbacksPerEpoch = 3
        let callbackCount = callbacksPerEpoch * (kills + 1)
        print("kill soak: \(kills) kills, \(sipLoops) SIP event loops, seed \(seed)")

        // The operator's setup: plan, account (password 2468, PIN 123456), the users' numbers.
        let data = try InteropPaths.temporaryDirectory("soak-data").appendingPathComponent("data")
        try OperatorCLI.importRateDeck(Self.deck, plan: "card", data: data)
        try OperatorCLI.run(["accounts", "add", "alice", "--password", "2468", "--pin", "123456", "--balance", "1000",
                             "--plan", "card"], data: data)
        for k in 1...callbackCount {
            try OperatorCLI.run(["callers", "add", "alice", Self.userNumber(k)], data: data)
        }

        // The far ends: the PSTN behind trunk `pstn` and the users' phones behind `users`.
        let pstnPorts = CallbackEndToEndTests.freePorts()
        let userPorts = CallbackEndToEndTests.freePorts(avoiding: [pstnPorts])
        let pstn = try Sipp(name: "soak-pstn")
        let users = try Sipp(name: "soak-users")
        let pstnPeer = try SippPeer(pstn, [
            "-sf", "calling-card-pstn.xml", "-i", "127.0.0.1", "-p", "\(pstnPorts.sip)", "-mp", "\(pstnPorts.media)",
            "-rtp_echo", "-m", "1000000", "-nostdin", "-trace_msg",
        ])
        defer { pstnPeer.stop() }
        let usersPeer = try SippPeer(users, [
            "-sf", "callback-queue-user-short.xml", "-i", "127.0.0.1", "-p", "\(userPorts.sip)", "-mp", "\(userPorts.media)",
            "-d", "4000", "-m", "1000000", "-nostdin", "-trace_msg",
        ])
        defer { usersPeer.stop() }

        let caller = try Sipp(name: "soak-caller")
        try caller.makeDTMFPcap("123456#", named: "pin.pcap", seed: 71)
        try caller.makeDTMFPcap("4930777#", named: "dest.pcap", seed: 72)
        let root = InteropPaths.packageRoot.path
        func start(_ epoch: Int) throws -> ServerProcess {
            try ServerProcess(accessNumbersYAML: #"  "700": { campaign: calling-card, callback: none }"#,
                              campaignsYAML: """
                                calling-card: { script: \(root)/scripts/calling-card.yaml }
                                web-callback: { script: \(root)/scripts/web-callback.yaml }
                              """,
                              extraYAML: """
                              trunks:
                                - name: users
                                  uri: sip:127.0.0.1:\(userPorts.sip)
                                  destinations: ["555"]
                                - name: pstn
                                  uri: sip:127.0.0.1:\(pstnPorts.sip)
                                  destinations: ["49"]
                                  trusted-sources: [127.0.0.1/32]
                              callback:
                                caller-number: "7001"
                                web-campaign: web-callback
                                limits: { concurrent-per-account: 100, per-hour-per-account: 10000 }
                              """, name: "soak-\(epoch)", dataDirectory: data, logLevel: "info",
                              sipYAML: "event-loops: \(sipLoops)")
        }

        var servers: [ServerProcess] = []
        defer { servers.last?.stop() }
        var posted: [Int: Int] = [:]   // callback k → HTTP status
        var nextCallback = 1
        let phonePort = CallbackEndToEndTests.freePorts(avoiding: [pstnPorts, userPorts]).sip
        for epoch in 0...kills {
            let server = try start(epoch)
            servers.append(server)
            if epoch == 0 {
                let register = try ChildProcess.run(caller.executable, [
                    "127.0.0.1:\(server.udpPort)", "-sf", "soak-register.xml", "-i", "127.0.0.1", "-p", "\(phonePort)",
                    "-m", "1", "-s", "alice", "-au", "alice", "-ap", "2468", "-timeout", "20s", "-timeout_error",
                    "-nostdin", "-trace_err",
                ], in: caller.work, timeout: 30)
                XCTAssertEqual(register.status, 0, "the phone did not register:\n\(register.output)\n\(server.rawLog.suffix(3000))")
            } else {
                let restored = try server.waitForEvents(timeout: 10) { $0["message"] == "registrations restored" }
                XCTAssertEqual(restored.first?["bindings"], "1", "restart \(epoch) lost the registration")
            }
            let ports = CallbackEndToEndTests.freePorts(avoiding: [pstnPorts, userPorts])
            let callers = try SippPeer(caller, [
                "127.0.0.1:\(server.udpPort)", "-sf", "soak-card-caller.xml", "-s", "700", "-i", "127.0.0.1",
                "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-r", "1", "-rp", "2000", "-l", "10", "-m", "1000000", "-nostdin",
            ])
            // The last epoch only queues its callbacks; the others end in a kill at a random moment.
            let length = epoch == kills ? 6.0 : 10.0 + random.unit() * 15.0
            let postTimes = (0..<callbacksPerEpoch).map { _ in 0.5 + random.unit() * (length - 1.0) }.sorted()
            let began = Date()
            for at in postTimes {
                Thread.sleep(until: began.addingTimeInterval(at))
                posted[nextCallback] = try Self.postCallback(server: server, k: nextCallback)
                nextCallback += 1
            }
            Thread.sleep(until: began.addingTimeInterval(length))
            if epoch < kills {
                server.killHard()
                callers.stop()
            } else {
                // The last callers finish their calls (a caller that just vanishes, without
                // BYE, would hold its bridge open until a media timeout).
                callers.stop(grace: 30)
            }
        }

        // Drain: the last server places what is queued; the calls end; nothing stays open.
        let final = try XCTUnwrap(servers.last)
        let database = data.appendingPathComponent("switchback.sqlite").path
        var state = try Self.invariants(database)
        let deadline = Date().addingTimeInterval(120)
        var drained = false
        while Date() < deadline {
            state = try Self.invariants(database)
            let busy = state.callbacks.filter { !["completed", "failed", "cancelled"].contains($0.state) }
            drained = busy.isEmpty && state.openReservations.isEmpty && state.openLegs.isEmpty
            if drained { break }
            Thread.sleep(forTimeInterval: 1)
        }
        XCTAssertTrue(drained, "after 120 s the last server still has open calls or callbacks in progress:\n"
                      + "\(final.rawLog.suffix(4000))")
        let running = state
        final.stop()
        usersPeer.stop()
        pstnPeer.stop()
        state = try Self.invariants(database)
        let userCalls = try Self.invitesAndAcks(users)

        // The figures.
        let recovered = servers.flatMap { $0.events { $0["message"] == "recovered reservation" } }.count
        let requeued = running.callbacks.filter { ($0.lastError ?? "").hasPrefix("requeued") }.count
        let summary = """
            kill soak: \(kills) kills (seed \(seed)); \(callbackCount) callbacks: \
            \(state.callbacks.filter { $0.state == "completed" }.count) completed, \
            \(state.callbacks.filter { $0.state == "failed" }.count) failed, \
            \(state.callbacks.filter { $0.state == "queued" }.count) queued, \(requeued) requeued by recovery; \
            \(userCalls.values.reduce(0) { $0 + $1.invites }) INVITEs to users, \
            \(userCalls.values.reduce(0) { $0 + $1.answered }) answered; \(state.legs) call legs, \
            \(state.settledReservations) reservations settled, \(recovered) recovered after kills
            """
        print(summary)
        print("callbacks: \(state.callbacks)\nusers' calls: \(userCalls)")
        let context = summary

        // Every callback was queued once and reached its user at most once.
        XCTAssertEqual(posted.count, callbackCount)
        XCTAssertEqual(posted.values.filter { $0 != 201 }, [], "every POST queued its request: \(posted)")
        XCTAssertEqual(state.callbacks.count, callbackCount, context)
        for k in 1...callbackCount {
            let number = Self.userNumber(k)
            let requests = state.callbacks.filter { $0.origin == number }
            XCTAssertEqual(requests.count, 1, "callback \(k) queued \(requests.count) times\n\(context)")
            guard let request = requests.first else { continue }
            let answered = userCalls[number]?.answered ?? 0
            XCTAssertLessThanOrEqual(answered, 1, "user \(number) was reached \(answered) times\n\(context)")
            switch request.state {
            case "completed":
                XCTAssertEqual(answered, 1, "callback \(k) completed without reaching its user\n\(context)")
            case "failed":
                XCTAssertTrue((request.lastError ?? "").hasPrefix("interrupted"),
                              "callback \(k) failed for another reason than a kill: \(request)\n\(context)")
            case "queued":
                XCTAssertEqual(answered, 0, "callback \(k) is queued but reached its user\n\(context)")
            default:
                XCTFail("callback \(k) left \(request.state) after the drain\n\(context)")
            }
        }

        // Money: balances follow their ledgers; every charge is explained by its legs.
        for check in [running, state] {
            for account in check.accounts {
                XCTAssertEqual(account.balance, account.ledgerSum, "\(account.login): balance is not its ledger")
                XCTAssertEqual(account.chainBreaks, [], "\(account.login): ledger entries whose balance-after breaks the chain")
            }
            XCTAssertEqual(check.openReservations, [], "reservations left open\n\(context)")
            XCTAssertEqual(check.openLegs, [], "legs left open\n\(context)")
            XCTAssertEqual(check.settlementMismatches, [], "charges not explained by their CDRs\n\(context)")
            XCTAssertEqual(check.legsOfUnsettledReservations, [], context)
        }
        XCTAssertGreaterThan(state.legs, 0, "the load placed no call at all\n\(context)")
        XCTAssertTrue(state.accounts.contains { $0.login == "alice" && $0.entries > 1 }, "alice was never charged\n\(context)")

        // The registration came back every time and is still there.
        XCTAssertEqual(servers.dropFirst().flatMap { $0.events { $0["message"] == "registered" } }.count, 0,
                       "the phone registered once, before the first kill")
        XCTAssertEqual(state.liveBindings.map(\.user), ["alice"], context)

        // Every loop ran calls (each line of a call names its loop).
        let loopsRun = servers.flatMap { $0.events { $0["message"] == "SIP event loops" }.compactMap { $0["loops"] } }
        XCTAssertEqual(Set(loopsRun), ["\(sipLoops)"], "every server ran \(sipLoops) SIP loops (two need a machine of two cores)")
        let loopsOfCalls = Set(servers.flatMap { $0.events { $0["call-id"] != nil }.compactMap { $0["sip-loop"] } })
        XCTAssertEqual(loopsOfCalls, sipLoops > 1 ? Set((0..<sipLoops).map(String.init)) : [],
                       "the SIP loops that logged call lines\n\(context)")
    }

    static func userNumber(_ k: Int) -> String { "555" + String(format: "%04d", k) }

    /// POSTs callback `k` (user 555…k to 4930555…k) as alice with an Idempotency-Key;
    /// returns the HTTP status.
    static func postCallback(server: ServerProcess, k: Int) throws -> Int {
        let python = try Peer.require("python3", package: "python3")
        let code = """
            import base64, sys, urllib.request, urllib.error
            base, body, key = sys.argv[1:4]
            request = urllib.request.Request(base + "/api/v1/callbacks", data=body.encode(), method="POST", headers={
                "Authorization": "Basic " + base64.b64encode(b"alice:2468").decode(),
                "Content-Type": "application/json", "Idempotency-Key": key})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    print(response.status)
            except urllib.error.HTTPError as error:
                print(error.code, error.read().decode())
            """
        let body = #"{"from": "\#(userNumber(k))", "to": "4930555\#(String(format: "%04d", k))"}"#
        let result = try ChildProcess.run(python, ["-c", code, server.httpBase.absoluteString, body, "soak-\(k)"], timeout: 20)
        let status = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(3)) ?? 0
        if status != 201 { print("callback \(k): \(result.output)") }
        return status
    }

    struct Invariants: Decodable {
        struct Account: Decodable {
            var login: String
            var balance: Int64
            var ledgerSum: Int64
            var entries: Int
            var chainBreaks: [Int64]
        }
        struct Mismatch: Decodable, Equatable {
            var reservation: Int64
            var charged: Int64
            var legsCost: Int64
            var ledger: Int64
            var hasLedgerEntry: Bool
        }
        struct Callback: Decodable, CustomStringConvertible {
            var id: Int64
            var origin: String?
            var destinations: String
            var state: String
            var attempts: Int
            var lastError: String?
            var description: String { "#\(id) \(origin ?? "-") \(state) attempts \(attempts) \(lastError ?? "")" }
        }
        struct Binding: Decodable {
            var user: String
            var expiresAt: String
        }
        var accounts: [Account]
        var openReservations: [Int64]
        var openLegs: [Int64]
        var settledReservations: Int
        var settlementMismatches: [Mismatch]
        var legsOfUnsettledReservations: [Int64]
        var legs: Int
        var callbacks: [Callback]
        var liveBindings: [Binding]
    }

    static func invariants(_ database: String) throws -> Invariants {
        let python = try Peer.require("python3", package: "python3")
        let script = InteropPaths.fixtures.appendingPathComponent("python/soak_invariants.py").path
        let result = try ChildProcess.run(python, [script, database], timeout: 60)
        guard result.status == 0, let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("{") }) else {
            throw ServerProcess.Failure("soak_invariants.py failed (\(result.status)):\n\(result.output)")
        }
        return try JSONDecoder().decode(Invariants.self, from: Data(line.utf8))
    }

    /// Per user number: INVITEs the users' sipp received (distinct Call-IDs) and how many
    /// of them it got the ACK for (the user was on a script).
    static func invitesAndAcks(_ sipp: Sipp) throws -> [String: (invites: Int, answered: Int)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: sipp.work.path).filter { $0.hasSuffix("_messages.log") }
        let text = try files.map { try String(contentsOf: sipp.work.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        var numberOfCall: [String: String] = [:]
        var acked = Set<String>()
        for block in text.components(separatedBy: "message received [") {
            // SIP lines end in CRLF, one Character: split on any newline.
            let lines = block.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let requestLine = lines.dropFirst().first(where: { !$0.isEmpty }),
                  let callID = lines.first(where: { $0.lowercased().hasPrefix("call-id:") })?
                      .dropFirst("call-id:".count).trimmingCharacters(in: .whitespaces) else { continue }
            if requestLine.hasPrefix("INVITE sip:") {
                numberOfCall[callID] = String(requestLine.dropFirst("INVITE sip:".count).prefix { $0 != "@" })
            } else if requestLine.hasPrefix("ACK ") {
                acked.insert(callID)
            }
        }
        var calls: [String: (invites: Int, answered: Int)] = [:]
        for (callID, number) in numberOfCall {
            calls[number, default: (0, 0)].invites += 1
            if acked.contains(callID) { calls[number, default: (0, 0)].answered += 1 }
        }
        return calls
    }
}

/// A sipp left running until stopped (a UAS for the whole soak, or a caller for one epoch).
final class SippPeer {
    private let process = Process()

    init(_ sipp: Sipp, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: sipp.executable)
        process.arguments = arguments
        process.currentDirectoryURL = sipp.work
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// SIGUSR1 asks sipp to stop placing calls and quit once its calls are over (its logs
    /// are flushed); after `grace` seconds it is terminated.
    func stop(grace: TimeInterval = 5) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGUSR1)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let hard = Date().addingTimeInterval(3)
        while process.isRunning && Date() < hard { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// splitmix64: the soak's kill moments, repeatable from a printed seed.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
