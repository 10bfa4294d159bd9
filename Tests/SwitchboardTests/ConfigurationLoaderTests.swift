import Foundation
import Store
@testable import Switchboard
import XCTest

/// The configuration file over embedded defaults: what is given replaces, what is wrong
/// is named with its line and key path.
final class ConfigurationLoaderTests: XCTestCase {
    func testEmbeddedDefaultsAreTheDemoConfiguration() {
        let c = SwitchbackConfiguration.embeddedDefaults()
        XCTAssertEqual(c.sip.listen, ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"])
        XCTAssertEqual(c.http.listen, "0.0.0.0:8080")
        XCTAssertEqual(c.media.rtpPorts, 20000...29999)
        XCTAssertEqual(c.accessNumbers["100"]?.campaign, "demo")
        XCTAssertEqual(c.campaigns["demo"]?.script, "scripts/demo.yaml")
        XCTAssertEqual(c.database, .embeddedSQLite)
        XCTAssertEqual(c.callback.anumberhandling, .addAndAccept)
        XCTAssertEqual(c.accessNumbers["1000"]?.callback, CallbackMode.none)
        XCTAssertEqual(c.accessNumbers["1001"]?.callback, .always)
        XCTAssertEqual(c.accessNumbers["1001"]?.campaign, "ani-callback")
        XCTAssertEqual(c.accessNumbers["1002"]?.callback, .ivrUnlessAuthenticated)
        XCTAssertEqual(c.callback.didCampaign, "did-callback")
        XCTAssertEqual(c.callback.webCampaign, "web-callback", "API, web and spool callbacks run web-callback.yaml")
        XCTAssertNil(c.spool)
        for name in ["calling-card", "ani-callback", "pin-callback", "did-callback", "web-callback"] {
            XCTAssertEqual(c.campaigns[name]?.script, "scripts/\(name).yaml")
        }
    }

    func testSecureCookiesIsOffUnlessSaid() throws {
        XCTAssertFalse(SwitchbackConfiguration.embeddedDefaults().http.secureCookies)
        XCTAssertTrue(try ConfigurationLoader.parse(yaml: "http: { secure-cookies: true }", file: "t.yaml").http.secureCookies)
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "http: { secure-cookies: maybe }", file: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("http.secure-cookies"), "\($0)")
        }
    }

    func testRTPTimeoutDefaultsToAMinuteAndCanBeOff() throws {
        XCTAssertEqual(SwitchbackConfiguration.embeddedDefaults().media.rtpTimeout, .seconds(60))
        XCTAssertEqual(try ConfigurationLoader.parse(yaml: "media: { rtp-timeout: 90s }", file: "t.yaml").media.rtpTimeout,
                       .seconds(90))
        XCTAssertNil(try ConfigurationLoader.parse(yaml: "media: { rtp-timeout: off }", file: "t.yaml").media.rtpTimeout)
        for bad in ["1s", "soon", "2h"] {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "media: { rtp-timeout: \(bad) }", file: "t.yaml")) {
                XCTAssertTrue("\($0)".contains("media.rtp-timeout"), "\($0)")
            }
        }
    }

    func testSpoolAndWebCampaign() throws {
        let short = try ConfigurationLoader.parse(yaml: "spool: data/WebCallBackData.txt", file: "t.yaml")
        XCTAssertEqual(short.spool, .init(file: "data/WebCallBackData.txt"))
        let long = try ConfigurationLoader.parse(yaml: """
        spool: { file: in.txt, rejects: bad.txt, poll: 2s }
        """, file: "t.yaml")
        XCTAssertEqual(long.spool, .init(file: "in.txt", rejects: "bad.txt", pollInterval: .seconds(2)))
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "spool: { rejects: bad.txt }", file: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("spool"), "\($0)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "callback: { web-campaign: nope }", file: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("callback.web-campaign"), "\($0)")
        }
        // A file with its own campaigns and no web campaign serves no API callbacks.
        let own = try ConfigurationLoader.parse(yaml: """
        campaigns:
          demo: { script: scripts/demo.yaml }
        access-numbers:
          "100": { campaign: demo }
        """, file: "t.yaml")
        XCTAssertNil(own.callback.webCampaign)
    }

    func testCallbackSectionDefaults() {
        let c = SwitchbackConfiguration.embeddedDefaults().callback
        XCTAssertEqual(c.delay, .seconds(3))
        XCTAssertNil(c.callerNumber)
        XCTAssertEqual(c.maxParticipants, 5)
        XCTAssertFalse(c.freeIVRAccess)
        XCTAssertNil(c.freeAccess)
        XCTAssertEqual(c.retry, .init(attempts: 3, backoff: .seconds(30)))
        XCTAssertEqual(c.limits, .init(concurrentPerAccount: 2, perHourPerAccount: 10))
        XCTAssertEqual(c.idempotencyWindow, .seconds(60))
        XCTAssertEqual(c.pinLockout, .init(attempts: 5, period: .seconds(900)))
    }

    func testCallbackKeysAndAccessNumberModes() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        campaigns:
          card: { script: scripts/calling-card.yaml, caller-id: "4930999", forward-caller-id: false }
          ani: { script: scripts/ani-callback.yaml }
        access-numbers:
          "1": { campaign: card, callback: 0 }
          "2": { campaign: ani, callback: 6, anumberhandling: 1, caller-number: "4930555" }
          "3": { campaign: ani, callback: drop-unauthenticated, sip-digest: always }
          "4": { campaign: ani, callback: card, sip-digest: never }
          "5": { campaign: ani, callback: "7" }
        callback:
          delay: 5s
          caller-number: "4930100"
          anumberhandling: 2
          max-participants: 8
          free-ivr-access: true
          free-access-user: guest
          retry: { attempts: 4, backoff: 2m }
          limits: { concurrent-per-account: 3, per-hour-per-account: 20 }
          idempotency-window: 90s
          pin-lockout: { attempts: 3, period: 1h }
          did-campaign: ani
        """, file: "c.yaml")
        XCTAssertEqual(c.campaigns["card"], .init(script: "scripts/calling-card.yaml", callerID: "4930999", forwardCallerID: false))
        XCTAssertEqual(c.campaigns["ani"]?.forwardCallerID, true)
        XCTAssertNil(c.campaigns["ani"]?.callerID)
        XCTAssertEqual(c.accessNumbers["1"]?.callback, CallbackMode.none)
        XCTAssertEqual(c.accessNumbers["2"]?.callback, .always)
        XCTAssertEqual(c.accessNumbers["2"]?.anumberhandling, .addOnly)
        XCTAssertEqual(c.accessNumbers["2"]?.callerNumber, "4930555")
        XCTAssertEqual(c.accessNumbers["3"]?.callback, .dropUnauthenticated)
        XCTAssertEqual(c.accessNumbers["3"]?.sipDigest, .always)
        XCTAssertEqual(c.accessNumbers["4"]?.callback, .script("card"))
        XCTAssertEqual(c.accessNumbers["4"]?.sipDigest, .never)
        XCTAssertEqual(c.accessNumbers["5"]?.callback, .alwaysIVR)
        XCTAssertEqual(c.accessNumbers["5"]?.sipDigest, .never, "issue 11: a number challenges only when it says so")
        XCTAssertNil(c.accessNumbers["5"]?.anumberhandling)
        XCTAssertEqual(c.callback.delay, .seconds(5))
        XCTAssertEqual(c.callback.callerNumber, "4930100")
        XCTAssertEqual(c.callback.anumberhandling, .acceptOnly)
        XCTAssertEqual(c.callback.maxParticipants, 8)
        XCTAssertEqual(c.callback.freeAccess, FreeIVRAccess(account: "guest"))
        XCTAssertEqual(c.callback.retry, .init(attempts: 4, backoff: .seconds(120)))
        XCTAssertEqual(c.callback.limits, .init(concurrentPerAccount: 3, perHourPerAccount: 20))
        XCTAssertEqual(c.callback.idempotencyWindow, .seconds(90))
        XCTAssertEqual(c.callback.pinLockout, .init(attempts: 3, period: .seconds(3600)))
        XCTAssertEqual(c.callback.didCampaign, "ani")
    }

    func testTriggerRateLimitsHaveSafeDefaultsAndAreRead() throws {
        let defaults = try ConfigurationLoader.parse(yaml: "callback: { delay: 1s }", file: "c.yaml").callback.limits
        XCTAssertEqual(TriggerRateLimiter.Limits(defaults),
                       .init(perMinutePerCallerID: 3, perMinutePerSource: 30, perMinuteGlobal: 60, concurrentUnauthenticated: 5))
        let c = try ConfigurationLoader.parse(yaml: """
        callback:
          limits:
            per-minute-per-caller-id: 2
            per-minute-per-source: 20
            per-minute-global: 100
            concurrent-unauthenticated: 0
        """, file: "c.yaml")
        XCTAssertEqual(c.callback.limits, .init(perMinutePerCallerID: 2, perMinutePerSource: 20, perMinuteGlobal: 100,
                                                concurrentUnauthenticated: 0))
    }

    func testBadTriggerRateLimitsAreNamedWithTheirFileAndKey() {
        let cases: [(String, String)] = [
            ("callback:\n  limits: { per-minute-per-caller-id: 0 }",
             "c.yaml:2: error: callback.limits.per-minute-per-caller-id: must be at least 1"),
            ("callback:\n  limits: { per-minute-global: many }",
             "c.yaml:2: error: callback.limits.per-minute-global: expected an integer"),
            ("callback:\n  limits: { concurrent-unauthenticated: -1 }",
             "c.yaml:2: error: callback.limits.concurrent-unauthenticated: must be at least 0"),
            ("callback:\n  limits: { per-minute: 5 }", "c.yaml:2: error: callback.limits.per-minute: unknown key"),
        ]
        for (yaml, prefix) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "c.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".hasPrefix(prefix), "\(error)\n  expected prefix: \(prefix)")
            }
        }
    }

    func testBadCallbackValuesAreNamedWithTheirLine() {
        let cases: [(String, String)] = [
            ("campaigns: { a: { script: a.yaml } }\naccess-numbers:\n  \"1\": { campaign: a, callback: nowhere }",
             "c.yaml:3: error: access-numbers.1.callback: 'nowhere' is neither a mode"),
            ("campaigns: { a: { script: a.yaml } }\naccess-numbers:\n  \"1\": { campaign: a, anumberhandling: 4 }",
             "c.yaml:3: error: access-numbers.1.anumberhandling: must be 0 (disabled)"),
            ("campaigns: { a: { script: a.yaml } }\naccess-numbers:\n  \"1\": { campaign: a, sip-digest: maybe }",
             "c.yaml:3: error: access-numbers.1.sip-digest: expected auto, always or never"),
            ("campaigns: { a: { script: a.yaml } }\naccess-numbers:\n  \"1\": { campaign: a, mode: always }",
             "c.yaml:3: error: access-numbers.1.mode: unknown key"),
            ("callback:\n  delay: soon", "c.yaml:2: error: callback.delay: expected a duration"),
            ("callback:\n  pin-lockout: { attempts: 0 }", "c.yaml:2: error: callback.pin-lockout.attempts: must be at least 1"),
            ("callback:\n  retry: { tries: 3 }", "c.yaml:2: error: callback.retry.tries: unknown key"),
            ("callback:\n  free-ivr-access: true", "c.yaml: error: callback.free-access-user: free-ivr-access needs"),
            ("callback:\n  did-campaign: nowhere", "c.yaml: error: callback.did-campaign: unknown campaign 'nowhere'"),
            ("callback:\n  free-ivr-access: perhaps", "c.yaml:2: error: callback.free-ivr-access: expected true or false"),
            ("campaigns:\n  a: { script: a.yaml, forward-caller-id: sometimes }",
             "c.yaml:2: error: campaigns.a.forward-caller-id: expected true or false"),
        ]
        for (yaml, prefix) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "c.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".hasPrefix(prefix), "\(error)\n  expected prefix: \(prefix)")
            }
        }
    }

    func testOwnCampaignsWithoutTheDemoDIDCampaignServeNoPersonalDIDs() throws {
        let url = try write("""
        campaigns:
          card: { script: scripts/calling-card.yaml }
        access-numbers:
          "1": { campaign: card }
        """)
        let c = try ConfigurationLoader.load(contentsOf: url)
        XCTAssertNil(c.callback.didCampaign)
        XCTAssertEqual(c.file, url.path)
    }

    func testCatalogWarnsWhereANumberTrustsTheCallerIDWithoutAPIN() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        campaigns: { a: { script: a.yaml } }
        access-numbers:
          "1": { campaign: a, callback: always }
          "2": { campaign: a, callback: always, anumberhandling: 1 }
          "3": { campaign: a, callback: none }
          "4": { campaign: a, callback: ivr-unless-authenticated }
        """, file: "c.yaml")
        let warnings = ScriptCatalog.trustWarnings(c).map(\.description)
        XCTAssertEqual(warnings.count, 2, "\(warnings)")
        XCTAssertTrue(warnings[0].hasPrefix("c.yaml:3:1: warning: access-numbers.1: callback always with anumberhandling 3"),
                      warnings[0])
        XCTAssertTrue(warnings[1].hasPrefix("c.yaml:6:1: warning: access-numbers.4:"), warnings[1])
    }

    func testFileKeysReplaceDefaultsAndOthersStay() throws {
        let url = try write("""
        sip:
          listen: [udp:127.0.0.1:5080]
        access-numbers:
          "100": { campaign: demo, ring: 1500ms }
          "200": { campaign: demo, ring: 2s }
        """)
        let c = try ConfigurationLoader.load(contentsOf: url)
        XCTAssertEqual(c.sip.listen, ["udp:127.0.0.1:5080"])
        XCTAssertEqual(c.http.listen, "0.0.0.0:8080", "untouched keys keep their defaults")
        XCTAssertEqual(c.accessNumbers["100"]?.ringMilliseconds, 1500)
        XCTAssertEqual(c.accessNumbers["200"]?.ringMilliseconds, 2000)
        XCTAssertEqual(c.campaigns["demo"]?.script, "scripts/demo.yaml")
    }

    func testUnknownKeyIsAnErrorWithItsLine() throws {
        let url = try write("""
        sip:
          listen: [udp:127.0.0.1:5080]
          lisen: [tcp:127.0.0.1:5080]
        """)
        XCTAssertThrowsError(try ConfigurationLoader.load(contentsOf: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(url.path):3: error: sip.lisen: unknown key"), text)
        }
    }

    func testBadPortRangeAndUnknownCampaignAreNamed() throws {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "media: { rtp-ports: 9-5 }", file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("media.rtp-ports"), "\(error)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: """
        access-numbers:
          "1": { campaign: nowhere }
        """, file: "c.yaml")) { error in
            XCTAssertEqual("\(error)", "c.yaml: error: access-numbers.1.campaign: unknown campaign 'nowhere'")
        }
    }

    /// An access number given twice, once quoted and once plain, is one number twice: it
    /// used to be two YAML keys of two tags (a string and an integer), read as one name,
    /// the last silently winning.
    func testAnAccessNumberGivenQuotedAndPlainIsADuplicate() {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: """
        campaigns:
          demo: { script: demo.yaml }
        access-numbers:
          1000: { campaign: demo }
          "1000": { campaign: demo, callback: always }
        """, file: "c.yaml")) { error in
            XCTAssertEqual("\(error)", "c.yaml:4: error: duplicate key '1000' in a mapping")
        }
    }

    func testBrokenYAMLNamesTheLine() {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "sip:\n  listen: [udp:1\n", file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.yaml:"), "\(error)")
            XCTAssertTrue("\(error)".contains("invalid YAML"), "\(error)")
        }
    }

    func testBadDurationIsRefused() {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: """
        campaigns: { demo: { script: x.yaml } }
        access-numbers:
          "1": { campaign: demo, ring: soon }
        """, file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("access-numbers.1.ring: expected a duration"), "\(error)")
        }
    }

    private func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `database:` absent is the embedded SQLite; a PostgreSQL URL is parsed, its password
    /// kept for connecting but never shown; anything else is an error naming the key.
    func testDatabaseIsTheEmbeddedSQLiteUnlessAPostgreSQLURLIsGiven() throws {
        XCTAssertEqual(try ConfigurationLoader.parse(yaml: "http: { listen: 127.0.0.1:8080 }", file: "t.yaml").database,
                       .embeddedSQLite)
        XCTAssertEqual(try ConfigurationLoader.parse(yaml: "database: sqlite:data/switchback.sqlite", file: "t.yaml").database,
                       .embeddedSQLite, "the value the shipped defaults used to spell out")
        let shared = try ConfigurationLoader.parse(yaml: "database: postgresql://sb:pw@10.0.0.5:5433/switchback", file: "t.yaml")
        XCTAssertEqual(shared.database,
                       .postgreSQL(PostgresURL(user: "sb", password: "pw", host: "10.0.0.5", port: 5433, database: "switchback")))
        XCTAssertEqual("\(shared.database)", "postgresql://sb@10.0.0.5:5433/switchback")
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "sip: { domain: x }\ndatabase: mysql://u@h/db", file: "t.yaml")) {
            let error = $0 as? ConfigurationError
            XCTAssertEqual(error?.path, "database")
            XCTAssertEqual(error?.line, 2)
            XCTAssertTrue(error?.message.contains("the scheme must be postgresql://") == true, "\($0)")
        }
    }

    /// `node:`: no id by default (the store picks the host name or "local"), a 30 s lease;
    /// an id of letters, digits and -_.@, a lease within 5 s..10 m; anything else names the key.
    func testNodeHasAnIdAndALeaseWithinBounds() throws {
        let plain = try ConfigurationLoader.parse(yaml: "http: { listen: 127.0.0.1:8080 }", file: "t.yaml")
        XCTAssertNil(plain.node.id)
        XCTAssertEqual(plain.node.lease, .seconds(30))
        let set = try ConfigurationLoader.parse(yaml: "node: { id: sb-1.eu, lease: 6s }", file: "t.yaml")
        XCTAssertEqual(set.node.id, "sb-1.eu")
        XCTAssertEqual(set.node.lease, .seconds(6))
        XCTAssertEqual(try ConfigurationLoader.parse(yaml: "node: { lease: 10m }", file: "t.yaml").node.lease, .seconds(600))
        for (yaml, path, words) in [("node: { lease: 4s }", "node.lease", "between"),
                                    ("node: { lease: 11m }", "node.lease", "between"),
                                    ("node: { id: 'a b' }", "node.id", "letters, digits"),
                                    ("node: { id: '' }", "node.id", ""),
                                    ("node: { name: a }", "node", "")] {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "t.yaml"), yaml) {
                let error = $0 as? ConfigurationError
                XCTAssertEqual(error?.path.hasPrefix(path), true, "\(yaml): \($0)")
                XCTAssertTrue(words.isEmpty || error?.message.contains(words) == true, "\(yaml): \($0)")
            }
        }
    }
}
