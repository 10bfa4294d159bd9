import Billing
import Foundation
import Logging
import Store
@testable import Switchboard
import XCTest

/// The worker against a real (in-memory) queue and a dialer that plays scripted outcomes;
/// time is a settable clock, so back-off and limits are checked without waiting for them.
final class CallbackWorkerTests: XCTestCase {
    /// A clock the test moves.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var time: Date
        init(_ time: Date) { self.time = time }
        var now: Date { lock.withLock { time } }
        func advance(_ seconds: TimeInterval) { lock.withLock { time += seconds } }
    }

    /// Plays, for each placed request, the events its `outcome` returns (by attempt).
    final class ScriptedDialer: CallbackDialer, @unchecked Sendable {
        private let lock = NSLock()
        private var placedIDs: [Int64] = []
        private var held: [CallbackLegReporter] = []
        let outcome: @Sendable (Store.CallbackRequest) -> [CallbackLegEvent]?

        /// `outcome` returning nil keeps the leg "in progress" (held) until the test ends it.
        init(outcome: @escaping @Sendable (Store.CallbackRequest) -> [CallbackLegEvent]?) {
            self.outcome = outcome
        }

        var placed: [Int64] { lock.withLock { placedIDs } }

        func placeCallback(_ request: Store.CallbackRequest, events: CallbackLegReporter) {
            lock.withLock { placedIDs.append(request.id!) }
            guard let script = outcome(request) else {
                lock.withLock { held.append(events) }
                return
            }
            for event in script { events.report(event) }
        }

        func endHeldLegs() {
            let legs = lock.withLock { held }
            for leg in legs { leg.report(.ended) }
        }
    }

    private let start = Date(timeIntervalSince1970: 1_767_268_800)
    private var logger: Logger {
        var logger = Logger(label: "callback-worker-test")
        logger.logLevel = .warning
        return logger
    }

    private func request(_ number: String, account: Int64? = nil, due: TimeInterval = 0) -> NewCallbackRequest {
        NewCallbackRequest(accountID: account, campaign: "ani-callback", trigger: .sipANI, originNumber: number,
                           destinations: [], callerID: "1001", accessNumber: "1001",
                           notBefore: start.addingTimeInterval(due))
    }

    private func waitUntil(_ what: String, timeout: TimeInterval = 5, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("timed out waiting until \(what)")
    }

    func testADueRequestIsPlacedAndItsStatesRecordedUntilCompleted() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(start)
        let dialer = ScriptedDialer { _ in [.answered, .callingB, .connected, .bLegEnded, .ended] }
        let worker = CallbackWorker(store: store, dialer: dialer, name: "test", pollInterval: .milliseconds(20),
                                    now: { clock.now }, logger: logger)
        let id = try store.enqueueCallback(request("336"), at: start).id!
        let later = try store.enqueueCallback(request("337", due: 60), at: start).id!
        try await worker.start()
        try waitUntil("the due request completed") { try store.callbackRequest(id: id)?.state == .completed }
        XCTAssertEqual(dialer.placed, [id], "the request due in 60 s waits")
        XCTAssertEqual(try store.callbackRequest(id: later)?.state, .queued)
        clock.advance(60)
        worker.notify()
        try waitUntil("the later request completed") { try store.callbackRequest(id: later)?.state == .completed }
        XCTAssertEqual(dialer.placed, [id, later])
        await worker.stop()
    }

    func testABusyALegIsRetriedAfterTheBackoffThenGivenUpWhenAttemptsRunOut() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(start)
        let dialer = ScriptedDialer { request in
            request.originNumber == "busy-once" && request.attempts >= 2
                ? [.answered, .ended] : [.unanswered(.busy, reason: "486 Busy Here")]
        }
        let worker = CallbackWorker(store: store, dialer: dialer, retry: CallbackRetryPolicy(attempts: 2, backoff: .seconds(30)),
                                    name: "test", pollInterval: .milliseconds(20), now: { clock.now }, logger: logger)
        let once = try store.enqueueCallback(request("busy-once"), at: start).id!
        let always = try store.enqueueCallback(request("busy-always"), at: start).id!
        try await worker.start()
        try waitUntil("both were tried once") { dialer.placed.count == 2 }
        try waitUntil("both are queued again") {
            try store.callbackRequests(states: [.queued]).map(\.id) == [once, always]
        }
        let retry = try XCTUnwrap(store.callbackRequest(id: once))
        XCTAssertEqual(retry.notBefore, start.addingTimeInterval(30), "due after the 30 s back-off")
        XCTAssertEqual(retry.lastError, "busy: 486 Busy Here")
        clock.advance(29)
        worker.notify()
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(dialer.placed.count, 2, "not before the back-off")
        clock.advance(1)
        worker.notify()
        try waitUntil("the second attempt of the first completed") { try store.callbackRequest(id: once)?.state == .completed }
        try waitUntil("the other failed for good") { try store.callbackRequest(id: always)?.state == .failed }
        XCTAssertEqual(try store.callbackRequest(id: once)?.attempts, 2)
        XCTAssertEqual(try store.callbackRequest(id: always)?.lastError, "busy: 486 Busy Here (busy after 2 attempts)")
        XCTAssertEqual(dialer.placed, [once, always, once, always])
        await worker.stop()
    }

    func testANumberTheRequesterChoseMustBeOnTheAccountsAllowList() async throws {
        let store = try SQLiteStore.inMemory()
        let alice = try store.createAccount(NewAccount(login: "alice", password: "p", sipRealm: "r",
                                                       initialBalance: .zero("EUR"), forwardNumber: "4930777"), at: start).id!
        _ = try store.authoriseCallerID("4930555", account: alice, at: start)
        let clock = TestClock(start)
        let dialer = ScriptedDialer { _ in [.answered, .ended] }
        let worker = CallbackWorker(store: store, dialer: dialer,
                                    limits: CallbackLimits(concurrentPerAccount: 10, perHourPerAccount: 100, postponement: .seconds(5)),
                                    name: "test", pollInterval: .milliseconds(20), now: { clock.now }, logger: logger)
        func web(_ number: String, account: Int64?) -> NewCallbackRequest {
            NewCallbackRequest(accountID: account, campaign: "web-callback", trigger: .web, originNumber: number,
                               destinations: ["4989123"], notBefore: start)
        }
        let stranger = try store.enqueueCallback(web("4930999", account: alice), at: start).id!
        let ownPhone = try store.enqueueCallback(web("+4930555", account: alice), at: start).id!
        let forward = try store.enqueueCallback(web("4930777", account: alice), at: start).id!
        let nobody = try store.enqueueCallback(web("4930555", account: nil), at: start).id!
        let ani = try store.enqueueCallback(request("4930999", account: alice), at: start).id!
        try await worker.start()
        try waitUntil("all are decided") {
            try [stranger, ownPhone, forward, nobody, ani].allSatisfy {
                [.failed, .completed].contains(try store.callbackRequest(id: $0)?.state)
            }
        }
        XCTAssertEqual(try store.callbackRequest(id: stranger)?.state, .failed)
        XCTAssertEqual(try store.callbackRequest(id: stranger)?.lastError,
                       "4930999 is not on the allow-list of account alice (its caller IDs and forward number)")
        XCTAssertEqual(try store.callbackRequest(id: nobody)?.lastError,
                       "a web callback to 4930555 has no account to check it against")
        // The network gave the ANI trigger its number: no allow-list applies.
        XCTAssertEqual(Set(dialer.placed), [ownPhone, forward, ani])
        await worker.stop()
    }

    func testAnAccountOverItsConcurrencyLimitWaitsAndOverItsHourlyLimitIsRefused() async throws {
        let store = try SQLiteStore.inMemory()
        let alice = try store.createAccount(NewAccount(login: "alice", password: "p", sipRealm: "r",
                                                       initialBalance: .zero("EUR")), at: start).id!
        let clock = TestClock(start)
        let dialer = ScriptedDialer { _ in nil }   // legs stay up until the test ends them
        let worker = CallbackWorker(store: store, dialer: dialer,
                                    limits: CallbackLimits(concurrentPerAccount: 1, perHourPerAccount: 2, postponement: .seconds(5)),
                                    name: "test", pollInterval: .milliseconds(20), now: { clock.now }, logger: logger)
        let first = try store.enqueueCallback(request("1", account: alice), at: start).id!
        let second = try store.enqueueCallback(request("2", account: alice), at: start).id!
        let third = try store.enqueueCallback(request("3", account: alice), at: start).id!
        try await worker.start()
        try waitUntil("the third is refused") { try store.callbackRequest(id: third)?.state == .failed }
        XCTAssertEqual(try store.callbackRequest(id: third)?.lastError, "limit: 2 callbacks per hour per account")
        try waitUntil("the second is postponed") {
            try store.callbackRequest(id: second)?.notBefore == start.addingTimeInterval(5)
        }
        XCTAssertEqual(dialer.placed, [first])
        XCTAssertEqual(try store.callbackRequest(id: second)?.attempts, 0, "a postponement uses no attempt")
        dialer.endHeldLegs()
        try waitUntil("the first completed") { try store.callbackRequest(id: first)?.state == .completed }
        clock.advance(5)
        worker.notify()
        try waitUntil("the second placed") { dialer.placed == [first, second] }
        await worker.stop()
    }

    func testStartRequeuesARequestLeftBeingCalledAndPlacesItOnce() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(start)
        let id = try store.enqueueCallback(request("336"), at: start).id!
        let answered = try store.enqueueCallback(request("337"), at: start).id!
        _ = try store.claimNextCallback(worker: "dead", at: start)
        _ = try store.claimNextCallback(worker: "dead", at: start)
        try store.advanceCallback(id: answered, to: .aAnswered, error: nil, at: start)
        let dialer = ScriptedDialer { _ in [.answered, .ended] }
        let worker = CallbackWorker(store: store, dialer: dialer, name: "test", pollInterval: .milliseconds(20),
                                    now: { clock.now }, logger: logger)
        let recovery = try await worker.start()
        XCTAssertEqual(recovery, CallbackRecovery(requeued: [id], interrupted: [answered]))
        try waitUntil("the requeued request completed") { try store.callbackRequest(id: id)?.state == .completed }
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(dialer.placed, [id], "placed once; the answered one is never called again")
        XCTAssertEqual(try store.callbackRequest(id: answered)?.state, .failed)
        await worker.stop()
    }
}
