import Billing
import Foundation
import IVR
import SIP
import Store
@testable import Switchboard
import XCTest

/// Issue 11, caller-ID trust decided once at the edge: for every source (trusted or not) ×
/// anumberhandling 0-3 × caller (known caller ID or not) × digest (authenticated or not),
/// what the trigger desk finds, what the mode decision does, whether the IVR's `ani`
/// succeeds and whether `remember-caller` writes the caller ID down. A real in-memory
/// store; the router's part (variables from the admission) as the router does it.
final class CallerTrustDecisionTests: XCTestCase {
    private var store: SQLiteStore!
    private var alice: Account!
    private let realm = "switchback.local"
    private let trunk = "192.0.2.10"
    private let stranger = "198.51.100.7"
    private let now = Date(timeIntervalSince1970: 1_767_268_800)

    override func setUp() async throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "246813", sipRealm: realm,
                                                   initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777", personalDID: "4930500"), at: now)
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: now)
    }

    private func desk() -> CallbackTriggerDesk {
        let at = now
        let sources = TrustedSources([.init(name: "trunk pstn", networks: [SourceNetwork(parsing: "192.0.2.0/24")!])])
        return CallbackTriggerDesk(store: store, credentials: AccountCredentials(store: store),
                                   gate: InviteDigestGate(realm: realm, nonces: DigestNonces(secret: Array("k".utf8))),
                                   trustedSources: sources, now: { at })
    }

    private func invite(from user: String, to number: String = "1001", authorization: String? = nil,
                        asserted: String? = nil) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKtrust")
        headers.add("From", "<sip:\(user)@192.0.2.10>;tag=from1")
        headers.add("To", "<sip:\(number)@192.0.2.1>")
        headers.add("Call-ID", "trust-\(UUID().uuidString)")
        headers.add("CSeq", "1 INVITE")
        headers.add("Max-Forwards", "70")
        if let asserted { headers.add("P-Asserted-Identity", asserted) }
        if let authorization { headers.add("Proxy-Authorization", authorization) }
        return SIPRequest(method: .invite, uri: SIPURI(user: number, host: "192.0.2.1"), headers: headers)
    }

    private func policy(_ handling: ANumberHandling, digest: SwitchbackConfiguration.SIPDigestPolicy,
                        mode: CallbackMode = .ivrUnlessAuthenticated) -> ScriptCatalog.AccessPolicy {
        ScriptCatalog.AccessPolicy(mode: mode, anumberhandling: handling, sipDigest: digest, callbackCallerNumber: "1001",
                                   callback: SwitchbackConfiguration.Callback())
    }

    /// Admits an INVITE as the router does: a challenge is answered with alice's password
    /// when `digest`, from the same source.
    private func admit(callerID: String, source: String, handling: ANumberHandling,
                       digest: Bool) async throws -> CallbackTriggerDesk.Admission {
        let desk = desk()
        let policy = policy(handling, digest: digest ? .always : .never)
        let first = await desk.admit(invite(from: callerID), policy: policy, dialled: "1001", source: source)
        guard digest else { return first }
        guard case .challenge(let header) = first.digest else { throw Failure("\(first.digest)") }
        let answer = DigestCredentials.answering(challenge: try DigestChallenge(parsing: header), method: "INVITE",
                                                 uri: "sip:1001@192.0.2.1", username: "alice", password: "wonderland",
                                                 cnonce: "abc")
        return await desk.admit(invite(from: callerID, authorization: answer.description), policy: policy, dialled: "1001",
                                source: source)
    }

    struct Failure: Error { let text: String; init(_ text: String) { self.text = text } }

    func testTrustSourceANumberHandlingCallerAndDigestTable() async throws {
        var rows = 0
        for trusted in [true, false] {
            for handling in ANumberHandling.allCases {
                for known in [true, false] {
                    for digest in [true, false] {
                        let context = "trusted \(trusted) × anumberhandling \(handling.rawValue) × known \(known) × digest \(digest)"
                        let callerID = known ? "4930111" : "4930999"
                        let admission = try await admit(callerID: callerID, source: trusted ? trunk : stranger,
                                                        handling: handling, digest: digest)
                        // The trust is the source's, whatever else is known.
                        XCTAssertEqual(admission.standing.trust, trusted ? .trustedSource : .untrusted, context)

                        // What the desk found: digest wins; a caller ID only from a trusted source.
                        let expectedIdentification: CallerStanding.Identification
                        if digest { expectedIdentification = .sipDigest(account: alice.id!) }
                        else if trusted && known { expectedIdentification = .knownCallerID(account: alice.id!) }
                        else { expectedIdentification = .unknown }
                        XCTAssertEqual(admission.standing.identification, expectedIdentification, context)

                        // The mode decision (ivr-unless-authenticated): authenticated callers are called back.
                        let authenticated = digest || (trusted && known && handling.acceptsKnownCallerIDs)
                        let decision = CallbackDecision.decide(mode: .ivrUnlessAuthenticated, campaign: "card",
                                                               caller: admission.standing, anumberhandling: handling,
                                                               freeIVRAccess: nil)
                        XCTAssertEqual(decision, authenticated ? .callBack(.ani(account: alice.id!))
                                                               : .runScript(campaign: "card", freeAccessAccount: nil), context)

                        // The IVR's `ani` with the variables the router gives the call.
                        var call = IVR.CallContext(caller: callerID, dnis: "1001")
                        for (name, value) in admission.callVariables(anumberhandling: handling) { call[name] = value }
                        let serviceDesk = StoreServiceDesk(store: store, anumberhandling: .addAndAccept, now: { [now] in now })
                        let ani = await serviceDesk.answer(.authenticate(method: .ani, value: callerID), context: call)
                        let aniSucceeds = trusted && known && handling.acceptsKnownCallerIDs
                        if aniSucceeds {
                            guard case .authenticated = ani else { return XCTFail("\(context): ani \(ani)") }
                        } else {
                            XCTAssertEqual(ani, .authenticationFailed, "\(context): ani")
                        }

                        // remember-caller after a PIN: only what a trusted source said, only under 1 or 3.
                        call["account"] = .record(["login": .string("alice")])
                        let newNumber = "4930\(rows + 1000)"
                        call = IVR.CallContext(caller: newNumber, dnis: "1001", variables: call.variables)
                        if trusted { call[CallerTrust.callerIDVariable] = .string(newNumber) }
                        let remembered = await serviceDesk.answer(.rememberCaller(callerID: newNumber), context: call)
                        XCTAssertEqual(remembered, .done, context)
                        let stored = try store.account(callerID: newNumber)?.id
                        XCTAssertEqual(stored, trusted && handling.remembersCallerIDs ? alice.id : nil, "\(context): remembered")
                        rows += 1
                    }
                }
            }
        }
        XCTAssertEqual(rows, 2 * 4 * 2 * 2)
    }

    func testMissingTrustFailsClosedAndCallbackLegsTrustTheNumberTheyCalled() async throws {
        let serviceDesk = StoreServiceDesk(store: store, now: { [now] in now })
        let bare = IVR.CallContext(caller: "4930111", dnis: "1001")
        let failed = await serviceDesk.answer(.authenticate(method: .ani, value: "4930111"), context: bare)
        XCTAssertEqual(failed, .authenticationFailed, "no caller-trust variable: untrusted")
        let did = await serviceDesk.answer(.authenticate(method: .did, value: "4930500"), context: bare)
        XCTAssertEqual(did, .authenticationFailed, "a dialled DID from an untrusted source authenticates nobody")
        var leg = bare
        leg[CallerTrust.variable] = CallerTrust.calledBack.value
        leg[CallerTrust.anumberhandlingVariable] = .number(2)
        guard case .authenticated = await serviceDesk.answer(.authenticate(method: .ani, value: "4930111"), context: leg) else {
            return XCTFail("a callback leg reached the number: its ANI counts under anumberhandling 2")
        }
        leg[CallerTrust.anumberhandlingVariable] = .number(1)
        let addOnly = await serviceDesk.answer(.authenticate(method: .ani, value: "4930111"), context: leg)
        XCTAssertEqual(addOnly, .authenticationFailed, "anumberhandling 1 never accepts caller IDs")
    }

    func testPAssertedIdentityCountsFromTrustedSourcesOnly() async {
        let desk = desk()
        let asserted = "<sip:4930111@192.0.2.10>"
        let fromTrunk = await desk.admit(invite(from: "4930999", asserted: asserted), policy: policy(.addAndAccept, digest: .never),
                                         dialled: "1001", source: trunk)
        XCTAssertEqual(fromTrunk.callerID, "4930111")
        XCTAssertEqual(fromTrunk.standing.identification, .knownCallerID(account: alice.id!))
        let fromStranger = await desk.admit(invite(from: "4930999", asserted: asserted),
                                            policy: policy(.addAndAccept, digest: .never), dialled: "1001", source: stranger)
        XCTAssertEqual(fromStranger.callerID, "4930999")
        XCTAssertEqual(fromStranger.standing.identification, .unknown)
    }

    /// No oracle: `auto` challenges every untrusted INVITE, login or not, and lets trusted
    /// sources through; personal DIDs answer only for trusted sources.
    func testAutoChallengesEveryUntrustedInviteAndDIDsNeedATrustedSource() async {
        let desk = desk()
        for from in ["alice", "nobody", "4930111", "anonymous"] {
            let untrusted = await desk.admit(invite(from: from), policy: policy(.addAndAccept, digest: .auto), dialled: "1001",
                                             source: stranger)
            guard case .challenge = untrusted.digest else { return XCTFail("\(from): \(untrusted.digest)") }
            let trusted = await desk.admit(invite(from: from), policy: policy(.addAndAccept, digest: .auto), dialled: "1001",
                                           source: trunk)
            XCTAssertEqual(trusted.digest, .pass, from)
        }
        let fromStranger = await desk.admitPersonalDID(invite(from: "4930999", to: "4930500"), dialled: "4930500",
                                                       source: stranger)
        XCTAssertNil(fromStranger, "a DID answers like any unknown number to an untrusted source")
        let fromTrunk = await desk.admitPersonalDID(invite(from: "4930999", to: "4930500"), dialled: "4930500", source: trunk)
        XCTAssertEqual(fromTrunk?.standing.identification, .personalDID(account: alice.id!))
    }

    /// PIN guessing from one source with a new caller ID each time, or withheld, is
    /// locked out per source; every caller together meets the global limit.
    func testPINLockoutCountsPerSourceAndGlobally() async throws {
        let at = now
        let policy = PINLockoutPolicy(attempts: 3, period: 900, sourceAttempts: 4, globalAttempts: 6)
        XCTAssertEqual(policy.verdict(PINFailureCounts(callerID: 0, account: 0, source: 4, global: 4)), .lockedSource)
        XCTAssertEqual(policy.verdict(PINFailureCounts(callerID: 0, account: 0, source: 0, global: 6)), .lockedGlobally)
        let counters = SecurityCounters()
        let desk = StoreServiceDesk(store: store, lockout: policy, counters: counters, now: { at })
        func guess(caller: String, source: String) async -> ServiceResult {
            var call = IVR.CallContext(caller: caller, dnis: "1000")
            call[CallerTrust.sourceVariable] = .string(source)
            return await desk.answer(.authenticate(method: .pin, value: "000000"), context: call)
        }
        for index in 0..<4 {
            let result = await guess(caller: "49\(index)", source: stranger)
            XCTAssertEqual(result, .authenticationFailed, "guess \(index)")
        }
        let locked = await guess(caller: "4977", source: stranger)
        XCTAssertEqual(locked, .locked, "a fifth caller ID from the same source")
        let withheld = await guess(caller: "anonymous", source: "203.0.113.1")
        XCTAssertEqual(withheld, .authenticationFailed)
        let withheldAgain = await guess(caller: "", source: "203.0.113.2")
        XCTAssertEqual(withheldAgain, .authenticationFailed)
        let global = await guess(caller: "4988", source: "203.0.113.3")
        XCTAssertEqual(global, .locked, "six failures from everyone: PIN entry stops for all")
        XCTAssertEqual(counters.pinFailures, 6)
        XCTAssertEqual(counters.pinLockouts, 2)
        XCTAssertEqual(try store.pinFailureCounts(callerID: "anonymous", account: nil, source: nil,
                                                  since: at.addingTimeInterval(-1)).callerID, 2,
                       "withheld caller IDs are one bucket")
    }

    func testSourceNetworksParseAndMatchIPv4AndIPv6() {
        let rows: [(cidr: String, inside: [String], outside: [String])] = [
            ("192.0.2.0/24", ["192.0.2.1", "192.0.2.255", "::ffff:192.0.2.7"], ["192.0.3.1", "10.0.0.1", "2001:db8::1"]),
            ("127.0.0.1", ["127.0.0.1"], ["127.0.0.2"]),
            ("10.0.0.0/8", ["10.255.1.2"], ["11.0.0.0"]),
            ("2001:db8::/32", ["2001:db8::1", "[2001:db8:ffff::5]"], ["2001:db9::1", "192.0.2.1"]),
            ("::1", ["::1"], ["::2"]),
            ("0.0.0.0/0", ["203.0.113.9"], ["::1"]),
        ]
        for row in rows {
            guard let network = SourceNetwork(parsing: row.cidr) else { return XCTFail("\(row.cidr) should parse") }
            for address in row.inside { XCTAssertTrue(network.contains(address), "\(address) in \(row.cidr)") }
            for address in row.outside { XCTAssertFalse(network.contains(address), "\(address) not in \(row.cidr)") }
        }
        for bad in ["", "192.0.2.0/33", "2001:db8::/129", "gateway.example.net", "192.0.2/24", "1.2.3.4/-1", "1.2.3.4/+8"] {
            XCTAssertNil(SourceNetwork(parsing: bad), bad)
        }
        XCTAssertEqual(SourceNetwork(parsing: "192.0.2.77/24")?.description, "192.0.2.0/24")
    }

    func testConfigurationDeclaresTrustedSourcesOnTrunksAndDIDProviders() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        trunks:
          - { name: pstn, uri: "sip:gw.example.net", trusted-sources: [192.0.2.0/24, "2001:db8::/32"] }
        did-providers:
          - { name: didco, trusted-sources: [198.51.100.5] }
        sip: { digest-lockout: { attempts: 4, period: 10m } }
        secrets: { pin-pepper-file: /etc/switchback/pepper }
        callback: { pin-lockout: { attempts: 3, source-attempts: 6, global-attempts: 50 } }
        """, file: "t.yaml")
        let trusted = TrustedSources(configuration: c)
        XCTAssertEqual(trusted.source(of: "192.0.2.9")?.name, "trunk pstn")
        XCTAssertEqual(trusted.source(of: "2001:db8::9")?.name, "trunk pstn")
        XCTAssertEqual(trusted.source(of: "198.51.100.5")?.name, "did-provider didco")
        XCTAssertNil(trusted.source(of: "198.51.100.6"))
        XCTAssertEqual(c.sip.digestLockout, .init(attempts: 4, period: .seconds(600)))
        XCTAssertEqual(c.secrets.pinPepperFile, "/etc/switchback/pepper")
        XCTAssertEqual(c.callback.pinLockout.sourceAttempts, 6)
        XCTAssertEqual(c.callback.pinLockout.globalAttempts, 50)
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "trunks: [{ name: a, uri: 'sip:x', trusted-sources: [gw.example.net] }]",
                                                           file: "bad.yaml")) { error in
            XCTAssertTrue("\(error)".contains("trunks[0].trusted-sources: 'gw.example.net' is not an IPv4 or IPv6 address"),
                          "\(error)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "did-providers: [{ name: a }]", file: "bad.yaml"))
    }

    /// Safe as shipped: the embedded defaults trust no source, so no caller ID and no DID
    /// authenticates anyone, and the calling card challenges softphones.
    func testEmbeddedDefaultsTrustNothing() {
        let c = SwitchbackConfiguration.embeddedDefaults()
        XCTAssertTrue(TrustedSources(configuration: c).isEmpty)
        XCTAssertTrue(c.didProviders.isEmpty)
        XCTAssertEqual(c.accessNumbers["1000"]?.sipDigest, .auto)
        XCTAssertEqual(c.accessNumbers["1001"]?.sipDigest, .never)
    }
}
