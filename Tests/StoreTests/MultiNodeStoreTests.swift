import Billing
import Foundation
import PostgresNIO
import XCTest
@testable import Store

/// Several nodes on one PostgreSQL database (issue 17): two `PostgresStore`s with their own
/// node ids and connection pools stand for two servers. Money never exceeds an account's
/// credit across them, a queued callback is claimed by exactly one, and a node that dies is
/// taken over when its lease runs out — not before, and without touching a live node's calls.
final class MultiNodeStoreTests: StoreBackendTestCase {
    private func twoNodes(poolSize: Int = 4) throws -> (PostgresStore, PostgresStore) {
        let url = try PostgresTestDatabases.freshDatabase()
        return (try makeNode("node-a", url: url, poolSize: poolSize), try makeNode("node-b", url: url, poolSize: poolSize))
    }

    private func request(_ number: String, key: String? = nil, account: Int64? = nil) -> NewCallbackRequest {
        NewCallbackRequest(sourceKey: key, accountID: account, campaign: "web-callback", trigger: .api,
                           originNumber: number, destinations: ["4930777"], callerID: "1001", notBefore: at(1))
    }

    /// 50 threads, half on each node, reserve 1.00 at once from 20.00: exactly 20 win and 30
    /// are refused, the sum reserved never exceeds the balance; the winners then settle
    /// different real costs in parallel and the ledger equals the balance.
    func testFiftyParallelReservationsFromTwoNodesNeverExceedTheCredit() throws {
        let (nodeA, nodeB) = try twoNodes(poolSize: 8)
        try nodeA.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(nodeA.ratePlan(named: "p"))
        let id = try nodeA.makeAccount("alice", balance: "20", plan: "p").id!
        let won = ReservationsBox()
        let results = ResultsBox()
        runOnThreads(50) { index in
            let store = index.isMultiple(of: 2) ? nodeA : nodeB
            do {
                let outcome = try store.reserve(account: id, amount: eur("1"), maxDurationSeconds: 100,
                                                call: CallContext(trigger: "test"), at: at(0))
                if let reservation = outcome.reservation { won.append(reservation) } else { results.refused() }
            } catch {
                results.failed("\(error)")
            }
        }
        XCTAssertEqual(results.errors, [])
        XCTAssertEqual(won.all.count, 20)
        XCTAssertEqual(results.refusedCount, 30)
        XCTAssertLessThanOrEqual(won.all.reduce(Int64(0)) { $0 + $1.amountMinorUnits }, 200_000)
        XCTAssertEqual(try nodeB.freeBalance(account: id), eur("0"))
        let reservations = won.all
        runOnThreads(reservations.count) { index in
            let store = index.isMultiple(of: 2) ? nodeB : nodeA
            do {
                let reservation = reservations[index]
                let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                    leg: .b, fromNumber: "1", toNumber: "4420", startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
                try store.recordAnswer(leg: leg.id!, at: at(0))
                let settlement = try store.settle(reservation: reservation.id!, endings: [
                    LegEnding(legID: leg.id!, endedAt: at(TimeInterval((index + 1) * 3)), disposition: .answered)], at: at(60))
                results.settled(settlement.charged.minorUnits)
            } catch {
                results.failed("\(error)")
            }
        }
        XCTAssertEqual(results.errors, [])
        XCTAssertEqual(results.settledCount, 20)
        XCTAssertEqual(results.chargedTotal, (1...20).reduce(Int64(0)) { $0 + Int64($1 * 3 * 100) })
        let account = try XCTUnwrap(nodeA.account(id: id))
        XCTAssertEqual(account.balanceMinorUnits, 200_000 - results.chargedTotal)
        XCTAssertEqual(try nodeB.ledger(account: id).reduce(Int64(0)) { $0 + $1.amountMinorUnits }, account.balanceMinorUnits)
        XCTAssertEqual(try nodeA.openReservations(account: id), [])
    }

    /// The dial step's reservation sizes itself to what is free: 50 of them from two nodes on
    /// 10.00 never hold more than the balance, and every refusal is a refusal, not an error.
    func testParallelCallReservationsFromTwoNodesHoldAtMostTheBalance() throws {
        let (nodeA, nodeB) = try twoNodes(poolSize: 8)
        try nodeA.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(nodeA.ratePlan(named: "p"))
        let id = try nodeA.makeAccount("alice", balance: "10", plan: "p").id!
        let won = ReservationsBox()
        let results = ResultsBox()
        runOnThreads(50) { index in
            let store = index.isMultiple(of: 2) ? nodeA : nodeB
            do {
                let outcome = try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "4420", limit: 120,
                                                       call: CallContext(), replacing: nil, at: at(0))
                if let reservation = outcome.reservation { won.append(reservation) } else { results.refused() }
            } catch {
                results.failed("\(error)")
            }
        }
        XCTAssertEqual(results.errors, [])
        // 120 s at 0.01/s = 1.20 each: 8 whole ones (9.60), then one of the 0.40 left (40 s).
        XCTAssertEqual(won.all.map(\.amountMinorUnits).sorted(), [4_000] + Array(repeating: 12_000, count: 8))
        XCTAssertEqual(results.refusedCount, 41)
        XCTAssertEqual(try nodeB.freeBalance(account: id), eur("0"))
    }

    /// 40 due requests, two nodes with three workers each claiming batches at once: every
    /// request is claimed exactly once, by the node recorded on it.
    func testFortyQueuedCallbacksClaimedByTwoNodesAreEachClaimedExactlyOnce() throws {
        let (nodeA, nodeB) = try twoNodes(poolSize: 4)
        for index in 0..<40 { _ = try nodeA.enqueueCallback(request("33\(index)"), at: at(0)) }
        let claims = ClaimsBox()
        runOnThreads(6) { worker in
            let store = worker.isMultiple(of: 2) ? nodeA : nodeB
            while true {
                do {
                    let batch = try store.claimDueCallbacks(worker: "\(store.node)-w\(worker)", limit: 3, at: at(5))
                    if batch.isEmpty { return }
                    claims.add(node: store.node, batch.map { $0.id! })
                } catch {
                    claims.failed("\(error)")
                    return
                }
            }
        }
        XCTAssertEqual(claims.errors, [])
        XCTAssertEqual(claims.ids.count, 40, "no request claimed twice")
        XCTAssertEqual(Set(claims.ids).count, 40, "every request claimed")
        let claimed = try nodeB.callbackRequests(states: [.callingA])
        XCTAssertEqual(claimed.count, 40)
        XCTAssertTrue(claimed.allSatisfy { $0.attempts == 1 })
        XCTAssertEqual(try nodeA.callbackRequests(states: [.queued]), [])
        for (node, ids) in claims.byNode {
            let recorded = try nodeA.read { db in
                try db.query("SELECT DISTINCT claimedNode FROM callbackRequest WHERE id = ANY(\(ids))")
                    .map { try PostgresSession.decode($0, as: String.self) }
            }
            XCTAssertEqual(recorded, [node], "the claim records the node that made it")
        }
    }

    /// The same trigger arriving at both nodes at once queues one request; a key cannot be
    /// queued twice by racing nodes.
    func testASourceKeyQueuesOneRequestAcrossNodes() throws {
        let (nodeA, nodeB) = try twoNodes(poolSize: 4)
        let ids = ClaimsBox()
        let trigger = request("331", key: "api:42")
        runOnThreads(20) { index in
            let store = index.isMultiple(of: 2) ? nodeA : nodeB
            do {
                let queued = try store.enqueueCallback(trigger, idempotencyWindow: 60, at: at(0))
                ids.add(node: store.node, [queued.id!])
            } catch {
                ids.failed("\(error)")
            }
        }
        XCTAssertEqual(ids.errors, [])
        XCTAssertEqual(Set(ids.ids).count, 1)
        XCTAssertEqual(try nodeA.callbackRequests(states: CallbackRequest.State.allCases).count, 1)
    }

    /// Node A holds a call's money and two claimed callbacks, node B its own call and claim.
    /// A stops renewing its lease (it died). B's sweep takes nothing while A's lease runs,
    /// then settles A's reservation from what was recorded, requeues A's unanswered claim and
    /// fails the answered one — and leaves its own call and claim alone.
    func testASurvivorTakesOverADeadNodesMoneyAndClaimsOnlyAfterItsLeaseExpires() throws {
        let (nodeA, nodeB) = try twoNodes()
        try nodeA.renewNodeLease(until: at(30))
        try nodeB.renewNodeLease(until: at(30))
        try nodeA.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(nodeA.ratePlan(named: "p"))
        let alice = try nodeA.makeAccount("alice", balance: "10", plan: "p").id!
        let bob = try nodeA.makeAccount("bob", balance: "10", plan: "p").id!
        let aCall = try openCall(nodeA, plan: plan, account: alice)
        let bCall = try openCall(nodeB, plan: plan, account: bob)
        try nodeA.recordProgress(legs: [aCall.leg], at: at(12))
        let ringing = try nodeA.enqueueCallback(request("331"), at: at(0)).id!
        let answered = try nodeA.enqueueCallback(request("332"), at: at(0)).id!
        let bRequest = try nodeA.enqueueCallback(request("333"), at: at(0)).id!
        XCTAssertEqual(try nodeA.claimDueCallbacks(worker: "worker", limit: 2, at: at(2)).map(\.id), [ringing, answered])
        try nodeA.advanceCallback(id: answered, to: .aAnswered, error: nil, at: at(3))
        XCTAssertEqual(try nodeB.claimNextCallback(worker: "worker", at: at(2))?.id, bRequest)

        // Within A's lease: nothing is taken.
        let early = try nodeB.takeOverExpiredNodes(at: at(20))
        XCTAssertEqual(early, NodeTakeover(settlements: [], callbacks: CallbackRecovery(requeued: [], interrupted: [])))
        XCTAssertEqual(try nodeB.openReservations(account: alice).map(\.id), [aCall.reservation])
        XCTAssertEqual(try nodeB.callbackRequest(id: ringing)?.state, .callingA)

        // B lives on; A's lease runs out at 30.
        try nodeB.renewNodeLease(until: at(100))
        let takeover = try nodeB.takeOverExpiredNodes(at: at(40))
        XCTAssertEqual(takeover.settlements.map(\.reservation.id), [aCall.reservation])
        // Answered at 0, last heartbeat at 12: 12 s at 0.01/s.
        XCTAssertEqual(takeover.settlements.first?.charged, eur("0.12"))
        XCTAssertEqual(takeover.callbacks, CallbackRecovery(requeued: [ringing], interrupted: [answered]))
        XCTAssertEqual(try nodeB.account(id: alice)?.balance, eur("9.88"))
        XCTAssertEqual(try nodeB.openReservations(account: bob).map(\.id), [bCall.reservation], "B's own call goes on")
        XCTAssertEqual(try nodeB.callbackRequest(id: bRequest)?.state, .callingA, "B's own claim stays")
        XCTAssertEqual(try nodeB.callbackRequest(id: answered)?.state, .failed)
        // The requeued request is placed again, once, by the survivor.
        XCTAssertEqual(try nodeB.claimNextCallback(worker: "worker", at: at(41))?.id, ringing)
        // A second sweep finds nothing left.
        XCTAssertEqual(try nodeB.takeOverExpiredNodes(at: at(50)).settlements, [])
        XCTAssertEqual(try nodeA.nodeLeases(), [NodeLease(node: "node-a", leaseUntil: at(30)),
                                                 NodeLease(node: "node-b", leaseUntil: at(100))])
    }

    /// `requeueStaleCallbacks` on a node requeues its own old claims and those of expired
    /// nodes, never a live node's, however old the claim.
    func testRequeueingStaleClaimsSparesALiveNodesClaims() throws {
        let (nodeA, nodeB) = try twoNodes()
        try nodeA.renewNodeLease(until: at(30))
        try nodeB.renewNodeLease(until: at(100))
        let ofA = try nodeA.enqueueCallback(request("341"), at: at(0)).id!
        XCTAssertEqual(try nodeA.claimNextCallback(worker: "switchback@node-a", at: at(2))?.id, ofA)
        let ofB = try nodeA.enqueueCallback(request("342"), at: at(0)).id!
        XCTAssertEqual(try nodeB.claimNextCallback(worker: "switchback@node-b", at: at(2))?.id, ofB)

        XCTAssertEqual(try nodeB.requeueStaleCallbacks(claimedBefore: at(10), at: at(10)), 1, "B's own stale claim only")
        XCTAssertEqual(try nodeB.callbackRequest(id: ofA)?.state, .callingA, "A is alive: its claim is its own")
        XCTAssertEqual(try nodeB.callbackRequest(id: ofB)?.state, .queued)
        XCTAssertEqual(try nodeB.requeueStaleCallbacks(claimedBefore: at(40), at: at(40)), 1, "A's lease ran out at 30")
        XCTAssertEqual(try nodeB.callbackRequest(id: ofA)?.state, .queued)
    }

    /// A node restarting recovers its own open calls and claims (it died with them) and those
    /// of expired nodes, never those of a node within its lease.
    func testARestartRecoversOnlyTheNodesOwnAndExpiredNodesWork() throws {
        let url = try PostgresTestDatabases.freshDatabase()
        let nodeA = try makeNode("node-a", url: url)
        let nodeB = try makeNode("node-b", url: url)
        let nodeC = try makeNode("node-c", url: url)
        try nodeA.renewNodeLease(until: at(100))
        try nodeB.renewNodeLease(until: at(100))
        try nodeC.renewNodeLease(until: at(10))
        try nodeA.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(nodeA.ratePlan(named: "p"))
        let account = try nodeA.makeAccount("alice", balance: "10", plan: "p").id!
        let aCall = try openCall(nodeA, plan: plan, account: account)
        let bCall = try openCall(nodeB, plan: plan, account: account)
        let cCall = try openCall(nodeC, plan: plan, account: account)
        for index in 0..<3 { _ = try nodeA.enqueueCallback(request("33\(index)"), at: at(0)) }
        let aClaim = try XCTUnwrap(nodeA.claimNextCallback(worker: "worker", at: at(2))?.id)
        let bClaim = try XCTUnwrap(nodeB.claimNextCallback(worker: "worker", at: at(2))?.id)
        let cClaim = try XCTUnwrap(nodeC.claimNextCallback(worker: "worker", at: at(2))?.id)

        // Node A restarts (same id) at 50: C's lease is over, B's is not.
        let restarted = try makeNode("node-a", url: url)
        let settled = try restarted.recoverOpenLegs(at: at(50))
        XCTAssertEqual(Set(settled.compactMap(\.reservation.id)), [aCall.reservation, cCall.reservation])
        XCTAssertEqual(try restarted.openReservations(account: account).map(\.id), [bCall.reservation])
        let recovery = try restarted.recoverInterruptedCallbacks(worker: nil, at: at(50))
        XCTAssertEqual(Set(recovery.requeued), [aClaim, cClaim])
        XCTAssertEqual(try restarted.callbackRequest(id: bClaim)?.state, .callingA)
        // B's call settles normally afterwards, charged once.
        let bSettlement = try nodeB.settle(reservation: bCall.reservation, endings: [], at: at(60))
        XCTAssertEqual(bSettlement.reservation.state, .settled)
        let ledger = try nodeB.ledger(account: account)
        XCTAssertEqual(ledger.reduce(Int64(0)) { $0 + $1.amountMinorUnits }, try nodeB.account(id: account)?.balanceMinorUnits)
    }

    /// Opens an answered access-style call: a reservation for 4420 and its answered B leg.
    private func openCall(_ store: PostgresStore, plan: RatePlan, account: Int64) throws -> (reservation: Int64, leg: Int64) {
        let reservation = try XCTUnwrap(store.reserveForCall(
            account: account, plan: plan, aLeg: nil, bNumber: "4420", limit: 60, call: CallContext(), replacing: nil,
            at: at(0)).reservation)
        let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
            leg: .b, fromNumber: "1", toNumber: "4420", startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
        try store.recordAnswer(leg: leg.id!, at: at(0))
        return (reservation.id!, leg.id!)
    }
}

/// Node leases on both backends: a renewal replaces the node's lease.
final class NodeLeaseStoreTests: StoreBackendTestCase {
    func testRenewingALeaseReplacesIt() throws {
        try onEachBackend { store in
            XCTAssertEqual(try store.nodeLeases(), [])
            try store.renewNodeLease(until: at(30))
            try store.renewNodeLease(until: at(60))
            XCTAssertEqual(try store.nodeLeases(), [NodeLease(node: store.node, leaseUntil: at(60))])
        }
    }

    /// The embedded store is one node: its own work is never "another node's".
    func testTheEmbeddedStoresSweepLeavesItsOwnWork() throws {
        try onEachBackend { store in
            try store.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
            let id = try store.makeAccount("alice", balance: "10", plan: "p").id!
            _ = try XCTUnwrap(store.reserve(account: id, amount: eur("1"), maxDurationSeconds: 60, call: CallContext(),
                                            at: at(0)).reservation)
            XCTAssertEqual(try store.takeOverExpiredNodes(at: at(1_000)).settlements, [])
            XCTAssertEqual(try store.openReservations(account: id).count, 1)
        }
    }
}

/// Runs `body(index)` on `count` threads of its own at once, and waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

/// Collects claimed ids from many threads.
final class ClaimsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var ids: [Int64] = []
    private(set) var byNode: [String: [Int64]] = [:]
    private(set) var errors: [String] = []

    func add(node: String, _ claimed: [Int64]) {
        lock.withLock {
            ids += claimed
            byNode[node, default: []] += claimed
        }
    }

    func failed(_ error: String) { lock.withLock { errors.append(error) } }
}
