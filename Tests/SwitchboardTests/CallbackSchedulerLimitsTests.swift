import Billing
import Foundation
import IVR
import Store
@testable import Switchboard
import XCTest

/// `callback.limits` where every trigger enters: the scheduler holds SIP, API, SMS and
/// script orders to the per-minute counts and the concurrent unauthenticated cap, lets
/// the operator's spool through, counts each refusal by kind, and follows a reload.
final class CallbackSchedulerLimitsTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private let start = Date(timeIntervalSince1970: 1_800_000_000)
    private var store: SQLiteStore!
    private var alice: Account!

    override func setUp() async throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "123456", sipRealm: "r",
                                                   initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777"), at: start)
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: start)
    }

    private func catalog(limits: String) throws -> ScriptCatalog {
        let configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(Self.root.path)/sounds
        campaigns:
          pin-callback: { script: \(Self.root.path)/scripts/pin-callback.yaml }
        access-numbers:
          "1002": { campaign: pin-callback, callback: always }
        callback: { limits: \(limits) }
        """, file: "test.yaml")
        return try ScriptCatalog(configuration: configuration, baseDirectory: Self.root,
                                 promptCatalog: PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds")))
    }

    /// A scheduler whose clock stands still unless the test moves it.
    private func scheduler(_ catalog: ScriptCatalog, clock: ManualClock) -> CallbackScheduler {
        CallbackScheduler(store: store, catalog: catalog, counters: SecurityCounters(), now: { clock.now })
    }

    /// A PIN trigger from an unknown caller (nobody authenticated, no account).
    private func pinTrigger(_ number: String, source: String) -> CallbackScheduler.Order {
        CallbackScheduler.Order(trigger: .sipPIN, account: nil, number: number, numberSource: .network,
                                requester: TriggerRequester(callerID: number, source: source), dialled: "1002",
                                campaign: "pin-callback", idempotencyKey: "sip-pin:\(number):1002")
    }

    private func limitKind(_ block: () throws -> Void) -> TriggerRateLimiter.Kind? {
        do {
            try block()
        } catch CallbackScheduler.ScheduleError.limited(let kind, _) {
            return kind
        } catch {
            XCTFail("refused for another reason: \(error)")
        }
        return nil
    }

    func testRotatingCallerIDsFromOneSourceAreHeldByTheSourceAndCounted() throws {
        let clock = ManualClock(start)
        let scheduler = scheduler(try catalog(limits: "{ per-minute-per-source: 3, per-minute-global: 10, concurrent-unauthenticated: 50 }"),
                                  clock: clock)
        var queued = 0
        var refusals: [TriggerRateLimiter.Kind] = []
        for index in 0..<8 {
            if let kind = limitKind({ _ = try scheduler.schedule(pinTrigger("4990\(index)", source: "198.51.100.7")) }) {
                refusals.append(kind)
            } else {
                queued += 1
            }
        }
        XCTAssertEqual(queued, 3)
        XCTAssertEqual(refusals, Array(repeating: .source, count: 5))
        XCTAssertEqual(try store.callbackRequests(states: [.queued]).count, 3, "nothing queued for a refused trigger")
        XCTAssertEqual(scheduler.counters.triggersLimited(.source), 5)
        XCTAssertEqual(scheduler.counters.triggersLimited(.callerID), 0)
        // A minute later the source may trigger again.
        clock.now = start.addingTimeInterval(61)
        XCTAssertNil(limitKind { _ = try scheduler.schedule(pinTrigger("4990100", source: "198.51.100.7")) })
    }

    func testOpenUnauthenticatedCallbacksAreCappedAuthenticatedOnesAreNot() throws {
        let clock = ManualClock(start)
        let scheduler = scheduler(try catalog(limits: "{ concurrent-unauthenticated: 2 }"), clock: clock)
        let first = try scheduler.schedule(pinTrigger("4990001", source: "192.0.2.1"))
        _ = try scheduler.schedule(pinTrigger("4990002", source: "192.0.2.2"))
        XCTAssertEqual(limitKind { _ = try scheduler.schedule(pinTrigger("4990003", source: "192.0.2.3")) },
                       .concurrentUnauthenticated)
        // An account's own callback (trusted caller ID) is not held by the cap.
        let ani = CallbackScheduler.Order(trigger: .sipANI, account: alice.id, number: "4930111", numberSource: .network,
                                          requester: TriggerRequester(callerID: "4930111", source: "192.0.2.4"),
                                          dialled: "1002", campaign: "pin-callback")
        XCTAssertNil(limitKind { _ = try scheduler.schedule(ani) })
        // One callback ended: room for one more.
        try store.cancelCallback(id: first.request.id!, at: start)
        XCTAssertNil(limitKind { _ = try scheduler.schedule(pinTrigger("4990003", source: "192.0.2.3")) })
        XCTAssertEqual(scheduler.counters.triggersLimited(.concurrentUnauthenticated), 1)
    }

    func testOneCallerAndEveryoneAreHeldWhateverTheTrigger() throws {
        let clock = ManualClock(start)
        let scheduler = scheduler(try catalog(limits: "{ per-minute-per-caller-id: 2, per-minute-global: 4 }"), clock: clock)
        let sms = CallbackScheduler.Order(trigger: .sms, account: alice.id, number: "4930111", numberSource: .network,
                                          requester: TriggerRequester(callerID: "4930111", source: nil),
                                          destinations: ["4989123"], dialled: "4930900", campaign: "pin-callback")
        XCTAssertNil(limitKind { _ = try scheduler.schedule(sms) })
        // The same caller on an access number: its second; then its third is refused.
        var sip = pinTrigger("4930111", source: "192.0.2.9")
        sip.account = alice.id
        XCTAssertNil(limitKind { _ = try scheduler.schedule(sip) })
        XCTAssertEqual(limitKind { _ = try scheduler.schedule(sms) }, .callerID)
        // An API client (no caller ID) fills the global minute.
        let api = CallbackScheduler.Order(trigger: .api, account: alice.id, number: "4930777", numberSource: .requester,
                                          requester: TriggerRequester(callerID: nil, source: "203.0.113.5"),
                                          destinations: ["4989123"], dialled: "", campaign: "pin-callback")
        XCTAssertNil(limitKind { _ = try scheduler.schedule(api) })
        XCTAssertNil(limitKind { _ = try scheduler.schedule(api) })
        XCTAssertEqual(limitKind { _ = try scheduler.schedule(api) }, .global)
        // A script's `callback` verb on a live call spends its caller's budget too.
        var context = IVR.CallContext(caller: "4930555", dnis: "1002")
        context.variables[CallerTrust.sourceVariable] = .string("192.0.2.10")
        XCTAssertEqual(limitKind { _ = try scheduler.schedule(IVR.CallbackRequest(to: "4930555"), context: context) },
                       .global)
        XCTAssertEqual(scheduler.counters.triggersLimited(.global), 2)
        XCTAssertEqual(scheduler.counters.triggersLimited(.callerID), 1)
    }

    func testSpoolLinesAreNeitherCountedNorRefused() throws {
        let clock = ManualClock(start)
        let scheduler = scheduler(try catalog(limits: "{ per-minute-per-caller-id: 1, per-minute-per-source: 1, per-minute-global: 1 }"),
                                  clock: clock)
        for line in 1...5 {
            let order = CallbackScheduler.Order(trigger: .spool, account: alice.id, number: "4930777", numberSource: .requester,
                                                requester: .operatorSpool, destinations: ["49891\(line)"], dialled: "",
                                                campaign: "pin-callback")
            XCTAssertNil(limitKind { _ = try scheduler.schedule(order, spool: .init(path: "/spool", offsetAfter: Int64(line * 10))) })
        }
        XCTAssertNil(limitKind { _ = try scheduler.schedule(pinTrigger("4990001", source: "192.0.2.1")) },
                     "the spool used none of the global minute")
    }

    func testReloadedLimitsHoldFromTheNextTrigger() throws {
        let clock = ManualClock(start)
        let scheduler = scheduler(try catalog(limits: "{ per-minute-per-caller-id: 1 }"), clock: clock)
        _ = try scheduler.schedule(pinTrigger("4990001", source: "192.0.2.1"))
        XCTAssertEqual(limitKind { _ = try scheduler.schedule(pinTrigger("4990001", source: "192.0.2.1")) }, .callerID)
        scheduler.replaceCatalog(try catalog(limits: "{ per-minute-per-caller-id: 3 }"))
        XCTAssertNil(limitKind { _ = try scheduler.schedule(pinTrigger("4990001", source: "192.0.2.1")) })
    }
}

private final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}
