import Foundation
import Store
@testable import Switchboard
import Synchronization
import XCTest

/// The outbox: a reply the gateway refuses stays pending and is tried again with growing
/// back-off; nothing is lost while the gateway is down; attempts run out at last.
final class SMSReplyDispatcherTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A gateway that is down until told otherwise, and records what it accepted.
    final class FakeGateway: SMSGatewayClient {
        let up = Mutex(false)
        let accepted = Mutex<[String]>([])
        struct Down: Error {}
        func send(_ sms: OutboundSMS) async throws {
            guard up.withLock({ $0 }) else { throw Down() }
            accepted.withLock { $0.append("\(sms.recipient): \(sms.text)") }
        }
    }

    func testRetryDelaysDoubleUpToTheCapThenGiveUp() {
        let policy = SMSReplyRetryPolicy(attempts: 6, backoff: .seconds(2), maxBackoff: .seconds(10))
        let table: [(Int, Duration?)] = [(1, .seconds(2)), (2, .seconds(4)), (3, .seconds(8)), (4, .seconds(10)),
                                         (5, .seconds(10)), (6, nil), (7, nil)]
        for (failed, expected) in table {
            XCTAssertEqual(policy.delay(afterFailedAttempts: failed), expected, "after \(failed) failures")
        }
    }

    func testARefusedReplyIsKeptAndSentOnceTheGatewayIsBack() async throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let gateway = FakeGateway()
        let now = Mutex(start)
        let dispatcher = SMSReplyDispatcher(store: store, client: gateway,
                                            retry: SMSReplyRetryPolicy(attempts: 5, backoff: .seconds(2), maxBackoff: .seconds(60)),
                                            now: { now.withLock { $0 } })
        let queued = try store.enqueueSMS(gateway: "kannel", sender: "5550100", recipient: "4930111", text: "Accepted",
                                          account: nil, at: start)
        let sent = await dispatcher.sendDue()
        XCTAssertEqual(sent, 0)
        var row = try XCTUnwrap(try store.outboundSMS(id: queued.id!))
        XCTAssertEqual(row.state, .pending)
        XCTAssertEqual(row.attempts, 1)
        XCTAssertEqual(row.nextAttemptAt.timeIntervalSince(start), 2, accuracy: 0.001)
        XCTAssertNotNil(row.lastError)

        // Not due yet: nothing is tried.
        now.withLock { $0 = start.addingTimeInterval(1) }
        gateway.up.withLock { $0 = true }
        let early = await dispatcher.sendDue()
        XCTAssertEqual(early, 0)
        now.withLock { $0 = start.addingTimeInterval(2) }
        let late = await dispatcher.sendDue()
        XCTAssertEqual(late, 1)
        row = try XCTUnwrap(try store.outboundSMS(id: queued.id!))
        XCTAssertEqual(row.state, .sent)
        XCTAssertEqual(row.attempts, 2)
        XCTAssertEqual(gateway.accepted.withLock { $0 }, ["4930111: Accepted"])
        let again = await dispatcher.sendDue()
        XCTAssertEqual(again, 0, "a sent reply is not sent twice")
    }

    func testAReplyIsGivenUpAfterItsAttempts() async throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let now = Mutex(start)
        let dispatcher = SMSReplyDispatcher(store: store, client: FakeGateway(),
                                            retry: SMSReplyRetryPolicy(attempts: 3, backoff: .seconds(1), maxBackoff: .seconds(1)),
                                            now: { now.withLock { $0 } })
        let queued = try store.enqueueSMS(gateway: "kannel", sender: "5550100", recipient: "4930111", text: "x",
                                          account: nil, at: start)
        for second in 0..<5 {
            now.withLock { $0 = start.addingTimeInterval(TimeInterval(second)) }
            await dispatcher.sendDue()
        }
        let row = try XCTUnwrap(try store.outboundSMS(id: queued.id!))
        XCTAssertEqual(row.state, .failed)
        XCTAssertEqual(row.attempts, 3)
        XCTAssertNil(try store.nextSMSDue())
    }

    func testRunSendsAReplyAsSoonAsItIsQueued() async throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let gateway = FakeGateway()
        gateway.up.withLock { $0 = true }
        let dispatcher = SMSReplyDispatcher(store: store, client: gateway,
                                            retry: SMSReplyRetryPolicy(attempts: 3, backoff: .seconds(1), maxBackoff: .seconds(1)),
                                            poll: .seconds(30))
        let running = Task { await dispatcher.run() }
        try await Task.sleep(for: .milliseconds(100))
        _ = try store.enqueueSMS(gateway: "kannel", sender: "5550100", recipient: "4930111", text: "hi", account: nil, at: Date())
        dispatcher.notify()
        let deadline = ContinuousClock.now + .seconds(5)
        while gateway.accepted.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        running.cancel()
        await running.value
        XCTAssertEqual(gateway.accepted.withLock { $0 }, ["4930111: hi"], "sent long before the 30 s poll")
    }
}
