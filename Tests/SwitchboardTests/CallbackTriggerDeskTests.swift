import Billing
import Foundation
import IVR
import SIP
import Store
@testable import Switchboard
import XCTest

/// The store side of a trigger: who the caller is (digest, personal DID, authorised caller
/// ID) and the queued callback (origin, caller ID, delay, idempotency), on an in-memory store.
final class CallbackTriggerDeskTests: XCTestCase {
    private var store: SQLiteStore!
    private var clock = TestClock()
    private var alice: Account!
    private let realm = "switchback.local"

    final class TestClock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_767_268_800)
    }

    override func setUp() async throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "1234", sipRealm: realm,
                                                   initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777", personalDID: "4930500"), at: clock.now)
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: clock.now)
    }

    private func desk() -> CallbackTriggerDesk {
        let clock = self.clock
        let gate = InviteDigestGate(realm: realm, nonces: DigestNonces(secret: Array("0123456789abcdef".utf8)))
        // Issue 11: the INVITEs below come from 192.0.2.10, a trusted source (a trunk).
        let trunk = TrustedSources([.init(name: "trunk pstn", networks: [SourceNetwork(parsing: "192.0.2.0/24")!])])
        return CallbackTriggerDesk(store: store, credentials: AccountCredentials(store: store), gate: gate,
                                   trustedSources: trunk, now: { clock.now })
    }

    private func policy(_ mode: CallbackMode = .always, digest: SwitchbackConfiguration.SIPDigestPolicy = .auto,
                        callerNumber: String = "1001") -> ScriptCatalog.AccessPolicy {
        ScriptCatalog.AccessPolicy(mode: mode, anumberhandling: .addAndAccept, sipDigest: digest,
                                   callbackCallerNumber: callerNumber, callback: SwitchbackConfiguration.Callback())
    }

    private func invite(from user: String, to number: String = "1001", authorization: String? = nil) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKtest1")
        headers.add("From", "<sip:\(user)@192.0.2.10>;tag=from1")
        headers.add("To", "<sip:\(number)@192.0.2.1>")
        headers.add("Call-ID", "call-1@192.0.2.10")
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", "<sip:\(user)@192.0.2.10:5070>")
        headers.add("Max-Forwards", "70")
        if let authorization { headers.add("Proxy-Authorization", authorization) }
        return SIPRequest(method: .invite, uri: SIPURI(user: number, host: "192.0.2.1"), headers: headers)
    }

    func testCallersAreIdentifiedByPersonalDIDThenCallerID() async {
        let desk = desk()
        let trunk = "192.0.2.10"
        let unknown = await desk.admit(invite(from: "4930999"), policy: policy(), dialled: "1001", source: trunk)
        XCTAssertEqual(unknown.digest, .pass)
        XCTAssertEqual(unknown.standing, CallerStanding(.unknown, callerIDPresent: true, trust: .trustedSource))
        let known = await desk.admit(invite(from: "4930111"), policy: policy(), dialled: "1001", source: trunk)
        XCTAssertEqual(known.standing, CallerStanding(.knownCallerID(account: alice.id!), trust: .trustedSource))
        let did = await desk.admit(invite(from: "anonymous", to: "4930500"), policy: policy(), dialled: "4930500", source: trunk)
        XCTAssertEqual(did.standing, CallerStanding(.personalDID(account: alice.id!), callerIDPresent: false,
                                                    trust: .trustedSource))
        let personal = await desk.admitPersonalDID(invite(from: "anonymous", to: "4930500"), dialled: "4930500", source: trunk)
        XCTAssertEqual(personal?.standing.identification, .personalDID(account: alice.id!))
        let nobody = await desk.admitPersonalDID(invite(from: "anonymous", to: "4930501"), dialled: "4930501", source: trunk)
        XCTAssertNil(nobody)
        // The same calls from an untrusted source: nobody is identified by caller ID or DID.
        let spoofed = await desk.admit(invite(from: "4930111"), policy: policy(), dialled: "1001", source: "198.51.100.7")
        XCTAssertEqual(spoofed.standing, CallerStanding(.unknown, trust: .untrusted))
        let strangerDID = await desk.admitPersonalDID(invite(from: "anonymous", to: "4930500"), dialled: "4930500",
                                                      source: "198.51.100.7")
        XCTAssertNil(strangerDID)
    }

    func testKnownLoginIsChallengedAndTheAnswerAuthenticates() async throws {
        let desk = desk()
        // auto: every INVITE from an untrusted source is challenged (407), login or not (no
        // oracle); never: nobody is.
        let challenged = await desk.admit(invite(from: "alice"), policy: policy(digest: .auto), dialled: "1001")
        guard case .challenge(let header) = challenged.digest else { return XCTFail("\(challenged.digest)") }
        let never = await desk.admit(invite(from: "alice"), policy: policy(digest: .never), dialled: "1001")
        XCTAssertEqual(never.digest, .pass)
        let always = await desk.admit(invite(from: "4930999"), policy: policy(digest: .always), dialled: "1001")
        guard case .challenge = always.digest else { return XCTFail("always challenges everyone: \(always.digest)") }

        let challenge = try DigestChallenge(parsing: header)
        XCTAssertEqual(challenge.realm, realm)
        let answer = DigestCredentials.answering(challenge: challenge, method: "INVITE", uri: "sip:1001@192.0.2.1",
                                                 username: "alice", password: "wonderland", cnonce: "c0ffee")
        let retried = await desk.admit(invite(from: "alice", authorization: answer.description), policy: policy(digest: .auto),
                                       dialled: "1001")
        XCTAssertEqual(retried.digest, .authenticated(login: "alice"))
        XCTAssertEqual(retried.standing, CallerStanding(.sipDigest(account: alice.id!), callerIDPresent: true))

        let wrong = DigestCredentials.answering(challenge: challenge, method: "INVITE", uri: "sip:1001@192.0.2.1",
                                                username: "alice", password: "guess", cnonce: "c0ffee")
        let refused = await desk.admit(invite(from: "alice", authorization: wrong.description), policy: policy(), dialled: "1001")
        XCTAssertEqual(refused.digest, .refuse(status: 403, reason: "unknown user or wrong password"))
    }

    /// A desk queueing through a scheduler whose settings come from a catalog of the
    /// shipped scripts: 1001 calls back presenting 1001, personal DIDs run did-callback
    /// presenting 4930100, the delay is 3 s.
    private func schedulingDesk() throws -> (CallbackTriggerDesk, ScriptCatalog) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(root.path)/sounds
        campaigns:
          ani-callback: { script: \(root.path)/scripts/ani-callback.yaml }
          did-callback: { script: \(root.path)/scripts/did-callback.yaml }
        access-numbers:
          "1001": { campaign: ani-callback, callback: always }
        callback: { delay: 3s, did-campaign: did-callback, caller-number: "4930100" }
        """, file: "test.yaml")
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: root,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: root.appendingPathComponent("sounds")))
        let clock = self.clock
        var desk = desk()
        desk.scheduler = CallbackScheduler(store: store, catalog: catalog, now: { clock.now })
        return (desk, catalog)
    }

    func testANICallbackIsQueuedOnceWithinTheWindow() throws {
        let (desk, catalog) = try schedulingDesk()
        let entry = try XCTUnwrap(catalog.entry(forAccessNumber: "1001"))
        let verb = IVR.CallbackRequest(to: "4930111", script: "ani-callback", node: "login")
        let first = try desk.enqueue(.ani(account: alice.id!), callerID: "4930111", entry: entry, verb: verb)
        XCTAssertTrue(first.isNew)
        XCTAssertEqual(first.request.state, .queued)
        XCTAssertEqual(first.request.originNumber, "4930111")
        XCTAssertEqual(first.request.trigger, .sipANI)
        XCTAssertEqual(first.request.accountID, alice.id)
        XCTAssertEqual(first.request.callerID, "4930100", "callback.caller-number")
        XCTAssertEqual(first.request.accessNumber, "1001")
        XCTAssertEqual(first.request.script, "ani-callback")
        XCTAssertEqual(first.request.node, "login", "the script's callback verb says where the leg starts")
        XCTAssertEqual(first.request.notBefore.timeIntervalSince(clock.now), 3, accuracy: 0.01, "callback.delay")

        clock.now += 30
        let repeated = try desk.enqueue(.ani(account: alice.id!), callerID: "4930111", entry: entry, verb: verb)
        XCTAssertFalse(repeated.isNew)
        XCTAssertEqual(repeated.request.id, first.request.id)
        XCTAssertEqual(try store.callbackRequests(states: CallbackRequest.State.allCases).count, 1)
    }

    func testTheScriptsVerbSetsDelayCallerIDAndAWrittenNumberButNotATypedOne() throws {
        let (desk, catalog) = try schedulingDesk()
        let entry = try XCTUnwrap(catalog.entry(forAccessNumber: "1001"))
        let written = try desk.enqueue(.pin, callerID: "4930999", entry: entry,
                                       verb: IVR.CallbackRequest(to: "4930222", toIsLiteral: true, callerID: "555",
                                                                 delaySeconds: 1, node: "login"))
        XCTAssertEqual(written.request.originNumber, "4930222", "a number written in the script is the operator's choice")
        XCTAssertEqual(written.request.callerID, "555")
        XCTAssertEqual(written.request.notBefore.timeIntervalSince(clock.now), 1, accuracy: 0.01)
        let typed = try desk.enqueue(.pin, callerID: "4930998", entry: entry,
                                     verb: IVR.CallbackRequest(to: "4930333", node: "login"))
        XCTAssertEqual(typed.request.originNumber, "4930998", "a trigger call is called back where the mode says")
    }

    func testDIDCallbackCallsTheForwardNumberAndPINCallbackHasNoAccount() throws {
        let (desk, catalog) = try schedulingDesk()
        let didEntry = try XCTUnwrap(catalog.entry(forPersonalDID: "4930500"))
        let did = try desk.enqueue(.did(account: alice.id!), callerID: "anonymous", entry: didEntry, verb: nil)
        XCTAssertEqual(did.request.originNumber, "4930777")
        XCTAssertEqual(did.request.trigger, .sipDID)
        XCTAssertEqual(did.request.callerID, "4930100")
        XCTAssertNil(did.request.node, "no verb: the campaign's script from its start")
        let entry = try XCTUnwrap(catalog.entry(forAccessNumber: "1001"))
        let pin = try desk.enqueue(.pin, callerID: "4930999", entry: entry, verb: nil)
        XCTAssertNil(pin.request.accountID)
        XCTAssertEqual(pin.request.trigger, .sipPIN)
        XCTAssertEqual(pin.request.originNumber, "4930999")

        let bob = try store.createAccount(NewAccount(login: "bob", password: "pw", sipRealm: realm,
                                                     initialBalance: try Money.parse("1", currency: "EUR")), at: clock.now)
        XCTAssertThrowsError(try desk.enqueue(.did(account: bob.id!), callerID: "x", entry: didEntry, verb: nil)) { error in
            XCTAssertEqual("\(error)", "account bob has no forward number to call back")
        }
    }

    func testPINLockoutPolicyCountsCallerIDsAndAccounts() throws {
        let policy = PINLockoutPolicy(.init(attempts: 3, period: .seconds(900)))
        XCTAssertEqual(policy.period, 900)
        XCTAssertEqual(policy.verdict(callerFailures: 2, accountFailures: 0), .open)
        XCTAssertEqual(policy.verdict(callerFailures: 3, accountFailures: 0), .locked(callerID: true, account: false))
        XCTAssertEqual(policy.verdict(callerFailures: 0, accountFailures: 5), .locked(callerID: false, account: true))
        for offset in [0.0, 100, 200] {
            try store.recordPINFailure(callerID: "4930999", account: alice.id, at: clock.now.addingTimeInterval(offset))
        }
        XCTAssertTrue(try policy.check(store, callerID: "4930999", account: nil, now: clock.now.addingTimeInterval(300)).isLocked)
        XCTAssertEqual(try policy.check(store, callerID: "4930999", account: alice.id, now: clock.now.addingTimeInterval(950)),
                       .open, "the first failure aged out of the 15 minutes")
    }

}
