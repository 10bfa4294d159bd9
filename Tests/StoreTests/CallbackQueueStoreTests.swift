import Foundation
import GRDB
import XCTest
@testable import Store

/// The callback queue's states, idempotency, per-account counts and restart recovery,
/// on real SQLite (in memory, or a file reopened as a restart would).
final class CallbackQueueStoreTests: StoreBackendTestCase {
    private func request(_ number: String = "33612345678", key: String? = nil, account: Int64? = nil,
                         due: TimeInterval = 3) -> NewCallbackRequest {
        NewCallbackRequest(sourceKey: key, accountID: account, campaign: "ani-callback", trigger: .sipANI,
                           originNumber: number, destinations: [], callerID: "1001", accessNumber: "1001",
                           notBefore: at(due))
    }

    func testACallbackGoesThroughTheStatesOfItsCall() throws {
        try onEachBackend { store in
            let id = try store.enqueueCallback(request(), at: at(0)).id!
            let claimed = try XCTUnwrap(store.claimNextCallback(worker: "w", at: at(3)))
            XCTAssertEqual(claimed.state, .callingA)
            XCTAssertEqual(claimed.claimedBy, "w")
            for state in [CallbackRequest.State.aAnswered, .callingB, .connected, .aAnswered, .callingB, .aAnswered] {
                XCTAssertEqual(try store.advanceCallback(id: id, to: state, error: nil, at: at(10)).state, state)
            }
            try store.completeCallback(id: id, at: at(60))
            let done = try XCTUnwrap(store.callbackRequest(id: id))
            XCTAssertEqual(done.state, .completed)
            XCTAssertEqual(done.updatedAt, at(60))
            XCTAssertEqual(done.attempts, 1)
        }
    }

    func testTransitionsOutsideTheTableAreRefused() throws {
        try onEachBackend { store in
            let id = try store.enqueueCallback(request(), at: at(0)).id!
            XCTAssertThrowsError(try store.advanceCallback(id: id, to: .connected, error: nil, at: at(1))) {
                XCTAssertEqual($0 as? StoreError, .invalidCallbackTransition(id: id, from: .queued, to: .connected))
            }
            _ = try store.claimNextCallback(worker: "w", at: at(3))
            try store.advanceCallback(id: id, to: .aAnswered, error: nil, at: at(4))
            // Once answered, never back to the queue: the script may have run, a forward been billed.
            XCTAssertThrowsError(try store.failCallback(id: id, error: "busy", retryAt: at(30), at: at(5))) {
                XCTAssertEqual($0 as? StoreError, .invalidCallbackTransition(id: id, from: .aAnswered, to: .queued))
            }
            XCTAssertThrowsError(try store.cancelCallback(id: id, at: at(5)))
            try store.failCallback(id: id, error: "B leg failed", retryAt: nil, at: at(6))
            XCTAssertEqual(try store.callbackRequest(id: id)?.state, .failed)
            XCTAssertEqual(try store.callbackRequest(id: id)?.lastError, "B leg failed")
            for state in CallbackRequest.State.allCases {
                XCTAssertThrowsError(try store.advanceCallback(id: id, to: state, error: nil, at: at(7)), "failed is final")
            }
            XCTAssertThrowsError(try store.advanceCallback(id: 999, to: .callingA, error: nil, at: at(7))) {
                XCTAssertEqual($0 as? StoreError, .unknownCallbackRequest(999))
            }
        }
    }

    func testEveryStateHasItsSuccessorsAndFinalStatesNone() {
        for state in CallbackRequest.State.terminal {
            XCTAssertTrue(state.successors.isEmpty, "\(state)")
        }
        for state in CallbackRequest.State.allCases where state != .queued && state != .callingA {
            XCTAssertFalse(state.successors.contains(.queued), "\(state) must never be called again")
        }
        XCTAssertEqual(Set(CallbackRequest.State.allCases.map(\.rawValue)),
                       ["queued", "calling-a", "a-answered", "calling-b", "connected", "completed", "failed", "cancelled"])
    }

    func testBusyRetryGoesBackToTheQueueAndIsDueAfterTheBackoff() throws {
        try onEachBackend { store in
            let id = try store.enqueueCallback(request(), at: at(0)).id!
            _ = try XCTUnwrap(store.claimNextCallback(worker: "w", at: at(3)))
            try store.failCallback(id: id, error: "busy: 486", retryAt: at(33), at: at(4))
            XCTAssertEqual(try store.nextCallbackDue(), at(33))
            XCTAssertNil(try store.claimNextCallback(worker: "w", at: at(32)))
            let again = try XCTUnwrap(store.claimNextCallback(worker: "w", at: at(33)))
            XCTAssertEqual(again.attempts, 2)
            XCTAssertEqual(again.lastError, "busy: 486")
            XCTAssertNil(try store.nextCallbackDue(), "nothing else queued")
        }
    }

    func testPostponingGivesTheAttemptBack() throws {
        try onEachBackend { store in
            let id = try store.enqueueCallback(request(), at: at(0)).id!
            _ = try store.claimNextCallback(worker: "w", at: at(3))
            try store.postponeCallback(id: id, until: at(8), reason: "limit", at: at(3))
            let queued = try XCTUnwrap(store.callbackRequest(id: id))
            XCTAssertEqual(queued.state, .queued)
            XCTAssertEqual(queued.attempts, 0)
            XCTAssertEqual(queued.notBefore, at(8))
            XCTAssertNil(queued.claimedBy)
        }
    }

    func testARepeatedTriggerWithinTheWindowIsTheSameRequestAndLaterANewOne() throws {
        try onEachBackend { store in
            let first = try store.enqueueCallback(request(key: "ani:1001:336"), idempotencyWindow: 60, at: at(0))
            XCTAssertEqual(try store.enqueueCallback(request(key: "ani:1001:336"), idempotencyWindow: 60, at: at(10)).id, first.id)
            _ = try store.claimNextCallback(worker: "w", at: at(3))
            try store.advanceCallback(id: first.id!, to: .aAnswered, error: nil, at: at(20))
            // In progress: the same request, even outside the window.
            XCTAssertEqual(try store.enqueueCallback(request(key: "ani:1001:336"), idempotencyWindow: 60, at: at(90)).id, first.id)
            try store.completeCallback(id: first.id!, at: at(100))
            let second = try store.enqueueCallback(request(key: "ani:1001:336"), idempotencyWindow: 60, at: at(120))
            XCTAssertNotEqual(second.id, first.id, "after the window and the end of the first, a new callback")
            XCTAssertEqual(second.state, .queued)
            XCTAssertEqual(try store.callbackRequest(id: first.id!)?.sourceKey, "ani:1001:336#\(first.id!)")
            XCTAssertEqual(try store.callbackRequest(id: first.id!)?.state, .completed)
            // Without a window (spool lines) a key is forever.
            let spooled = try store.enqueueCallback(request(key: "spool:x:0"), at: at(0))
            try store.cancelCallback(id: spooled.id!, at: at(1))
            XCTAssertEqual(try store.enqueueCallback(request(key: "spool:x:0"), at: at(10_000)).id, spooled.id)
        }
    }

    func testPerAccountCounts() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5").id!
            let bob = try store.makeAccount("bob", balance: "5").id!
            var ids: [Int64] = []
            for second in [0, 100, 3700, 4000] {
                ids.append(try store.enqueueCallback(request(account: alice, due: 0), at: at(TimeInterval(second))).id!)
            }
            _ = try store.enqueueCallback(request(account: bob, due: 0), at: at(4000))
            _ = try store.claimNextCallback(worker: "w", at: at(4001))   // alice's first
            _ = try store.claimNextCallback(worker: "w", at: at(4001))   // alice's second
            try store.advanceCallback(id: ids[1], to: .aAnswered, error: nil, at: at(4002))
            let counts = try store.callbackCounts(account: alice, since: at(4000 - 3600))
            XCTAssertEqual(counts, CallbackCounts(active: 2, recent: 2))
            XCTAssertEqual(try store.callbacksCreated(account: alice, before: ids[3], since: at(4000 - 3600)), 1)
            XCTAssertEqual(try store.callbacksCreated(account: alice, before: ids[2], since: at(3700 - 3600)), 1)
            XCTAssertEqual(try store.callbacksCreated(account: alice, before: ids[0], since: at(-3600)), 0)
            XCTAssertEqual(try store.callbackCounts(account: bob, since: at(0)), CallbackCounts(active: 0, recent: 1))
        }
    }

    func testOpenUnauthenticatedRequestsAreCountedQueuedOrInProgressOnly() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "5").id!
            let alices = try store.enqueueCallback(request(account: alice, due: 0), at: at(0)).id!
            var house: [Int64] = []
            for number in ["33600000001", "33600000002", "33600000003", "33600000004"] {
                house.append(try store.enqueueCallback(request(number, due: 0), at: at(0)).id!)
            }
            XCTAssertEqual(try store.openUnauthenticatedCallbackCount(), 4, "alice's request is not counted")
            var claimed = 0
            while try store.claimNextCallback(worker: "w", at: at(1)) != nil { claimed += 1 }
            XCTAssertEqual(claimed, 5)
            XCTAssertEqual(try store.openUnauthenticatedCallbackCount(), 4, "being called: still open")
            try store.advanceCallback(id: house[0], to: .aAnswered, error: nil, at: at(2))
            try store.advanceCallback(id: house[3], to: .failed, error: "busy", at: at(2))
            XCTAssertEqual(try store.openUnauthenticatedCallbackCount(), 3, "answered is open, failed is not")
            let head = try store.callbackRequestPage(states: [.queued] + CallbackRequest.State.active, limit: 2)
            XCTAssertEqual(head.total, 4)
            XCTAssertEqual(head.items.map(\.id), [alices, house[0]], "the first two by id")
            XCTAssertEqual(try store.callbackRequestPage(states: [.failed], limit: 10).items.map(\.id), [house[3]])
        }
    }

    /// A restart with requests in every state: queued ones stay (due when they were), one
    /// being called goes back to the queue, answered ones fail "interrupted"; nothing is
    /// placed twice and a second start changes nothing.
    func testRestartRecoveryRequeuesUnansweredAndFailsAnsweredRequests() throws {
        try onEachBackend(restartable: { open in
            var ids: [String: Int64] = [:]
            do {
                let store = try open()
                for name in ["calling", "answered", "connected", "done"] {
                    ids[name] = try store.enqueueCallback(request(name, due: 1), at: at(0)).id!
                    _ = try store.claimNextCallback(worker: "node-1", at: at(2))
                }
                ids["later"] = try store.enqueueCallback(request("later", due: 500), at: at(0)).id!
                try store.advanceCallback(id: ids["answered"]!, to: .aAnswered, error: nil, at: at(3))
                for state in [CallbackRequest.State.aAnswered, .callingB, .connected] {
                    try store.advanceCallback(id: ids["connected"]!, to: state, error: nil, at: at(3))
                }
                try store.advanceCallback(id: ids["done"]!, to: .aAnswered, error: nil, at: at(3))
                try store.completeCallback(id: ids["done"]!, at: at(4))
            }  // the process dies
            let store = try open()
            let recovery = try store.recoverInterruptedCallbacks(worker: nil, at: at(100))
            XCTAssertEqual(recovery, CallbackRecovery(requeued: [ids["calling"]!], interrupted: [ids["answered"]!, ids["connected"]!]))
            XCTAssertEqual(try store.callbackRequest(id: ids["calling"]!)?.state, .queued)
            XCTAssertEqual(try store.callbackRequest(id: ids["answered"]!)?.state, .failed)
            XCTAssertTrue(try store.callbackRequest(id: ids["connected"]!)?.lastError?.hasPrefix("interrupted") ?? false)
            XCTAssertEqual(try store.callbackRequest(id: ids["done"]!)?.state, .completed)
            XCTAssertEqual(try store.callbackRequest(id: ids["later"]!)?.notBefore, at(500), "a queued request keeps its time")
            XCTAssertEqual(try store.recoverInterruptedCallbacks(worker: nil, at: at(101)), CallbackRecovery(requeued: [], interrupted: []))
            let placed = try XCTUnwrap(store.claimNextCallback(worker: "node-1", at: at(101)))
            XCTAssertEqual(placed.id, ids["calling"])
            XCTAssertEqual(placed.attempts, 2)
            XCTAssertNil(try store.claimNextCallback(worker: "node-1", at: at(101)), "the later one is not due yet")
        })
    }

    func testRecoveryOfOneWorkerLeavesAnotherWorkersClaims() throws {
        try onEachBackend { store in
            let mine = try store.enqueueCallback(request("1"), at: at(0)).id!
            let theirs = try store.enqueueCallback(request("2"), at: at(0)).id!
            _ = try store.claimNextCallback(worker: "node-1", at: at(3))
            _ = try store.claimNextCallback(worker: "node-2", at: at(3))
            XCTAssertEqual(try store.recoverInterruptedCallbacks(worker: "node-1", at: at(4)).requeued, [mine])
            XCTAssertEqual(try store.callbackRequest(id: theirs)?.state, .callingA)
        }
    }

    /// Migration "v4 callback states" rebuilds the table and keeps its rows, renaming the old states.
    func testMigrationKeepsRowsAndRenamesOldStates() throws {
        let queue = try DatabaseQueue()
        try StoreMigrations.migrator.migrate(queue, upTo: "v3 PIN lockout")
        try queue.write { db in
            for (id, state) in [(1, "queued"), (2, "claimed"), (3, "done"), (4, "failed"), (5, "cancelled")] {
                try db.execute(sql: """
                    INSERT INTO callbackRequest (id, sourceKey, campaign, trigger, originNumber, destinations, notBefore,
                                                 state, attempts, createdAt, updatedAt)
                    VALUES (?, ?, 'web-callback', 'web', '331', '["441"]', '2026-01-01 12:00:03.000', ?, 1,
                            '2026-01-01 12:00:00.000', '2026-01-01 12:00:00.000')
                    """, arguments: [id, "k\(id)", state])
            }
        }
        let store = try SQLiteStore(writer: queue, passwordHasher: fastHasher)
        XCTAssertTrue(try store.appliedMigrations().contains("v4 callback states"))
        let states = try store.callbackRequests(states: CallbackRequest.State.allCases).map(\.state)
        XCTAssertEqual(states, [.queued, .callingA, .completed, .failed, .cancelled])
        let first = try XCTUnwrap(store.callbackRequest(id: 1))
        XCTAssertEqual(first.destinations, ["441"])
        XCTAssertEqual(first.notBefore, at(3))
        XCTAssertNil(first.accessNumber)
        // The key is still unique, and the new columns take values.
        XCTAssertEqual(try store.enqueueCallback(request(key: "k1"), at: at(5)).id, 1)
        let new = try store.enqueueCallback(NewCallbackRequest(
            accountID: nil, campaign: "c", trigger: .sipDID, originNumber: "49301", destinations: [], accessNumber: "4930555",
            script: "calling-card", node: "main-menu", notBefore: at(5)), at: at(5))
        XCTAssertEqual(try store.callbackRequest(id: new.id!)?.node, "main-menu")
        XCTAssertEqual(try store.callbackRequest(id: new.id!)?.accessNumber, "4930555")
    }
}

final class CallbackBatchClaimTests: StoreBackendTestCase {
    func testABatchClaimTakesTheDueRequestsOldestFirstUpToTheLimit() throws {
        try onEachBackend { store in
            var ids: [Int64] = []
            for (index, due) in [5.0, 1, 3, 2, 100].enumerated() {
                ids.append(try store.enqueueCallback(NewCallbackRequest(
                    accountID: nil, campaign: "c", trigger: .web, originNumber: "\(index)", destinations: [],
                    notBefore: at(due)), at: at(0)).id!)
            }
            let first = try store.claimDueCallbacks(worker: "w", limit: 2, at: at(10))
            XCTAssertEqual(first.map(\.id), [ids[1], ids[3]])
            XCTAssertTrue(first.allSatisfy { $0.state == .callingA && $0.attempts == 1 && $0.claimedBy == "w" })
            XCTAssertEqual(try store.claimDueCallbacks(worker: "w", limit: 10, at: at(10)).map(\.id), [ids[2], ids[0]])
            XCTAssertEqual(try store.claimDueCallbacks(worker: "w", limit: 10, at: at(10)), [], "the last is not due")
            XCTAssertEqual(try store.claimDueCallbacks(worker: "w", limit: 0, at: at(100)), [])
            XCTAssertEqual(try store.callbackRequests(states: [.callingA]).count, 4)
        }
    }
}
