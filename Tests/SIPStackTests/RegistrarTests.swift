import Foundation
import SIP
import SIPStack
import XCTest

/// RFC 3261 §10.3 REGISTER processing with Digest (§22.4), a fixed clock and an HA1 table.
final class RegistrarTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let realm = "switchback.local"
    let nonces = DigestNonces(secret: Array("registrar test secret".utf8), lifetime: 300)
    let source = SIPDestination(transport: .udp, host: "203.0.113.7", port: 40_123)
    lazy var ha1s = [
        "alice": Digest.ha1(username: "alice", realm: realm, password: "alice-pw"),
        "bob": Digest.ha1(username: "bob", realm: realm, password: "bob-pw"),
    ]

    func registrar(acceptedHosts: Set<String> = [], maximumBindings: Int = 10) -> Registrar {
        Registrar(configuration: .init(realm: realm, domain: "switchback.local", acceptedHosts: acceptedHosts,
                                       minimumExpires: 60, maximumExpires: 3600, defaultExpires: 1800),
                  nonces: nonces, location: LocationService(maximumBindingsPerAddress: maximumBindings))
    }

    func register(user: String = "alice", host: String = "switchback.local", contacts: [String] = ["<sip:alice@192.0.2.50:5062>"],
                  expires: String? = "600", callID: String = "reg-1@192.0.2.50", cseq: UInt32 = 1,
                  authorization: String? = nil) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKreg\(cseq);rport=40123;received=203.0.113.7")
        headers.add("From", "<sip:\(user)@\(host)>;tag=reg-tag")
        headers.add("To", "<sip:\(user)@\(host)>")
        headers.add("Call-ID", callID)
        headers.add("CSeq", "\(cseq) REGISTER")
        headers.add("Max-Forwards", "70")
        for contact in contacts { headers.add("Contact", contact) }
        if let expires { headers.add("Expires", expires) }
        if let authorization { headers.add("Authorization", authorization) }
        headers.add("User-Agent", "TestPhone/1.0")
        return SIPRequest(method: .register, uri: SIPURI(host: host), headers: headers)
    }

    /// What a phone sends after the 401: the same REGISTER, CSeq + 1, with credentials.
    func authorized(_ request: SIPRequest, challengeFrom response: SIPResponse, username: String = "alice",
                    password: String = "alice-pw") throws -> SIPRequest {
        let challenge = try DigestChallenge(parsing: XCTUnwrap(response.headers["WWW-Authenticate"]))
        let credentials = DigestCredentials.answering(challenge: challenge, method: "REGISTER", uri: request.uri.description,
                                                      username: username, password: password, cnonce: "c0ffee")
        var again = request
        again.headers.set("CSeq", "\((request.cseq?.sequence ?? 1) + 1) REGISTER")
        again.headers.add("Authorization", credentials.description)
        return again
    }

    func handle(_ r: inout Registrar, _ request: SIPRequest, at now: Date? = nil) -> RegistrarResult {
        r.handle(request, now: now ?? t0, source: source, toTag: "reg-to-tag") { username, realm in
            realm == self.realm ? self.ha1s[username] : nil
        }
    }

    /// Challenge, then the authorized request: the second result.
    func registerWithCredentials(_ r: inout Registrar, _ request: SIPRequest, username: String = "alice", password: String = "alice-pw",
                                 at now: Date? = nil) throws -> RegistrarResult {
        let challenge = handle(&r, request, at: now)
        XCTAssertEqual(challenge.response.statusCode, 401)
        return handle(&r, try authorized(request, challengeFrom: challenge.response, username: username, password: password), at: now)
    }

    // MARK: - Path (RFC 3327)

    /// Issue 17: a REGISTER through an edge proxy carries its Path; the bindings keep it,
    /// the 200 returns it, and a request to the phone goes to its first hop with the
    /// whole Path as Route set. A malformed Path is refused and nothing is bound.
    func testAPathIsKeptWithTheBindingsAndReturnedInThe200() throws {
        var r = registrar()
        var request = register()
        request.headers.add("Path", "<sip:192.0.2.200:5060;lr>, <sip:edge2.example;lr;transport=tcp>")
        let result = try registerWithCredentials(&r, request)
        XCTAssertEqual(result.response.statusCode, 200)
        XCTAssertEqual(result.response.headers.values("Path"), ["<sip:192.0.2.200:5060;lr>", "<sip:edge2.example;lr;transport=tcp>"])
        let binding = try XCTUnwrap(r.location.bindings(for: AddressOfRecord(user: "alice", domain: realm), now: t0).first)
        XCTAssertEqual(binding.path.map(\.description), ["sip:192.0.2.200:5060;lr", "sip:edge2.example;lr;transport=tcp"])
        XCTAssertEqual(binding.routeSet, ["<sip:192.0.2.200:5060;lr>", "<sip:edge2.example;lr;transport=tcp>"])
        XCTAssertEqual(binding.destination, SIPDestination(transport: .udp, host: "192.0.2.200", port: 5060),
                       "the first hop of the Path, not the source the REGISTER came from")

        var plain = registrar()
        let direct = try registerWithCredentials(&plain, register())
        XCTAssertTrue(direct.response.headers.values("Path").isEmpty, "no Path asked, none returned")
        let reached = try XCTUnwrap(plain.location.bindings(for: AddressOfRecord(user: "alice", domain: realm), now: t0).first)
        XCTAssertEqual(reached.destination, source, "without a Path: the source")
        XCTAssertEqual(reached.routeSet, [])

        var strict = registrar()
        var broken = register()
        broken.headers.add("Path", "not a name-addr")
        let refused = try registerWithCredentials(&strict, broken)
        XCTAssertEqual(refused.response.statusCode, 400)
        XCTAssertTrue(refused.response.reasonPhrase.contains("Path"), refused.response.reasonPhrase)
        XCTAssertFalse(strict.location.isRegistered(AddressOfRecord(user: "alice", domain: realm), now: t0))
    }

    // MARK: - Authentication

    /// Issue 11: a captured REGISTER sent again (same nonce and nc), or from another
    /// address, is challenged instead of accepted; wrong passwords lock the user out.
    func testReplayedOrRelayedRegisterIsChallengedAndFailuresLockOut() throws {
        var r = registrar()
        let challenge = handle(&r, register())
        let signed = try authorized(register(), challengeFrom: challenge.response)
        XCTAssertEqual(handle(&r, signed).response.statusCode, 200)
        XCTAssertEqual(handle(&r, signed).response.statusCode, 401, "the same nc again: a replay")
        let elsewhere = r.handle(signed, now: t0, source: SIPDestination(transport: .udp, host: "198.51.100.9", port: 5060),
                                 toTag: "t") { _, _ in self.ha1s["alice"] }
        XCTAssertEqual(elsewhere.response.statusCode, 401, "a nonce is good from the address it was issued to only")

        var locked = registrar()
        for _ in 0..<10 {
            let c = handle(&locked, register())
            XCTAssertEqual(handle(&locked, try authorized(register(), challengeFrom: c.response, password: "guess")).response.statusCode, 403)
        }
        let c = handle(&locked, register())
        let right = handle(&locked, try authorized(register(), challengeFrom: c.response))
        XCTAssertEqual(right.response.statusCode, 403, "locked out: the right password gets the same 403")
        XCTAssertEqual(right.response.reasonPhrase, handle(&locked, try authorized(register(), challengeFrom: c.response,
                                                                                  password: "guess")).response.reasonPhrase)
        XCTAssertEqual(locked.authority.lockoutRefusals, 2)
    }

    func testUnauthenticatedRegisterIsChallenged() throws {
        var r = registrar()
        let result = handle(&r, register())
        XCTAssertEqual(result.outcome, .challenged(stale: false))
        XCTAssertEqual(result.response.statusCode, 401)
        XCTAssertEqual(result.response.to?.tag, "reg-to-tag", "§8.2.6.2")
        XCTAssertEqual(result.response.callID, "reg-1@192.0.2.50")
        let challenge = try DigestChallenge(parsing: XCTUnwrap(result.response.headers["WWW-Authenticate"]))
        XCTAssertEqual(challenge.realm, realm)
        XCTAssertEqual(challenge.algorithm, .md5)
        XCTAssertEqual(challenge.qop, ["auth"])
        XCTAssertFalse(challenge.stale)
        XCTAssertEqual(nonces.validity(of: challenge.nonce, now: t0), .valid, "a nonce of ours")
        XCTAssertFalse(r.location.isRegistered(AddressOfRecord(user: "alice", domain: realm), now: t0))
    }

    func testRightCredentialsRegisterTheContact() throws {
        var r = registrar()
        let result = try registerWithCredentials(&r, register())
        XCTAssertEqual(result.response.statusCode, 200)
        XCTAssertEqual(result.response.headers.values("Contact"), ["<sip:alice@192.0.2.50:5062>;expires=600"])
        XCTAssertEqual(result.response.headers["Date"], "Fri, 15 Jan 2027 08:00:00 GMT")
        let aor = AddressOfRecord(user: "alice", domain: "switchback.local")
        guard case .accepted(let accepted, let bindings) = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertEqual(accepted, aor)
        XCTAssertEqual(bindings.count, 1)
        let binding = try XCTUnwrap(r.location.bindings(for: aor, now: t0).first)
        XCTAssertEqual(binding.contact, try SIPURI(parsing: "sip:alice@192.0.2.50:5062"))
        XCTAssertEqual(binding.expires, t0.addingTimeInterval(600))
        XCTAssertEqual(binding.source, source, "the way back through NAT")
        XCTAssertEqual(binding.userAgent, "TestPhone/1.0")
        XCTAssertEqual(binding.callID, "reg-1@192.0.2.50")
        XCTAssertEqual(binding.cseq, 2)
    }

    func testTheLookupIsAskedForTheCredentialsUserAndOurRealm() throws {
        var r = registrar()
        let challenge = handle(&r, register())
        let request = try authorized(register(), challengeFrom: challenge.response)
        XCTAssertEqual(r.credentialsIdentity(of: request)?.username, "alice")
        XCTAssertEqual(r.credentialsIdentity(of: request)?.realm, realm)
        XCTAssertNil(r.credentialsIdentity(of: register()))
        var asked = [String]()
        _ = r.handle(request, now: t0) { username, realm in
            asked.append("\(username)@\(realm)")
            return self.ha1s[username]
        }
        XCTAssertEqual(asked, ["alice@switchback.local"])
    }

    func testWrongPasswordAndUnknownUserAreRefusedAlike() throws {
        var r = registrar()
        let wrong = try registerWithCredentials(&r, register(), password: "guess")
        XCTAssertEqual(wrong.response.statusCode, 403)
        var unknown = registrar()
        let nobody = try registerWithCredentials(&unknown, register(user: "mallory", contacts: ["<sip:mallory@192.0.2.66>"]),
                                                 username: "mallory", password: "x")
        XCTAssertEqual(nobody.response.statusCode, 403)
        XCTAssertEqual(wrong.response.reasonPhrase, nobody.response.reasonPhrase, "no hint whether the user exists")
        XCTAssertEqual(wrong.outcome, .refused(status: 403, reason: "unknown user or wrong password"))
    }

    func testExpiredNonceIsChallengedAgainAsStale() throws {
        var r = registrar()
        let challenge = handle(&r, register())
        let request = try authorized(register(), challengeFrom: challenge.response)
        let later = handle(&r, request, at: t0.addingTimeInterval(301))
        XCTAssertEqual(later.outcome, .challenged(stale: true))
        XCTAssertTrue(later.response.headers["WWW-Authenticate"]?.contains("stale=true") ?? false)
    }

    func testNonceNotOursIsChallengedAfresh() throws {
        var r = registrar()
        var foreign = Registrar(configuration: r.configuration, nonces: DigestNonces(secret: Array("other".utf8)))
        let challenge = handle(&foreign, register())
        let result = handle(&r, try authorized(register(), challengeFrom: challenge.response))
        XCTAssertEqual(result.outcome, .challenged(stale: false))
    }

    func testCredentialsForAnotherRealmAreChallenged() throws {
        var r = registrar()
        let other = DigestChallenge(realm: "elsewhere", nonce: nonces.make(now: t0))
        let credentials = DigestCredentials.answering(challenge: other, method: "REGISTER", uri: "sip:switchback.local",
                                                      username: "alice", password: "alice-pw", cnonce: "1")
        XCTAssertEqual(handle(&r, register(authorization: credentials.description)).outcome, .challenged(stale: false))
    }

    func testAUserRegistersOnlyItsOwnAddress() throws {
        var r = registrar()
        let result = try registerWithCredentials(&r, register(user: "bob", contacts: ["<sip:bob@192.0.2.60>"]),
                                                 username: "alice", password: "alice-pw")
        XCTAssertEqual(result.response.statusCode, 403)
        XCTAssertTrue(result.response.reasonPhrase.contains("alice may not register sip:bob@switchback.local"), result.response.reasonPhrase)
        XCTAssertFalse(r.location.isRegistered(AddressOfRecord(user: "bob", domain: realm), now: t0))
    }

    // MARK: - Address-of-record

    func testADomainNotServedIs404() throws {
        var r = registrar(acceptedHosts: ["192.0.2.1"])
        let result = try registerWithCredentials(&r, register(host: "example.org"))
        XCTAssertEqual(result.response.statusCode, 404)
        XCTAssertTrue(result.response.reasonPhrase.contains("example.org"), result.response.reasonPhrase)
    }

    func testAnAcceptedHostMapsToTheOneDomain() throws {
        var r = registrar(acceptedHosts: ["192.0.2.1"])
        let result = try registerWithCredentials(&r, register(host: "192.0.2.1"))
        XCTAssertEqual(result.response.statusCode, 200)
        XCTAssertTrue(r.location.isRegistered(AddressOfRecord(user: "alice", domain: "switchback.local"), now: t0))
    }

    // MARK: - Contacts and intervals

    func testIntervalBelowTheMinimumIs423WithMinExpires() throws {
        var r = registrar()
        let result = try registerWithCredentials(&r, register(expires: "30"))
        XCTAssertEqual(result.response.statusCode, 423)
        XCTAssertEqual(result.response.reasonPhrase.prefix(18), "Interval Too Brief")
        XCTAssertEqual(result.response.headers["Min-Expires"], "60", "§10.3 step 7")
        XCTAssertFalse(r.location.isRegistered(AddressOfRecord(user: "alice", domain: realm), now: t0))
    }

    func testIntervalAboveTheMaximumIsShortenedAndTheContactParameterWins() throws {
        var r = registrar()
        let result = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50>;expires=7200",
                                                                         "<sip:alice@192.0.2.51>;q=0.5",
                                                                         "<sip:alice@192.0.2.52>;expires=120"], expires: "900"))
        XCTAssertEqual(result.response.statusCode, 200)
        XCTAssertEqual(Set(result.response.headers.values("Contact")), [
            "<sip:alice@192.0.2.50>;expires=3600", "<sip:alice@192.0.2.51>;expires=900;q=0.5", "<sip:alice@192.0.2.52>;expires=120",
        ])
    }

    func testWithoutAnyExpiresTheDefaultApplies() throws {
        var r = registrar()
        let result = try registerWithCredentials(&r, register(expires: nil))
        XCTAssertEqual(result.response.headers.values("Contact"), ["<sip:alice@192.0.2.50:5062>;expires=1800"])
    }

    func testBadContactParametersAre400() throws {
        for contact in ["<sip:alice@192.0.2.50>;q=1.5", "<sip:alice@192.0.2.50>;expires=soon"] {
            var r = registrar()
            let result = try registerWithCredentials(&r, register(contacts: [contact]))
            XCTAssertEqual(result.response.statusCode, 400, contact)
        }
    }

    func testAQueryListsTheBindingsWithTheirRemainingTime() throws {
        var r = registrar()
        _ = try registerWithCredentials(&r, register())
        let query = try registerWithCredentials(&r, register(contacts: [], expires: nil, cseq: 10), at: t0.addingTimeInterval(100))
        XCTAssertEqual(query.response.statusCode, 200)
        XCTAssertEqual(query.response.headers.values("Contact"), ["<sip:alice@192.0.2.50:5062>;expires=500"])
    }

    func testSeveralPhonesOfOneUser() throws {
        var r = registrar()
        _ = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50:5062>"], callID: "desk"))
        let second = try registerWithCredentials(&r, register(contacts: ["<sip:alice@198.51.100.9:5060;transport=tcp>"], callID: "mobile"),
                                                 at: t0.addingTimeInterval(5))
        XCTAssertEqual(second.response.headers.values("Contact").count, 2, "the 200 lists every binding of the AOR")
        XCTAssertEqual(r.location.bindings(for: AddressOfRecord(user: "alice", domain: realm), now: t0.addingTimeInterval(5)).count, 2)
    }

    func testExpiresZeroUnregistersOneContact() throws {
        var r = registrar()
        _ = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50>", "<sip:alice@192.0.2.51>"]))
        let result = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50>"], expires: "0", cseq: 3))
        XCTAssertEqual(result.response.headers.values("Contact"), ["<sip:alice@192.0.2.51>;expires=600"])
    }

    func testWildcardUnregistersEverything() throws {
        var r = registrar()
        _ = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50>", "<sip:alice@192.0.2.51>"]))
        let result = try registerWithCredentials(&r, register(contacts: ["*"], expires: "0", cseq: 3))
        XCTAssertEqual(result.response.statusCode, 200)
        XCTAssertEqual(result.response.headers.values("Contact"), [])
        XCTAssertEqual(result.outcome, .accepted(AddressOfRecord(user: "alice", domain: realm), bindings: []))
        XCTAssertFalse(r.location.isRegistered(AddressOfRecord(user: "alice", domain: realm), now: t0))
    }

    func testWildcardMustBeAloneWithExpiresZero() throws {
        for (contacts, expires) in [(["*"], "600"), (["*"], nil), (["*", "<sip:alice@192.0.2.50>"], "0")] as [([String], String?)] {
            var r = registrar()
            let result = try registerWithCredentials(&r, register(contacts: contacts, expires: expires))
            XCTAssertEqual(result.response.statusCode, 400, "\(contacts) Expires \(expires ?? "absent")")
        }
    }

    func testReorderedRegisterOfTheSameCallIDIsRefusedAndChangesNothing() throws {
        var r = registrar()
        _ = try registerWithCredentials(&r, register(cseq: 5))   // stored with CSeq 6
        let stale = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50:5062>"], expires: "0", cseq: 4))
        XCTAssertEqual(stale.response.statusCode, 400, "CSeq 5 is not higher than 6 (§10.3 step 7)")
        XCTAssertTrue(stale.response.reasonPhrase.contains("not higher"), stale.response.reasonPhrase)
        XCTAssertTrue(r.location.isRegistered(AddressOfRecord(user: "alice", domain: realm), now: t0))
    }

    func testTooManyContactsIs403() throws {
        var r = registrar(maximumBindings: 1)
        let result = try registerWithCredentials(&r, register(contacts: ["<sip:alice@192.0.2.50>", "<sip:alice@192.0.2.51>"]))
        XCTAssertEqual(result.response.statusCode, 403)
    }

    func testOnlyRegisterIsProcessed() {
        var r = registrar()
        var options = register()
        options.method = .options
        let result = handle(&r, options)
        XCTAssertEqual(result.response.statusCode, 405)
        XCTAssertEqual(result.response.headers["Allow"], "REGISTER")
    }
}
