import Billing
import Foundation
import XCTest
@testable import Store

final class DirectoryStoreTests: StoreBackendTestCase {
    func testCallerIDsBelongToOneAccount() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "0").id!
            let bob = try store.makeAccount("bob", balance: "0").id!
            _ = try store.authoriseCallerID("33612345678", account: alice, at: at(0))
            _ = try store.authoriseCallerID("33612345678", account: alice, at: at(1))  // idempotent
            XCTAssertThrowsError(try store.authoriseCallerID("33612345678", account: bob, at: at(0))) {
                XCTAssertEqual($0 as? StoreError, .callerIDTaken(number: "33612345678", login: "alice"))
            }
            XCTAssertEqual(try store.account(callerID: "33612345678")?.login, "alice")
            XCTAssertNil(try store.account(callerID: "999"))
            XCTAssertEqual(try store.callerIDs(account: alice).map(\.number), ["33612345678"])
            XCTAssertThrowsError(try store.revokeCallerID("33612345678", account: bob))
            try store.revokeCallerID("33612345678", account: alice)
            XCTAssertNil(try store.account(callerID: "33612345678"))
        }
    }

    func testAddressBookSlotsAndNames() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "0").id!
            XCTAssertEqual(try store.addAddressBookEntry(account: alice, slot: nil, name: "Mum", number: "331").slot, 1)
            XCTAssertEqual(try store.addAddressBookEntry(account: alice, slot: 5, name: "Office", number: "332").slot, 5)
            XCTAssertEqual(try store.addAddressBookEntry(account: alice, slot: nil, name: "Bob", number: "333").slot, 2)
            XCTAssertThrowsError(try store.addAddressBookEntry(account: alice, slot: nil, name: "mum", number: "1")) {
                XCTAssertEqual($0 as? StoreError, .addressBookNameTaken("mum"))
            }
            XCTAssertThrowsError(try store.addAddressBookEntry(account: alice, slot: 5, name: "X", number: "1")) {
                XCTAssertEqual($0 as? StoreError, .addressBookSlotTaken(5))
            }
            XCTAssertEqual(try store.addressBookEntry(account: alice, name: "OFFICE")?.number, "332")
            XCTAssertEqual(try store.addressBookEntry(account: alice, slot: 2)?.name, "Bob")
            try store.removeAddressBookEntry(account: alice, slotOrName: "mum")
            try store.removeAddressBookEntry(account: alice, slotOrName: "5")
            XCTAssertThrowsError(try store.removeAddressBookEntry(account: alice, slotOrName: "5"))
            XCTAssertEqual(try store.addressBook(account: alice).map(\.name), ["Bob"])
        }
    }

    func testRateImportReplacesThePlanAndIsAllOrNothing() throws {
        try onEachBackend { store in
            try store.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("33", "0.1"), rate("44", "0.2")], at: at(0))
            XCTAssertEqual(try store.ratePlan(named: "p")?.table.rate(for: "441")?.perMinute, eur("0.2"))
            XCTAssertThrowsError(try store.importRates(plan: "p", currency: "EUR", chargesALeg: false,
                                                       rates: [rate("49", "0.3"), rate("49", "0.4")], at: at(1)))
            XCTAssertEqual(try store.ratePlan(named: "p")?.table.count, 2, "a failed import changes nothing")
            try store.importRates(plan: "p", currency: "EUR", chargesALeg: true, rates: [rate("49", "0.3")], at: at(2))
            let plan = try XCTUnwrap(store.ratePlan(named: "p"))
            XCTAssertEqual(plan.table.count, 1)
            XCTAssertTrue(plan.chargesALeg)
            XCTAssertNil(plan.table.rate(for: "441"))
            XCTAssertNil(try store.ratePlan(named: "nope"))
            XCTAssertEqual(try store.ratePlans().map(\.name), ["p"])
        }
    }

    func testRatePlanSeenByAnotherConnectionAfterImport() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        let cli = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        try cli.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("33", "0.1")], at: at(0))
        XCTAssertEqual(try server.ratePlan(named: "p")?.table.count, 1)
        try cli.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("33", "0.1"), rate("34", "0.1")], at: at(1))
        XCTAssertEqual(try server.ratePlan(named: "p")?.table.count, 2, "the server's cache notices the new import")
    }

    func testCallbackQueueIsDurableAndIdempotent() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let request = NewCallbackRequest(sourceKey: "spool:/var/spool/tx:0", accountID: nil, campaign: "web-callback",
                                         trigger: .spool, originNumber: "331", destinations: ["441", "442"], notBefore: at(3))
        let queuedID: Int64
        do {
            let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
            let queued = try store.enqueueCallback(request, spool: "/var/spool/tx", offsetAfter: 57, at: at(0))
            XCTAssertEqual(try store.enqueueCallback(request, spool: "/var/spool/tx", offsetAfter: 57, at: at(0)).id, queued.id)
            XCTAssertEqual(try store.spoolOffset(path: "/var/spool/tx"), 57)
            XCTAssertNil(try store.claimNextCallback(worker: "node-1", at: at(2)), "not due yet")
            let claimed = try XCTUnwrap(store.claimNextCallback(worker: "node-1", at: at(3)))
            XCTAssertEqual(claimed.destinations, ["441", "442"])
            XCTAssertEqual(claimed.attempts, 1)
            XCTAssertNil(try store.claimNextCallback(worker: "node-2", at: at(3)), "claimed once")
            queuedID = queued.id!
        }  // crash while claimed
        let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        XCTAssertEqual(try store.requeueStaleCallbacks(claimedBefore: at(100), at: at(100)), 1)
        let again = try XCTUnwrap(store.claimNextCallback(worker: "node-1", at: at(101)))
        XCTAssertEqual(again.id, queuedID)
        XCTAssertEqual(again.attempts, 2)
        try store.failCallback(id: queuedID, error: "486 Busy Here", retryAt: at(200), at: at(110))
        XCTAssertNil(try store.claimNextCallback(worker: "node-1", at: at(150)))
        _ = try XCTUnwrap(store.claimNextCallback(worker: "node-1", at: at(200)))
        try store.completeCallback(id: queuedID, at: at(260))
        XCTAssertThrowsError(try store.completeCallback(id: queuedID, at: at(261))) {
            XCTAssertEqual($0 as? StoreError, .invalidCallbackTransition(id: queuedID, from: .done, to: .done))
        }
        let done = try XCTUnwrap(store.callbackRequest(id: queuedID))
        XCTAssertEqual(done.state, .done)
        XCTAssertEqual(done.lastError, "486 Busy Here")
        XCTAssertEqual(try store.callbackRequests(states: [.queued, .claimed]), [])
        try store.setSpoolOffset(120, path: "/var/spool/tx", at: at(300))
        XCTAssertEqual(try store.spoolOffset(path: "/var/spool/tx"), 120)
        XCTAssertEqual(try store.spoolOffset(path: "/other"), 0)
    }
}

final class UnbilledLegTests: StoreBackendTestCase {
    func testUnbilledLegsAppearInCDRsWithoutMovingMoney() throws {
        try onEachBackend { store in
            let id = try store.makeAccount("alice", balance: "3").id!
            let leg = try store.recordUnbilledLeg(UnbilledCallLeg(
                accountID: id, campaign: "ani-callback", trigger: "sip-ani", leg: .a, fromNumber: "33612345678", toNumber: "1001",
                startedAt: at(0), endedAt: at(2), disposition: .busy, sipCause: 486))
            XCTAssertFalse(leg.isOpen)
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.sipCause), [486])
            XCTAssertEqual(try store.account(id: id)?.balance, eur("3"))
            if let billing = store as? any BillingStore {
                XCTAssertEqual(try billing.recoverOpenLegs(at: at(10)), [])
            }
            let anonymous = try store.recordUnbilledLeg(UnbilledCallLeg(
                accountID: nil, campaign: nil, trigger: "sip-ani", leg: .a, fromNumber: "999", toNumber: "1001",
                startedAt: at(5), endedAt: at(6), disposition: .failed, sipCause: 403))
            XCTAssertNil(anonymous.accountID)
            XCTAssertEqual(try store.callLegs(since: at(3), account: nil).count, 1)
        }
    }
}
