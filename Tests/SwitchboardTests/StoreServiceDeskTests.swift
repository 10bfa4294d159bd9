import Billing
import Foundation
import IVR
import Store
@testable import Switchboard
import XCTest

/// The desk answers each kind of service request from a real (in-memory) SQLite store;
/// expected amounts are worked out by hand from the rates below.
final class StoreServiceDeskTests: XCTestCase {
    private var store: SQLiteStore!
    private var desk: StoreServiceDesk!
    private let clock = Date(timeIntervalSince1970: 1_800_000_000)

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let at = clock
        desk = StoreServiceDesk(store: store, now: { at })
        // Germany 0.0600/min billed 60/60; UK 0.0125/min, 0.0100 connection fee, 1/1.
        // The access number 1000 costs 0.0200/min, 1/1 (charged on this plan).
        try store.importRates(plan: "std", currency: "EUR", chargesALeg: true, rates: [
            try rate("49", "0.0600", fee: "0", 60, 60),
            try rate("44", "0.0125", fee: "0.0100", 1, 1),
            try rate("1000", "0.0200", fee: "0", 1, 1),
        ], at: clock)
        _ = try store.createAccount(NewAccount(login: "4711", password: "2468", pin: "1234", sipRealm: "test",
                                               initialBalance: eur("1.2345"), ratePlan: "std", forwardNumber: "4930123",
                                               personalDID: "5550100"), at: clock)
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func rate(_ prefix: String, _ perMinute: String, fee: String, _ first: Int, _ following: Int) throws -> Rate {
        try Rate(prefix: prefix, description: prefix, perMinute: eur(perMinute), connectionFee: eur(fee),
                 increments: BillingIncrements(first: first, following: following))
    }

    private func ask(_ request: ServiceRequest, login: String? = nil, caller: String = "5551234",
                     accessLeg: AccessLegReservation? = nil) async -> ServiceResult {
        var context = IVR.CallContext(caller: caller, dnis: "1000")
        if let login { context["account"] = .record(["login": .string(login)]) }
        // Issue 11: these calls come from a trusted source (CallerTrustDecisionTests has the others).
        context[CallerTrust.variable] = CallerTrust.trustedSource.value
        return await desk.answer(request, context: context, accessLeg: accessLeg)
    }

    /// XCTAssertEqual's autoclosures cannot await; the answer is awaited first.
    private func assertResult(_ actual: ServiceResult, _ expected: ServiceResult,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual, expected, file: file, line: line)
    }

    private var expectedAccount: [String: IVRValue] {
        ["login": .string("4711"), "balance": .number(Decimal(string: "1.2345")!), "currency": .string("EUR"),
         "plan": .string("std"), "forward": .string("4930123"), "did": .string("5550100")]
    }

    // MARK: authenticate

    func testPINBindsTheAccountWithExactBalance() async throws {
        let result = await ask(.authenticate(method: .pin, value: "1234"))
        XCTAssertEqual(result, .authenticated(account: expectedAccount))
        assertResult(await ask(.authenticate(method: .pin, value: "9999")), .authenticationFailed)
    }

    func testLockedAccountAnswersLockedForEveryMethod() async throws {
        let id = try XCTUnwrap(try store.account(login: "4711")?.id)
        _ = try store.authoriseCallerID("5551234", account: id, at: clock)
        try store.setState(.locked, account: id)
        assertResult(await ask(.authenticate(method: .pin, value: "1234")), .locked)
        assertResult(await ask(.authenticate(method: .password, value: "4711:2468")), .locked)
        assertResult(await ask(.authenticate(method: .ani, value: "5551234")), .locked)
        assertResult(await ask(.authenticate(method: .did, value: "5550100")), .locked)
    }

    func testPasswordIsAccountNumberColonPassword() async throws {
        assertResult(await ask(.authenticate(method: .password, value: "4711:2468")), .authenticated(account: expectedAccount))
        assertResult(await ask(.authenticate(method: .password, value: "4711:2469")), .authenticationFailed)
        assertResult(await ask(.authenticate(method: .password, value: "47112468")), .authenticationFailed)
        assertResult(await ask(.authenticate(method: .password, value: "4712:2468")), .authenticationFailed)
    }

    func testANIByAuthorisedCallerIDOnly() async throws {
        assertResult(await ask(.authenticate(method: .ani, value: "5551234")), .authenticationFailed)
        let id = try XCTUnwrap(try store.account(login: "4711")?.id)
        _ = try store.authoriseCallerID("5551234", account: id, at: clock)
        assertResult(await ask(.authenticate(method: .ani, value: "5551234")), .authenticated(account: expectedAccount))
        assertResult(await ask(.authenticate(method: .ani, value: "")), .authenticationFailed)
    }

    func testDIDIsThePersonalNumberDialled() async throws {
        assertResult(await ask(.authenticate(method: .did, value: "5550100")), .authenticated(account: expectedAccount))
        assertResult(await ask(.authenticate(method: .did, value: "5550199")), .authenticationFailed)
    }

    func testSIPDigestBindsTheLoginTheRouterVerifiedAndNothingElse() async throws {
        // Without a verified login (the access number did not challenge), the method fails.
        assertResult(await ask(.authenticate(method: .sipDigest, value: "")), .authenticationFailed)
        var context = IVR.CallContext(caller: "5551234", dnis: "1000")
        context.variables["sip-digest-login"] = .string("4711")
        assertResult(await desk.answer(.authenticate(method: .sipDigest, value: ""), context: context, accessLeg: nil),
                     .authenticated(account: expectedAccount))
        context.variables["sip-digest-login"] = .string("9999")
        assertResult(await desk.answer(.authenticate(method: .sipDigest, value: ""), context: context, accessLeg: nil),
                     .authenticationFailed)
    }

    func testPINGuessingIsLockedOutPerCallerIDAndASuccessClearsTheCount() async throws {
        let at = clock
        desk = StoreServiceDesk(store: store, lockout: PINLockoutPolicy(attempts: 3, period: 900), now: { at })
        assertResult(await ask(.authenticate(method: .pin, value: "0000")), .authenticationFailed)
        assertResult(await ask(.authenticate(method: .pin, value: "0001")), .authenticationFailed)
        // A success before the limit forgets the failures of this caller ID.
        assertResult(await ask(.authenticate(method: .pin, value: "1234")), .authenticated(account: expectedAccount))
        for guess in ["0002", "0003", "0004"] {
            assertResult(await ask(.authenticate(method: .pin, value: guess)), .authenticationFailed)
        }
        // Three failures: even the right PIN is refused from this caller ID, not from another.
        assertResult(await ask(.authenticate(method: .pin, value: "1234")), .locked)
        assertResult(await ask(.authenticate(method: .pin, value: "1234"), caller: "5559876"),
                     .authenticated(account: expectedAccount))
    }

    // MARK: credit-check

    func testCreditCheckComputesMaximumDurationFromFreeBalance() async throws {
        // 1.2345 at 0.0600/min, 60/60: 20 minutes cost 1.2000, 21 cost 1.2600 → 1200 s.
        assertResult(await ask(.creditCheck(destination: "4930123456"), login: "4711"),
                       .credit(.ok(maxDurationSeconds: 1200, ratePerMinute: Decimal(string: "0.06")!)))
        // 0.0100 fee + 0.0125/min by the second: t s cost 0.0100 + 0.0125·t/60 ≤ 1.2345
        // → t ≤ 5877.6 → 5877 s (5877 s cost 0.0100 + 1.224375 → 1.2344 rounded).
        assertResult(await ask(.creditCheck(destination: "447700900123"), login: "4711"),
                       .credit(.ok(maxDurationSeconds: 5877, ratePerMinute: Decimal(string: "0.0125")!)))
    }

    func testOpenReservationsReduceTheCreditAndNoneLeftIsInsufficient() async throws {
        let id = try XCTUnwrap(try store.account(login: "4711")?.id)
        // Another call holds 1.2000: 0.0345 left pays no whole Germany minute (0.0600).
        _ = try store.reserve(account: id, amount: eur("1.2000"), maxDurationSeconds: nil, call: Store.CallContext(), at: clock)
        assertResult(await ask(.creditCheck(destination: "4930123456"), login: "4711"), .credit(.insufficient))
    }

    func testTheCallsOwnAccessLegReservationCountsAsAvailableWithTheAccessLegRunning() async throws {
        let id = try XCTUnwrap(try store.account(login: "4711")?.id)
        let reservation = try XCTUnwrap(try store.reserve(account: id, amount: eur("1.2000"), maxDurationSeconds: 3600,
                                                          call: Store.CallContext(), at: clock).reservation)
        let accessLeg = AccessLegReservation(reservationID: reservation.id!, amount: reservation.amount,
                                             answeredAt: clock.addingTimeInterval(-30), accessNumber: "1000")
        // Available 1.2345. A leg (0.0200/min, 1/1) already up 30 s, B leg Germany 60/60:
        // t = 900: A 930 s = 0.3100, B 15 min = 0.9000 → 1.2100 ≤ 1.2345;
        // t = 901: B 16 min = 0.9600 → too much. So 900 s.
        assertResult(await ask(.creditCheck(destination: "4930123456"), login: "4711", accessLeg: accessLeg),
                       .credit(.ok(maxDurationSeconds: 900, ratePerMinute: Decimal(string: "0.06")!)))
    }

    func testUnratedDestinationIsBlocked() async throws {
        assertResult(await ask(.creditCheck(destination: "3312345678"), login: "4711"), .credit(.blocked))
    }

    func testAPrefixTheAccountsPlanBlocksIsBlockedThoughRated() async throws {
        try store.importRates(plan: "std", currency: "EUR", chargesALeg: true, rates: [
            try rate("49", "0.0600", fee: "0", 60, 60), try rate("1000", "0.0200", fee: "0", 1, 1),
        ], blockedPrefixes: ["49900"], at: clock.addingTimeInterval(1))
        assertResult(await ask(.creditCheck(destination: "4990012345"), login: "4711"), .credit(.blocked))
        assertResult(await ask(.creditCheck(destination: "4930123456"), login: "4711"),
                     .credit(.ok(maxDurationSeconds: 1200, ratePerMinute: Decimal(string: "0.06")!)))
    }

    func testCreditCheckWithoutBoundAccountFails() async throws {
        guard case .failed(let reason) = await ask(.creditCheck(destination: "4930123456")) else {
            return XCTFail("expected failure")
        }
        XCTAssertTrue(reason.contains("authenticate first"), reason)
    }

    // MARK: balance, remember-caller, call control

    func testBalanceIsExact() async throws {
        assertResult(await ask(.balance, login: "4711"), .balance(amount: Decimal(string: "1.2345")!, currency: "EUR"))
        let id = try XCTUnwrap(try store.account(login: "4711")?.id)
        _ = try store.debit(account: id, amount: eur("0.0001"), note: nil, at: clock)
        assertResult(await ask(.balance, login: "4711"), .balance(amount: Decimal(string: "1.2344")!, currency: "EUR"))
    }

    func testRememberCallerAuthorisesANIForNextTime() async throws {
        assertResult(await ask(.rememberCaller(callerID: "5559876"), login: "4711"), .done)
        XCTAssertEqual(try store.account(callerID: "5559876")?.login, "4711")
        assertResult(await ask(.authenticate(method: .ani, value: "5559876")), .authenticated(account: expectedAccount))
        // Again is harmless; another account's number is refused with the reason.
        assertResult(await ask(.rememberCaller(callerID: "5559876"), login: "4711"), .done)
        _ = try store.createAccount(NewAccount(login: "other", password: "x", sipRealm: "test", initialBalance: eur("0")),
                                    at: clock)
        guard case .failed(let reason) = await ask(.rememberCaller(callerID: "5559876"), login: "other") else {
            return XCTFail("a caller ID belongs to one account")
        }
        XCTAssertTrue(reason.contains("already authorised for 4711"), reason)
    }

    /// Dials and callbacks belong to call control (DialPlan, CallbackScheduler): one that
    /// reaches the accounts desk is misrouted and refused, never placed or queued here.
    func testDialAndCallbackAreRefusedAsMisroutedByTheAccountsDesk() async throws {
        for request in [ServiceRequest.dial(DialRequest(to: ["4930123456"])), .scheduleCallback(CallbackRequest(to: "4930123456"))] {
            guard case .failed(let reason) = await ask(request, login: "4711") else { return XCTFail("\(request)") }
            XCTAssertTrue(reason.hasSuffix("is handled by call control, not by the accounts desk"), reason)
        }
        XCTAssertEqual(try store.callbackRequests(states: CallbackRequest.State.allCases).count, 0)
    }
}
