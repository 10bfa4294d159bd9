import Foundation
import Logging
import Store
@testable import Switchboard
import XCTest

/// The node heartbeat: renew first (at start, before anything is recovered), then on each
/// beat renew and only then take over expired nodes; a failed renewal takes nothing over
/// and asks for a quick retry.
final class NodeHeartbeatTests: XCTestCase {
    /// Records what the heartbeat asked of the store, in order.
    final class RecordingLeases: NodeLeaseStore, @unchecked Sendable {
        let node = "a"
        let lock = NSLock()
        var calls: [String] = []
        var renewalFails = false

        struct Refused: Error {}

        func renewNodeLease(until: Date) throws {
            try lock.withLock {
                calls.append("renew until \(Int(until.timeIntervalSince1970))")
                if renewalFails { throw Refused() }
            }
        }

        func nodeLeases() throws -> [NodeLease] { [] }

        func takeOverExpiredNodes(at now: Date) throws -> NodeTakeover {
            lock.withLock { calls.append("take over at \(Int(now.timeIntervalSince1970))") }
            return NodeTakeover(settlements: [], callbacks: CallbackRecovery(requeued: [], interrupted: []))
        }
    }

    func testStartRenewsAndEachBeatRenewsBeforeItTakesOver() async throws {
        let store = RecordingLeases()
        let heartbeat = NodeHeartbeat(store: store, lease: .seconds(30), now: { Date(timeIntervalSince1970: 1000) },
                                      logger: Logger(label: "test"))
        XCTAssertEqual(heartbeat.interval, .seconds(10), "a third of the lease")
        try heartbeat.start()
        XCTAssertEqual(store.lock.withLock { store.calls }, ["renew until 1030"], "renewed before anything else")
        XCTAssertTrue(heartbeat.beat())
        XCTAssertEqual(store.lock.withLock { store.calls }, ["renew until 1030", "renew until 1030", "take over at 1000"])
        await heartbeat.stop()
    }

    func testAFailedRenewalTakesNothingOverAndAStartWithoutALeaseFails() async throws {
        let store = RecordingLeases()
        store.renewalFails = true
        let heartbeat = NodeHeartbeat(store: store, lease: .seconds(6), now: { Date(timeIntervalSince1970: 50) },
                                      logger: Logger(label: "test"))
        XCTAssertThrowsError(try heartbeat.start(), "no serving without a lease")
        XCTAssertFalse(heartbeat.beat())
        XCTAssertEqual(store.lock.withLock { store.calls }, ["renew until 56", "renew until 56"], "no takeover after a failed renewal")
    }
}
