import Billing
import Foundation
import IVR
import Store
@testable import Switchboard
import XCTest

/// The admission of every outbound leg (issue 11, "every trunk leg is rated, reserved and
/// recorded, or not placed"), as a table: every kind of leg × route × payer × rating ×
/// reservation answer. Whatever the row, a trunk leg leaves only with a payer, a rate and
/// a reservation; the rows below spell out the expected verdicts one by one.
final class TrunkLegAdmissionTests: XCTestCase {
    typealias A = TrunkLegAdmission

    static let kinds: [A.Kind] = [.bridge, .forkAttempt, .dialledLoginForward, .conferenceParty]
        + CallTrigger.allCases.filter { $0 != .card }.map { .callbackALeg($0) }
    static let payers: [A.Payer] = [.account(login: "alice"), .houseAccount(login: "guest"), .unboundCall,
                                    .nobody(reason: "no account")]
    static let ratings: [A.Rating] = [.rated, .user, .noRate(reason: "no rate for 33 in plan card"),
                                      .blocked(reason: "4990 is blocked"), .unpriceable(reason: "no rate plan")]
    static let reservations: [A.Reservation] = [.notAsked, .granted(seconds: 125), .granted(seconds: 0),
                                                .freeLeg(freeBalancePositive: true), .freeLeg(freeBalancePositive: false),
                                                .refused(reason: "free balance 0.0000 EUR")]

    /// The invariants, over every combination.
    func testNoTrunkLegLeavesWithoutPayerRateAndReservation() {
        var rows = 0
        for kind in Self.kinds {
            for route in [A.Route.trunk, .registeredContact] {
                for payer in Self.payers {
                    for rating in Self.ratings {
                        for reservation in Self.reservations {
                            rows += 1
                            let row = "\(kind) \(route) \(payer) \(rating) \(reservation)"
                            let verdict = A(kind: kind, route: route, payer: payer, rating: rating,
                                            reservation: reservation).verdict
                            if route == .registeredContact {
                                XCTAssertEqual(verdict, .placeUnrated, row)
                                continue
                            }
                            switch verdict {
                            case .place(let seconds):
                                XCTAssertGreaterThan(seconds, 0, row)
                                XCTAssertEqual(rating, .rated, row)
                                XCTAssertEqual(reservation, .granted(seconds: seconds), row)
                                if case .nobody = payer { XCTFail("placed with nobody paying: \(row)") }
                                if case .unboundCall = payer { XCTFail("billed an unbound call: \(row)") }
                            case .reserve:
                                XCTAssertEqual(rating, .rated, row)
                                XCTAssertEqual(reservation, .notAsked, row)
                            case .placeUnrated:
                                // Without money: a dialled user (bound or not), a free A leg with credit.
                                if case .callbackALeg = kind {
                                    XCTAssertEqual(reservation, .freeLeg(freeBalancePositive: true), row)
                                    XCTAssertEqual(rating, .rated, row)
                                    XCTAssertNotEqual(payer, .unboundCall, row)
                                } else {
                                    XCTAssertEqual(rating, .user, row)
                                }
                            case .refuse(let outcome, let reason):
                                XCTAssertFalse(reason.isEmpty, row)
                                XCTAssertTrue([.failed, .outOfCredit].contains(outcome), row)
                            }
                            if case .callbackALeg = kind, case .nobody = payer {
                                guard case .refuse = verdict else { return XCTFail("a callback leg nobody pays for: \(row)") }
                            }
                            if case .callbackALeg = kind, payer == .unboundCall {
                                guard case .refuse = verdict else { return XCTFail("a callback leg with no account: \(row)") }
                            }
                            // No account bound: a trunk leg to anything but our own user never leaves.
                            if payer == .unboundCall, rating != .user {
                                guard case .refuse(.failed, _) = verdict else {
                                    return XCTFail("a trunk leg of an unbound call placed: \(row)")
                                }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(rows, Self.kinds.count * 2 * Self.payers.count * Self.ratings.count * Self.reservations.count)
    }

    /// The rows that matter, spelled out.
    func testTheRowsSpelledOut() {
        let alice = A.Payer.account(login: "alice"), guest = A.Payer.houseAccount(login: "guest")
        let table: [(A, A.Verdict)] = [
            // Rated and paid for: ask the store, then place for what it granted.
            (A(kind: .bridge, route: .trunk, payer: alice, rating: .rated), .reserve),
            (A(kind: .bridge, route: .trunk, payer: alice, rating: .rated, reservation: .granted(seconds: 125)),
             .place(grantSeconds: 125)),
            (A(kind: .forkAttempt, route: .trunk, payer: alice, rating: .rated, reservation: .refused(reason: "poor")),
             .refuse(.outOfCredit, reason: "poor")),
            (A(kind: .conferenceParty, route: .trunk, payer: alice, rating: .rated, reservation: .granted(seconds: 0)),
             .refuse(.outOfCredit, reason: "the reservation grants no talk time")),
            (A(kind: .dialledLoginForward, route: .trunk, payer: alice, rating: .noRate(reason: "no rate")),
             .refuse(.failed, reason: "no rate")),
            (A(kind: .conferenceParty, route: .trunk, payer: alice, rating: .blocked(reason: "blocked")),
             .refuse(.failed, reason: "blocked")),
            // Our own users cost nothing.
            (A(kind: .bridge, route: .trunk, payer: alice, rating: .user), .placeUnrated),
            (A(kind: .callbackALeg(.api), route: .registeredContact, payer: .nobody(reason: "x"), rating: .rated),
             .placeUnrated),
            // The house account pays only for a PIN callback's first leg.
            (A(kind: .callbackALeg(.sipPIN), route: .trunk, payer: guest, rating: .rated), .reserve),
            (A(kind: .callbackALeg(.sipANI), route: .trunk, payer: guest, rating: .rated),
             .refuse(.failed, reason: "the house account pays only for PIN callbacks' first leg")),
            (A(kind: .conferenceParty, route: .trunk, payer: guest, rating: .rated),
             .refuse(.failed, reason: "the house account pays only for PIN callbacks' first leg")),
            // A callback with nobody to pay is not placed.
            (A(kind: .callbackALeg(.sipPIN), route: .trunk, payer: .nobody(reason: "no house account"), rating: .rated),
             .refuse(.failed, reason: "nobody pays for the leg: no house account")),
            (A(kind: .callbackALeg(.web), route: .trunk, payer: .unboundCall, rating: .rated),
             .refuse(.failed, reason: "nobody pays for the web callback's leg: no account")),
            // A free A leg still needs credit for what follows.
            (A(kind: .callbackALeg(.sms), route: .trunk, payer: alice, rating: .rated,
               reservation: .freeLeg(freeBalancePositive: false)), .refuse(.outOfCredit, reason: "no credit left")),
            (A(kind: .callbackALeg(.sms), route: .trunk, payer: alice, rating: .rated,
               reservation: .freeLeg(freeBalancePositive: true)), .placeUnrated),
            // A call no account is bound to (no authenticate, no free IVR access) places no
            // trunk leg, whatever the number's rate: nobody would pay for it.
            (A(kind: .bridge, route: .trunk, payer: .unboundCall, rating: .rated),
             .refuse(.failed, reason: "no account is bound to the call: the trunk leg is not placed")),
            (A(kind: .forkAttempt, route: .trunk, payer: .unboundCall, rating: .unpriceable(reason: "no account")),
             .refuse(.failed, reason: "no account is bound to the call: the trunk leg is not placed")),
            (A(kind: .dialledLoginForward, route: .trunk, payer: .unboundCall, rating: .rated),
             .refuse(.failed, reason: "no account is bound to the call: the trunk leg is not placed")),
            (A(kind: .conferenceParty, route: .trunk, payer: .unboundCall, rating: .noRate(reason: "no rate")),
             .refuse(.failed, reason: "no account is bound to the call: the trunk leg is not placed")),
            // ...but it may still reach our own users: a dialled login, a registered phone (recorded, unbilled).
            (A(kind: .bridge, route: .trunk, payer: .unboundCall, rating: .user), .placeUnrated),
            (A(kind: .conferenceParty, route: .trunk, payer: .unboundCall, rating: .user), .placeUnrated),
            (A(kind: .forkAttempt, route: .registeredContact, payer: .unboundCall, rating: .unpriceable(reason: "x")),
             .placeUnrated),
        ]
        for (admission, expected) in table {
            XCTAssertEqual(admission.verdict, expected, "\(admission)")
        }
    }

    func testWhoPaysForACallback() {
        for trigger in CallTrigger.allCases {
            XCTAssertEqual(A.callbackPayer(trigger: trigger, accountLogin: "alice", houseAccount: "guest"),
                           .account(login: "alice"), "\(trigger): the request's account pays")
        }
        XCTAssertEqual(A.callbackPayer(trigger: .sipPIN, accountLogin: nil, houseAccount: "guest"), .houseAccount(login: "guest"))
        guard case .nobody(let reason) = A.callbackPayer(trigger: .sipPIN, accountLogin: nil, houseAccount: nil) else {
            return XCTFail("a PIN callback with no house account is paid by nobody")
        }
        XCTAssertTrue(reason.contains("free-access-user"), reason)
        for trigger in CallTrigger.allCases where trigger != .sipPIN {
            guard case .nobody = A.callbackPayer(trigger: trigger, accountLogin: nil, houseAccount: "guest") else {
                return XCTFail("\(trigger) without an account: the house account does not pay")
            }
        }
    }
}
