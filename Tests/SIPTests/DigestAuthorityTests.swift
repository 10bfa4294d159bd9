import Foundation
import XCTest
@testable import SIP

/// RFC 7616 done right (issue 11): the nonce table (source binding, increasing `nc`,
/// stale), the `uri` check and the failure lockout, as tables of requests and outcomes.
final class DigestAuthorityTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_767_268_800)
    let realm = "switchback.local"
    let uri = try! SIPURI(parsing: "sip:1000@192.0.2.1")
    let ha1 = Digest.ha1(username: "alice", realm: "switchback.local", password: "wonderland")
    let mallory = "198.51.100.7"
    let alice = "192.0.2.10"

    func authority(limit: Int = 3, period: TimeInterval = 900) -> DigestAuthority {
        DigestAuthority(realm: realm, nonces: DigestNonces(secret: Array("digest authority tests".utf8), lifetime: 300),
                        failures: AuthenticationFailureCounter(limit: limit, period: period))
    }

    func answer(_ challenge: DigestChallenge, password: String = "wonderland", uri: String = "sip:1000@192.0.2.1",
                nc: UInt32 = 1, username: String = "alice") -> DigestCredentials {
        DigestCredentials.answering(challenge: challenge, method: "INVITE", uri: uri, username: username, password: password,
                                    cnonce: "c0ffee", nonceCount: nc)
    }

    func isChallenge(_ outcome: DigestAuthority.Outcome, stale: Bool) -> Bool {
        if case .challenge(let c) = outcome { return c.stale == stale }
        return false
    }

    /// One nonce, then a table of follow-up requests: what each gets.
    func testNonceTableRefusesReplaysOtherSourcesAndStaleNonces() {
        enum Expect { case ok, challenge, staleChallenge, forbidden }
        var a = authority()
        let challenge = a.challenge(source: alice, now: t0)
        let rows: [(what: String, credentials: DigestCredentials, source: String, at: TimeInterval, expect: Expect)] = [
            ("first use, nc 1", answer(challenge, nc: 1), alice, 1, .ok),
            ("replayed nc 1", answer(challenge, nc: 1), alice, 2, .challenge),
            ("next nc 2", answer(challenge, nc: 2), alice, 3, .ok),
            ("nc going back to 1", answer(challenge, nc: 1), alice, 4, .challenge),
            ("captured nc 3 sent from another source", answer(challenge, nc: 3), mallory, 5, .challenge),
            ("nc 3 from the owner still works", answer(challenge, nc: 3), alice, 6, .ok),
            ("credentials for another Request-URI", answer(challenge, uri: "sip:1001@192.0.2.1", nc: 4), alice, 7, .forbidden),
            ("after the nonce's lifetime: stale", answer(challenge, nc: 5), alice, 400, .staleChallenge),
        ]
        for row in rows {
            let outcome = a.authenticate(row.credentials, method: "INVITE", requestURI: uri, ha1: ha1, callerID: "4930111",
                                         source: row.source, now: t0.addingTimeInterval(row.at))
            switch row.expect {
            case .ok: XCTAssertEqual(outcome, .authenticated(username: "alice"), row.what)
            case .challenge: XCTAssertTrue(isChallenge(outcome, stale: false), "\(row.what): \(outcome)")
            case .staleChallenge: XCTAssertTrue(isChallenge(outcome, stale: true), "\(row.what): \(outcome)")
            case .forbidden:
                XCTAssertEqual(outcome, .refuse(status: 403, reason: DigestAuthority.refusal, lockedOut: false), row.what)
            }
        }
    }

    func testANonceNeverIssuedHereIsChallengedAndTheUnreadableCountsAsFailure() {
        var a = authority()
        let foreign = DigestChallenge(realm: realm, nonce: DigestNonces(secret: Array("other".utf8)).make(now: t0))
        let outcome = a.authenticate(answer(foreign), method: "INVITE", requestURI: uri, ha1: ha1, callerID: nil,
                                     source: alice, now: t0)
        XCTAssertTrue(isChallenge(outcome, stale: false), "\(outcome)")
        XCTAssertTrue(isChallenge(a.authenticate(nil, method: "INVITE", requestURI: uri, ha1: nil, callerID: nil, source: alice,
                                                 now: t0), stale: false), "no credentials: a challenge")
    }

    /// Unknown user and wrong password answer alike, and N failures lock out by whichever
    /// key the guesser keeps: username, caller ID (withheld ones share a bucket), source.
    func testFailuresLockOutPerAccountCallerIDAndSource() {
        struct Attempt { let username: String; let callerID: String?; let source: String }
        let rows: [(what: String, attempts: [Attempt], then: Attempt, locked: Bool)] = [
            ("same source, rotating users and caller IDs",
             (0..<3).map { Attempt(username: "u\($0)", callerID: "49\($0)", source: mallory) },
             Attempt(username: "alice", callerID: "4930111", source: mallory), true),
            ("same username from rotating sources and caller IDs",
             (0..<3).map { Attempt(username: "alice", callerID: "49\($0)", source: "203.0.113.\($0)") },
             Attempt(username: "alice", callerID: "4977", source: "203.0.113.99"), true),
            ("withheld caller IDs are one bucket",
             [Attempt(username: "a", callerID: nil, source: "203.0.113.1"),
              Attempt(username: "b", callerID: "anonymous", source: "203.0.113.2"),
              Attempt(username: "c", callerID: "", source: "203.0.113.3")],
             Attempt(username: "d", callerID: "Restricted", source: "203.0.113.4"), true),
            ("two failures are below the limit",
             (0..<2).map { Attempt(username: "alice", callerID: "49\($0)", source: "203.0.113.\($0)") },
             Attempt(username: "alice", callerID: "4977", source: "203.0.113.99"), false),
        ]
        for row in rows {
            var a = authority(limit: 3)
            for attempt in row.attempts {
                let challenge = a.challenge(source: attempt.source, now: t0)
                let outcome = a.authenticate(answer(challenge, password: "guess", username: attempt.username), method: "INVITE",
                                             requestURI: uri, ha1: attempt.username == "alice" ? ha1 : nil,
                                             callerID: attempt.callerID, source: attempt.source, now: t0)
                XCTAssertEqual(outcome, .refuse(status: 403, reason: DigestAuthority.refusal, lockedOut: false),
                               "\(row.what): unknown user and wrong password answer alike")
            }
            let challenge = a.challenge(source: row.then.source, now: t0)
            // The right password, yet refused while locked: same status and phrase as a wrong one.
            let outcome = a.authenticate(answer(challenge, username: row.then.username), method: "INVITE", requestURI: uri,
                                         ha1: row.then.username == "alice" ? ha1 : nil, callerID: row.then.callerID,
                                         source: row.then.source, now: t0.addingTimeInterval(1))
            if row.locked {
                XCTAssertEqual(outcome, .refuse(status: 403, reason: DigestAuthority.refusal, lockedOut: true), row.what)
                XCTAssertEqual(a.lockoutRefusals, 1, row.what)
            } else {
                XCTAssertEqual(outcome, .authenticated(username: "alice"), row.what)
            }
            XCTAssertEqual(a.failuresCounted, row.attempts.count, row.what)
        }
    }

    func testLockoutEndsWhenTheFailuresAgeOut() {
        var a = authority(limit: 2, period: 60)
        for _ in 0..<2 {
            let c = a.challenge(source: mallory, now: t0)
            _ = a.authenticate(answer(c, password: "x"), method: "INVITE", requestURI: uri, ha1: ha1, callerID: "1",
                               source: mallory, now: t0)
        }
        let locked = a.challenge(source: mallory, now: t0)
        XCTAssertEqual(a.authenticate(answer(locked), method: "INVITE", requestURI: uri, ha1: ha1, callerID: "1",
                                      source: mallory, now: t0.addingTimeInterval(30)),
                       .refuse(status: 403, reason: DigestAuthority.refusal, lockedOut: true))
        let later = a.challenge(source: mallory, now: t0.addingTimeInterval(61))
        XCTAssertEqual(a.authenticate(answer(later), method: "INVITE", requestURI: uri, ha1: ha1, callerID: "1",
                                      source: mallory, now: t0.addingTimeInterval(62)), .authenticated(username: "alice"))
        a.prune(now: t0.addingTimeInterval(10_000))
        XCTAssertEqual(a.failures.trackedKeys, 0, "pruned")
        XCTAssertEqual(a.table.count, 0, "expired nonces pruned")
    }

    func testNonceCountsParseAsHexAndMissingOnesAreOneUse() {
        XCTAssertEqual(DigestNonceTable.count("00000001"), 1)
        XCTAssertEqual(DigestNonceTable.count("0000000a"), 10)
        XCTAssertEqual(DigestNonceTable.count(nil), 1)
        XCTAssertNil(DigestNonceTable.count("zz"))
        XCTAssertNil(DigestNonceTable.count("00000000"))
        XCTAssertNil(DigestNonceTable.count("123456789"))
        var table = DigestNonceTable(lifetime: 300, capacity: 2)
        table.issue("a", source: "s", now: t0)
        table.issue("b", source: "s", now: t0)
        table.issue("c", source: "s", now: t0)
        XCTAssertEqual(table.count, 2, "bounded: the oldest goes")
        XCTAssertEqual(table.check("a", nonceCount: nil, source: "s", now: t0), .unknown)
        XCTAssertEqual(table.check("c", nonceCount: nil, source: "s", now: t0), .fresh)
        table.accept("c", nonceCount: nil)
        XCTAssertEqual(table.check("c", nonceCount: nil, source: "s", now: t0), .replayed, "without qop: once")
    }

    func testURIComparison() {
        let u = try! SIPURI(parsing: "sip:1000@192.0.2.1")
        XCTAssertTrue(DigestVerifier.sameURI("sip:1000@192.0.2.1", u))
        XCTAssertTrue(DigestVerifier.sameURI("sip:1000@192.0.2.1:5060", u))
        XCTAssertTrue(DigestVerifier.sameURI("sip:192.0.2.1:5060", u), "the server as a whole (sipp's form)")
        XCTAssertFalse(DigestVerifier.sameURI("sip:192.0.2.1:5070", u))
        XCTAssertFalse(DigestVerifier.sameURI("sip:1001@192.0.2.1", u))
        XCTAssertFalse(DigestVerifier.sameURI("sip:1000@192.0.2.2", u))
        XCTAssertFalse(DigestVerifier.sameURI("garbage", u))
    }
}
