import Foundation
import XCTest
@testable import Store

/// Every state a callback request passes through is recorded, in order, by the database
/// in the transaction that moves it; the API reads the history and resumes after an id.
final class CallbackEventStoreTests: StoreBackendTestCase {
    private func request(account: Int64?, key: String? = nil) -> NewCallbackRequest {
        NewCallbackRequest(sourceKey: key, accountID: account, campaign: "web-callback", trigger: .api,
                           originNumber: "4930111", destinations: ["4930222"], callerID: "4930222", notBefore: at(0))
    }

    func testEachMoveIsRecordedInOrderWithItsErrorAndAttempt() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5")
            let id = try store.enqueueCallback(request(account: alice.id), at: at(0)).id!
            _ = try store.claimNextCallback(worker: "w", at: at(1))
            try store.failCallback(id: id, error: "busy: 486 Busy Here", retryAt: at(30), at: at(2))
            _ = try store.claimNextCallback(worker: "w", at: at(30))
            try store.advanceCallback(id: id, to: .aAnswered, error: nil, at: at(31))
            try store.advanceCallback(id: id, to: .callingB, error: nil, at: at(32))
            try store.advanceCallback(id: id, to: .connected, error: nil, at: at(33))
            try store.completeCallback(id: id, at: at(90))

            let events = try store.callbackEvents(request: id, after: nil)
            XCTAssertEqual(events.map(\.state), [.queued, .callingA, .queued, .callingA, .aAnswered, .callingB, .connected, .completed])
            XCTAssertEqual(events.map(\.fromState), [nil, .queued, .callingA, .queued, .callingA, .aAnswered, .callingB, .connected])
            XCTAssertEqual(events[2].error, "busy: 486 Busy Here")
            XCTAssertNil(events[4].error, "an unchanged lastError is not repeated")
            XCTAssertEqual(events.map(\.attempt), [0, 1, 1, 2, 2, 2, 2, 2])
            XCTAssertEqual(events.map(\.at), [at(0), at(1), at(2), at(30), at(31), at(32), at(33), at(90)])
            let ids = events.compactMap(\.id)
            XCTAssertEqual(ids, ids.sorted())
            XCTAssertEqual(Set(ids).count, ids.count)

            let resumed = try store.callbackEvents(request: id, after: ids[4])
            XCTAssertEqual(resumed.map(\.state), [.callingB, .connected, .completed])
        }
    }

    func testEventsOfOtherRequestsStayApartAndCancelIsRecorded() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5")
            let first = try store.enqueueCallback(request(account: alice.id), at: at(0)).id!
            let second = try store.enqueueCallback(request(account: alice.id), at: at(1)).id!
            try store.cancelCallback(id: first, at: at(2))
            XCTAssertEqual(try store.callbackEvents(request: first, after: nil).map(\.state), [.queued, .cancelled])
            XCTAssertEqual(try store.callbackEvents(request: second, after: nil).map(\.state), [.queued])
        }
    }

    func testAnAccountsRequestsNewestFirst() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5")
            let bob = try store.makeAccount("bob", balance: "5")
            let a1 = try store.enqueueCallback(request(account: alice.id), at: at(0)).id!
            _ = try store.enqueueCallback(request(account: bob.id), at: at(1))
            let a2 = try store.enqueueCallback(request(account: alice.id), at: at(2)).id!
            XCTAssertEqual(try store.callbackRequests(account: alice.id!, limit: 10).map(\.id), [a2, a1])
            XCTAssertEqual(try store.callbackRequests(account: alice.id!, limit: 1).map(\.id), [a2])
        }
    }

    func testTheSpoolOffsetMovesWithTheRequestItQueued() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5")
            let queued = try store.enqueueCallback(request(account: alice.id), spool: "/spool.txt", offsetAfter: 42, at: at(0))
            XCTAssertEqual(try store.spoolOffset(path: "/spool.txt"), 42)
            XCTAssertEqual(try store.callbackEvents(request: queued.id!, after: nil).map(\.state), [.queued])
        }
    }
}
