import Foundation
import XCTest

/// Issue 11, limits: a sipp flood of callback triggers, a new From number on every INVITE
/// (`-inf`: rated, premium-blocked and unrated prefixes in turn), on a PIN-callback access
/// number at 50 calls/s, bounded and on 127.0.0.1 only. A second sipp is the trunk and
/// answers every callback busy. The trunk receives no more callbacks than
/// `callback.limits` admit (per source, globally, open unauthenticated at once), none to an
/// unrated or blocked prefix, and `/metrics` counts the refusals by kind. Once from a
/// trusted source (the trunk declares 127.0.0.1), once from an untrusted one.
final class TriggerFloodTests: XCTestCase {
    static let floodCalls = 300
    static let perMinutePerSource = 20
    static let perMinuteGlobal = 30
    static let concurrentUnauthenticated = 5

    func testAFloodFromATrustedSourceIsHeldToTheLimits() throws {
        try flood(trustedSources: "[127.0.0.1/32]", name: "flood-trusted")
    }

    func testAFloodFromAnUntrustedSourceIsHeldToTheLimits() throws {
        try flood(trustedSources: "[10.0.0.0/8]", name: "flood-untrusted")
    }

    private func flood(trustedSources: String, name: String) throws {
        let data = try houseData(name)
        let trunk = try Sipp(name: "\(name)-trunk")
        let trunkPorts = Sipp.ports()
        let server = try startServer(data: data, trunkPort: trunkPorts.sip, trustedSources: trustedSources, name: name)
        defer { server.stop() }

        // The trunk: answers every INVITE 486 (the user is busy), for a bounded 25 s.
        let trunkRun = Background {
            try ChildProcess.run(trunk.executable, [
                "-sf", "callback-queue-user-busy.xml", "-i", "127.0.0.1", "-p", "\(trunkPorts.sip)",
                "-mp", "\(trunkPorts.media)", "-m", "\(Self.floodCalls)", "-timeout", "25s", "-nostdin",
                "-trace_err", "-trace_msg", "-default_behaviors", "all,-abortunexp",
            ], in: trunk.work, timeout: 35)
        }
        Thread.sleep(forTimeInterval: 0.5)

        // The flood: one From per INVITE, rated (4930…), premium and blocked (4990…) and
        // unrated (4470…) in turn.
        let caller = try Sipp(name: "\(name)-caller")
        let numbers = (0..<Self.floodCalls).map { index -> String in
            let prefix = ["4930", "4990", "4470"][index % 3]
            return prefix + String(format: "%06d", 100_000 + index)
        }
        try (["SEQUENTIAL"] + numbers.map { "\($0);" }).joined(separator: "\n")
            .appending("\n").write(to: caller.work.appendingPathComponent("numbers.csv"), atomically: true, encoding: .utf8)
        let callerPorts = Sipp.ports()
        let flood = try ChildProcess.run(caller.executable, [
            "127.0.0.1:\(server.udpPort)", "-sf", "trigger-flood-caller.xml", "-inf", "numbers.csv", "-s", "1001",
            "-i", "127.0.0.1", "-p", "\(callerPorts.sip)", "-mp", "\(callerPorts.media)",
            "-r", "50", "-rp", "1000", "-m", "\(Self.floodCalls)", "-l", "100",
            "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err",
        ], in: caller.work, timeout: 50)
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(flood.status, 0, "every trigger got an answer and none was answered 200:\n\(flood.output)\n\(log)")

        // Every trigger was either queued or refused: the server saw them all.
        try server.waitForEvents(count: Self.floodCalls, timeout: 20) {
            $0["message"] == "callback queued" || $0["message"] == "callback not queued"
        }
        let queued = server.events { $0["message"] == "callback queued" }
        let limited = server.events { $0["message"] == "callback not queued" && ($0["error"] ?? "").contains("too many") }
        XCTAssertEqual(queued.count + limited.count, Self.floodCalls,
                       "each trigger queued or refused by a limit, nothing else:\n\(log)")
        XCTAssertGreaterThan(queued.count, 0, "the limits admit some triggers:\n\(log)")
        XCTAssertLessThanOrEqual(queued.count, Self.perMinutePerSource, "no more than one source's minute:\n\(log)")

        // The trunk saw no more than were queued, and none to an unrated or blocked number.
        let trunkResult = try trunkRun.wait(timeout: 40)
        let invites = CallbackQueueTests.invites(in: trunk)
        XCTAssertLessThanOrEqual(invites.count, queued.count,
                                 "callbacks placed: \(invites.map(\.requestUser))\n\(trunkResult.output.suffix(2000))")
        XCTAssertLessThanOrEqual(invites.count, Self.perMinutePerSource)
        let unratedOrBlocked = invites.map(\.requestUser).filter { !$0.hasPrefix("4930") }
        XCTAssertEqual(unratedOrBlocked, [], "no callback to a premium (blocked) or unrated number")
        // Never more open unauthenticated callbacks than the cap: the queue never held more.
        let open = try maxOpenUnauthenticated(data)
        XCTAssertLessThanOrEqual(open, Self.concurrentUnauthenticated, "open at once, by creation and end times")

        // /metrics counts the refusals by kind, and they add up to those the log shows.
        let metrics = try HTTPExchange.send("GET", URL(string: "http://127.0.0.1:\(server.httpPort)/metrics")!).text
        var counted = 0
        for kind in ["caller-id", "source", "global", "concurrent-unauthenticated"] {
            let value = metric(#"switchback_trigger_limited_total{kind="\#(kind)"}"#, in: metrics)
            XCTAssertNotNil(value, "kind \(kind) shown:\n\(metrics)")
            counted += value ?? 0
        }
        XCTAssertEqual(counted, limited.count, metrics)
        let byKind = metrics.split(separator: "\n").filter { $0.hasPrefix("switchback_trigger_limited_total{") }
        print("trigger flood (\(name)): \(Self.floodCalls) triggers, \(queued.count) queued, \(limited.count) limited "
              + "(\(byKind.joined(separator: ", "))), \(invites.count) callbacks at the trunk, most open at once \(open)")
        XCTAssertGreaterThan(metric(#"switchback_trigger_limited_total{kind="concurrent-unauthenticated"}"#, in: metrics) ?? 0,
                             0, "the flood met the concurrent cap:\n\(metrics)")
        XCTAssertGreaterThanOrEqual(metric("switchback_refused_triggers_total", in: metrics) ?? 0, limited.count, metrics)
    }

    /// The trusted sources and the trigger rate limits follow a reload (SIGHUP): alice's
    /// caller ID from 127.0.0.1 is a PIN callback while only 10.0.0.0/8 is trusted, and her
    /// second trigger is over `per-minute-per-caller-id: 1`; after the reload trusts
    /// 127.0.0.1 and allows 3, the same caller ID is an ANI callback bound to her account.
    func testTrustedSourcesAndLimitsFollowAReload() throws {
        let data = try InteropPaths.temporaryDirectory("flood-reload-data").appendingPathComponent("data")
        try OperatorCLI.run(["accounts", "add", "alice", "--password", "wonderland", "--pin", "123456", "--balance", "5",
                             "--currency", "EUR"], data: data)
        try OperatorCLI.run(["callers", "add", "alice", "4930111"], data: data)
        let root = InteropPaths.packageRoot.path
        func extra(trusted: String, perCaller: Int) -> String {
            """
            trunks:
              - { name: pstn, uri: "sip:127.0.0.1:9", destinations: ["*"], trusted-sources: [\(trusted)] }
            callback:
              delay: 60s
              limits: { per-minute-per-caller-id: \(perCaller) }
            """
        }
        let numbers = #"  "1001": { campaign: ani-callback, callback: always }"#
        let campaigns = "  ani-callback: { script: \(root)/scripts/ani-callback.yaml }"
        let server = try ServerProcess(accessNumbersYAML: numbers, campaignsYAML: campaigns,
                                       extraYAML: extra(trusted: "10.0.0.0/8", perCaller: 1), name: "flood-reload",
                                       dataDirectory: data, logLevel: "info")
        defer { server.stop() }
        let sipp = try Sipp(name: "flood-reload")
        try "SEQUENTIAL\n4930111;\n".write(to: sipp.work.appendingPathComponent("alice.csv"), atomically: true, encoding: .utf8)
        func trigger() throws {
            let ports = Sipp.ports()
            let result = try sipp.run(scenario: "trigger-flood-caller.xml", target: "127.0.0.1:\(server.udpPort)",
                                      service: "1001", mediaPort: ports.media, sipPort: ports.sip,
                                      extraArguments: ["-inf", "alice.csv"], timeout: 30)
            XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(server.rawLog.suffix(3000))")
        }
        try trigger()
        let first = try server.waitForEvents(timeout: 10) { $0["message"] == "callback queued" }
        XCTAssertEqual(first.first?["trigger"], "sip-pin", "an untrusted source's caller ID authenticates nobody")
        try trigger()
        let refused = try server.waitForEvents(timeout: 10) { $0["message"] == "callback not queued" }
        XCTAssertTrue(refused.first?["error"]?.contains("caller-id limit") ?? false, "\(refused)")

        try server.writeConfig(accessNumbersYAML: numbers, campaignsYAML: campaigns,
                               extraYAML: extra(trusted: "127.0.0.1/32", perCaller: 3))
        server.signal(SIGHUP)
        try server.waitForEvents(timeout: 10) { $0["message"] == "configuration reloaded" }
        try trigger()
        let queued = try server.waitForEvents(count: 2, timeout: 10) { $0["message"] == "callback queued" }
        XCTAssertEqual(queued.last?["trigger"], "sip-ani", "127.0.0.1 is trusted now: the caller ID is alice's")
    }

    // MARK: - Set-up

    /// The house account pays unauthenticated PIN callbacks: plan `house` rates 4930 and
    /// blocks the premium 4990; 4470 has no rate.
    private func houseData(_ name: String) throws -> URL {
        let data = try InteropPaths.temporaryDirectory("\(name)-data").appendingPathComponent("data")
        let deck = data.deletingLastPathComponent().appendingPathComponent("house.csv")
        try "prefix,description,rate,fee,first,increment\n4930,Berlin,0.0500,0,60,60\n4990,Premium,2.0000,0,60,60\n"
            .write(to: deck, atomically: true, encoding: .utf8)
        try OperatorCLI.run(["rates", "import", "house", deck.path, "--currency", "EUR", "--charge-a-leg", "--block", "4990"],
                            data: data)
        try OperatorCLI.run(["accounts", "add", "house", "--password", "house-secret", "--pin", "975310", "--balance", "100",
                             "--plan", "house"], data: data)
        return data
    }

    private func startServer(data: URL, trunkPort: Int, trustedSources: String, name: String) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        return try ServerProcess(accessNumbersYAML: """
              "1001": { campaign: pin-callback, callback: always }
            """, campaignsYAML: """
              pin-callback: { script: \(root)/scripts/pin-callback.yaml }
            """, extraYAML: """
            trunks:
              - { name: pstn, uri: "sip:127.0.0.1:\(trunkPort)", destinations: ["*"], trusted-sources: \(trustedSources) }
            callback:
              delay: 1s
              free-access-user: house
              retry: { attempts: 1, backoff: 1s }
              limits:
                per-minute-per-caller-id: 3
                per-minute-per-source: \(Self.perMinutePerSource)
                per-minute-global: \(Self.perMinuteGlobal)
                concurrent-unauthenticated: \(Self.concurrentUnauthenticated)
            """, name: name, dataDirectory: data, logLevel: "info")
    }

    /// The most callback requests for no account that were open (created, not yet ended)
    /// at the same moment, from the queue's creation and update times.
    private func maxOpenUnauthenticated(_ data: URL) throws -> Int {
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let open = """
            SELECT MAX(n) FROM (SELECT (SELECT COUNT(*) FROM callbackRequest b WHERE b.accountID IS NULL
                AND b.createdAt <= a.createdAt
                AND (b.state NOT IN ('completed', 'failed', 'cancelled') OR b.updatedAt > a.createdAt)) AS n
              FROM callbackRequest a WHERE a.accountID IS NULL)
            """
        let result = try ChildProcess.run(sqlite, [data.appendingPathComponent("switchback.sqlite").path, open], timeout: 20)
        guard result.status == 0, let value = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ServerProcess.Failure("sqlite3 failed: \(result.output)")
        }
        return value
    }

    private func metric(_ name: String, in text: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}
