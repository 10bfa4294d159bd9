import Billing
import Foundation
import IVR
import Logging
import Store
@testable import Switchboard
import XCTest

/// Each conference party is rated at its own number and holds a reservation of its own
/// before its INVITE, at most its share of the free balance, so every party called can be
/// paid for; a party that cannot be rated or paid for is refused; each settles alone.
final class ConferencePartyGrantsTests: XCTestCase {
    private var store: SQLiteStore!
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private let log = CallLogger(base: Logger(label: "test"), callID: "test-conference-grants")
    private var alice: Int64 = 0

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let rates = [
            try Rate(prefix: "4930", description: "Berlin", perMinute: eur("0.6000"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
            try Rate(prefix: "4940", description: "Hamburg", perMinute: eur("1.2000"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ]
        _ = try store.importRates(plan: "card", currency: "EUR", chargesALeg: false, rates: rates, blockedPrefixes: ["4990"],
                                  at: answered)
        alice = try XCTUnwrap(try store.createAccount(NewAccount(login: "alice", password: "pw", sipRealm: "test",
                                                                 initialBalance: eur("1.0000"), ratePlan: "card"),
                                                      at: answered).id)
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func billing() async -> CallBilling {
        let answered = self.answered
        let billing = CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "200", campaign: "conference",
                                                         startedAt: answered, answeredAt: answered),
                                  store: store, log: log, heartbeat: .seconds(3600), clock: FakeBillingClock(answered),
                                  cut: { _ in })
        await billing.accountAuthenticated(login: "alice")
        return billing
    }

    func testEveryPartyIsReservedAtItsOwnNumberWithinItsShare() async throws {
        let billing = await billing()
        // Two parties: the first may hold half of 1.0000 (0.5000 at 0.6000/min: 50 s).
        guard case let .granted(first, firstSeconds) = await billing.partyWillDial(
            number: "4930777", callerID: "5551234", limitSeconds: nil, share: 2) else { return XCTFail("first party") }
        XCTAssertEqual(firstSeconds, 50)
        // The second takes what is left (0.5000 at 1.2000/min: 25 s), at its own rate.
        guard case let .granted(second, secondSeconds) = await billing.partyWillDial(
            number: "4940888", callerID: "5551234", limitSeconds: nil, share: 1) else { return XCTFail("second party") }
        XCTAssertEqual(secondSeconds, 25)
        XCTAssertEqual(try store.openReservations(account: alice).count, 2, "a reservation per party")
        let legs = try store.callLegs(since: nil, account: alice)
        XCTAssertEqual(Set(legs.map(\.ratePrefix)), ["4930", "4940"])

        // Each settles alone: 10 s at Berlin, 5 s at Hamburg.
        for (leg, number, seconds) in [(first, "4930777", 10.0), (second, "4940888", 5.0)] {
            await billing.partyAnswered(leg: leg, at: answered)
            await billing.partyEnded(leg: leg, OutboundLegRecord(
                callID: "b", aLegCallID: "a", context: IVR.CallContext(caller: "5551234", dnis: "200"), trunk: "pstn",
                dialled: number, number: number, callerID: "5551234", startedAt: answered, answeredAt: answered,
                endedAt: answered.addingTimeInterval(seconds), outcome: .ended, sipStatus: nil))
        }
        XCTAssertEqual(try store.openReservations(account: alice).count, 0)
        let costs = try store.callLegs(since: nil, account: alice).map(\.costMinorUnits).sorted()
        XCTAssertEqual(costs, [1000, 1000], "0.1000 each: 10 s at 0.6000/min, 5 s at 1.2000/min")
        XCTAssertEqual(try store.account(id: alice)?.balance, try eur("0.8000"))
    }

    func testAPartyThatCannotBeRatedOrPaidForIsRefused() async throws {
        let billing = await billing()
        guard case .refused(.failed, _) = await billing.partyWillDial(number: "4990123", callerID: "", limitSeconds: nil,
                                                                      share: 1) else { return XCTFail("a blocked party") }
        guard case .refused(.failed, _) = await billing.partyWillDial(number: "33123456", callerID: "", limitSeconds: nil,
                                                                      share: 1) else { return XCTFail("an unrated party") }
        _ = await billing.partyWillDial(number: "4930777", callerID: "", limitSeconds: nil, share: 1)
        guard case .refused(.outOfCredit, _) = await billing.partyWillDial(number: "4940888", callerID: "",
                                                                           limitSeconds: nil, share: 1) else {
            return XCTFail("the first party holds everything: the next one is out of credit")
        }
        XCTAssertEqual(try store.openReservations(account: alice).count, 1)
    }
}
