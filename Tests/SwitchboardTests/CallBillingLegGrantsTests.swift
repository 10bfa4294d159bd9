import Billing
import Foundation
import IVR
import Logging
import Store
@testable import Switchboard
import XCTest

/// A dial to a user's login is rated where it leads: the user's own phones cost nothing,
/// its forward number is reserved and opened as the forward's B leg at that number, and a
/// number that cannot be rated or paid for is refused (not placed).
final class CallBillingLegGrantsTests: XCTestCase {
    private var store: SQLiteStore!
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private let log = CallLogger(base: Logger(label: "test"), callID: "test-grants")

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let rates = [
            try Rate(prefix: "1000", description: "access", perMinute: eur("0.0300"), connectionFee: eur("0.0050"),
                     increments: BillingIncrements(first: 1, following: 1)),
            try Rate(prefix: "49", description: "Germany", perMinute: eur("0.4800"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ]
        try store.importRates(plan: "card", currency: "EUR", chargesALeg: false, rates: rates, at: answered)
        // The dialled user, whose forward number is in Germany.
        _ = try store.createAccount(NewAccount(login: "5001", password: "pw", sipRealm: "test", initialBalance: eur("0"),
                                               forwardNumber: "4930777", forwardMode: .unregistered), at: answered)
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func payer(balance: String) async throws -> (CallBilling, Int64) {
        let id = try XCTUnwrap(try store.createAccount(NewAccount(login: "alice", password: "pw", sipRealm: "test",
                                                                  initialBalance: eur(balance), ratePlan: "card"),
                                                       at: answered).id)
        let answered = self.answered
        let billing = CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                                         startedAt: answered, answeredAt: answered),
                                  store: store, log: log, heartbeat: .seconds(3600), clock: FakeBillingClock(answered), cut: { _ in })
        await billing.accountAuthenticated(login: "alice")
        return (billing, id)
    }

    private func grant(_ grants: CallBillingLegGrants, _ number: String) async -> OutboundLegGrant {
        await withCheckedContinuation { continuation in
            grants.grant(number: number, callerID: "5551234", limitSeconds: nil, ringTimeoutSeconds: 30) {
                continuation.resume(returning: $0)
            }
        }
    }

    func testTheForwardNumberIsReservedAtThatNumberAndTheLoginIsNot() async throws {
        let (billing, id) = try await payer(balance: "1.0000")
        let grants = CallBillingLegGrants(billing: billing)

        // The login itself (its phones): a user of this service, not a rated destination.
        guard case .unbilled = await grant(grants, "5001") else { return XCTFail("the user's phones are not billed") }
        XCTAssertTrue(try store.callLegs(since: nil, account: id).isEmpty)

        // Its forward number: rated at 49, reserved, opened as the B leg to that number.
        guard case .granted(let legBilling) = await grant(grants, "4930777") else { return XCTFail("not granted") }
        XCTAssertEqual(legBilling.maxDurationSeconds, 125, "1.0000 at 0.4800/min: 125 s")
        let open = try XCTUnwrap(try store.callLegs(since: nil, account: id).first)
        XCTAssertEqual(open.leg, .b)
        XCTAssertEqual(open.toNumber, "4930777")
        XCTAssertEqual(open.ratePrefix, "49")
        XCTAssertEqual(try store.openReservations(account: id).count, 1)
    }

    func testANumberThatCannotBeRatedOrPaidForIsRefused() async throws {
        let (billing, _) = try await payer(balance: "0.0000")
        let grants = CallBillingLegGrants(billing: billing)
        guard case .refused(let unrated, _) = await grant(grants, "33123456") else { return XCTFail("an unrated number") }
        XCTAssertEqual(unrated, .failed)
        guard case .refused(let poor, _) = await grant(grants, "4930777") else { return XCTFail("no credit") }
        XCTAssertEqual(poor, .outOfCredit)
    }

    func testACallNobodyPaysForPlacesNoTrunkLeg() async throws {
        let billing = CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                                         startedAt: answered, answeredAt: answered),
                                  store: store, log: log, cut: { _ in })
        guard case .refused(.failed, let reason) = await grant(CallBillingLegGrants(billing: billing), "4930777") else {
            return XCTFail("no account bound: a trunk number is not placed")
        }
        XCTAssertEqual(reason, TrunkLegAdmission.unboundTrunkLegRefusal)
    }
}
