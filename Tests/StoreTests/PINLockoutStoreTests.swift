import Foundation
import XCTest
@testable import Store

/// PIN failures counted per caller ID and per account within a period (migration
/// "v3 PIN lockout").
final class PINLockoutStoreTests: StoreBackendTestCase {
    func testFailuresAreCountedPerCallerIDAndPerAccountWithinThePeriod() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5", pin: "1234")
            let bob = try store.makeAccount("bob", balance: "5", pin: "5678")
            try store.recordPINFailure(callerID: "4930111", account: nil, at: at(0))
            try store.recordPINFailure(callerID: "4930111", account: alice.id, at: at(10))
            try store.recordPINFailure(callerID: "4930222", account: alice.id, at: at(20))
            try store.recordPINFailure(callerID: nil, account: bob.id, at: at(30))
            try store.recordPINFailure(callerID: nil, account: nil, at: at(40))   // nothing to count against: ignored

            XCTAssertEqual(try store.pinFailureCounts(callerID: "4930111", account: alice.id, since: at(0)),
                           PINFailureCounts(callerID: 2, account: 2, global: 4))
            XCTAssertEqual(try store.pinFailureCounts(callerID: "4930111", account: alice.id, since: at(5)),
                           PINFailureCounts(callerID: 1, account: 2, global: 3), "failures before the period do not count")
            XCTAssertEqual(try store.pinFailureCounts(callerID: "4930333", account: bob.id, since: at(0)),
                           PINFailureCounts(callerID: 0, account: 1, global: 4))
            XCTAssertEqual(try store.pinFailureCounts(callerID: nil, account: nil, since: at(0)),
                           PINFailureCounts(callerID: 0, account: 0, global: 4))

            try store.clearPINFailures(callerID: "4930111", account: alice.id)
            XCTAssertEqual(try store.pinFailureCounts(callerID: "4930111", account: alice.id, since: at(0)),
                           PINFailureCounts(callerID: 0, account: 0, global: 1))
            XCTAssertEqual(try store.pinFailureCounts(callerID: nil, account: bob.id, since: at(0)).account, 1)
            XCTAssertEqual(try store.prunePINFailures(before: at(31)), 1)
            XCTAssertEqual(try store.pinFailureCounts(callerID: nil, account: bob.id, since: at(0)).account, 0)
        }
    }

    func testFailuresSurviveReopeningTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
            try store.recordPINFailure(callerID: "4930111", account: nil, at: at(0))
        }
        let reopened = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        XCTAssertEqual(try reopened.pinFailureCounts(callerID: "4930111", account: nil, since: at(0)).callerID, 1)
    }
}
