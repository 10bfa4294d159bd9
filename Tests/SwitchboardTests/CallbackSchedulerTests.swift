import Billing
import Foundation
import IVR
import Store
@testable import Switchboard
import XCTest

/// The one way into the callback queue: a script's `callback` verb honours `to`, `delay`,
/// `caller-id`, `script` and `node`; the fraud guard decides by where the number came
/// from; the trigger call's script is run without media to find its `callback` node.
final class CallbackSchedulerTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private let start = Date(timeIntervalSince1970: 1_800_000_000)
    private var store: SQLiteStore!
    private var alice: Account!
    private var catalog: ScriptCatalog!

    override func setUp() async throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "123456", sipRealm: "r",
                                                   initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777", personalDID: "4930500"), at: start)
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: start)
        let configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(Self.root.path)/sounds
        campaigns:
          ani-callback: { script: \(Self.root.path)/scripts/ani-callback.yaml }
          pin-callback: { script: \(Self.root.path)/scripts/pin-callback.yaml }
          did-callback: { script: \(Self.root.path)/scripts/did-callback.yaml }
          calling-card: { script: \(Self.root.path)/scripts/calling-card.yaml }
        access-numbers:
          "1001": { campaign: ani-callback, callback: always, caller-number: "7001" }
          "1002": { campaign: pin-callback, callback: none }
        callback: { delay: 4s, did-campaign: did-callback }
        """, file: "test.yaml")
        catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root,
                                    promptCatalog: PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds")))
    }

    /// A scheduler whose clock moves a second each time it is read, as time passes between calls.
    private func scheduler() -> CallbackScheduler {
        let clock = TestClock(start)
        return CallbackScheduler(store: store, catalog: catalog, now: { clock.tick() })
    }

    private func context(caller: String, dnis: String = "1002", login: String? = "alice") -> IVR.CallContext {
        var context = IVR.CallContext(caller: caller, dnis: dnis)
        context.variables["campaign"] = .string("pin-callback")
        if let login { context.variables["account"] = .record(["login": .string(login)]) }
        return context
    }

    // MARK: - The verb on a live call

    func testTheVerbQueuesItsNumberScriptNodeAndTheConfiguredDelay() throws {
        let verb = IVR.CallbackRequest(to: "4930999", script: "calling-card", node: "main-menu")
        let queued = try scheduler().schedule(verb, context: context(caller: "4930999"))
        XCTAssertTrue(queued.isNew)
        let request = queued.request
        XCTAssertEqual(request.trigger, .script)
        XCTAssertEqual(request.originNumber, "4930999", "the caller's own number")
        XCTAssertEqual(request.accountID, alice.id, "the account the call bound")
        XCTAssertEqual(request.campaign, "pin-callback")
        XCTAssertEqual(request.script, "calling-card")
        XCTAssertEqual(request.node, "main-menu")
        XCTAssertEqual(request.callerID, "1002", "no caller-number: the access number")
        XCTAssertEqual(request.accessNumber, "1002")
        XCTAssertEqual(request.notBefore.timeIntervalSince(request.createdAt), 4, accuracy: 0.001, "callback.delay")
    }

    func testTheVerbsOwnDelayAndCallerIDWin() throws {
        let verb = IVR.CallbackRequest(to: "4930555", toIsLiteral: true, callerID: "4930100", delaySeconds: 1, node: "login")
        let request = try scheduler().schedule(verb, context: context(caller: "4930999", dnis: "1001")).request
        XCTAssertEqual(request.originNumber, "4930555", "a number the script wrote is the operator's choice")
        XCTAssertEqual(request.callerID, "4930100")
        XCTAssertEqual(request.notBefore.timeIntervalSince(request.createdAt), 1, accuracy: 0.001)
    }

    func testANumberFromAVariableMustBeTheAccountsOwn() throws {
        let typed = IVR.CallbackRequest(to: "0900123456", node: "main-menu")
        XCTAssertThrowsError(try scheduler().schedule(typed, context: context(caller: "4930999"))) { error in
            XCTAssertEqual(error as? CallbackScheduler.ScheduleError, .refused(
                "0900123456 is not on the allow-list of account alice (its caller IDs and forward number)"))
        }
        XCTAssertEqual(try store.callbackRequests(states: CallbackRequest.State.allCases).count, 0, "nothing queued")
        for own in ["4930111", "4930777"] {
            let verb = IVR.CallbackRequest(to: own, node: "main-menu")
            XCTAssertEqual(try scheduler().schedule(verb, context: context(caller: "4930999")).request.originNumber, own)
        }
        let anonymous = IVR.CallbackRequest(to: "4930222")
        XCTAssertThrowsError(try scheduler().schedule(anonymous, context: context(caller: "4930999", login: nil)),
                             "no account bound: nothing to check a typed number against")
    }

    func testARepeatWithinTheWindowIsTheSameRequest() throws {
        let scheduler = scheduler()
        let verb = IVR.CallbackRequest(to: "4930999", node: "main-menu")
        let first = try scheduler.schedule(verb, context: context(caller: "4930999"))
        let second = try scheduler.schedule(verb, context: context(caller: "4930999"))
        XCTAssertFalse(second.isNew)
        XCTAssertEqual(first.request.id, second.request.id)
    }

    func testRequesterOrdersAreHeldToTheAllowListAndNeedANumber() throws {
        let order = CallbackScheduler.Order(trigger: .api, account: alice.id, number: "4930666", numberSource: .requester,
                                            requester: TriggerRequester(callerID: nil, source: "192.0.2.1"),
                                            destinations: ["4989123"], dialled: "1001", campaign: "ani-callback")
        XCTAssertThrowsError(try scheduler().schedule(order))
        var empty = order
        empty.number = ""
        XCTAssertThrowsError(try scheduler().schedule(empty)) { error in
            XCTAssertEqual("\(error)", "a api callback names no number to call")
        }
        var own = order
        own.number = "4930111"
        let request = try scheduler().schedule(own).request
        XCTAssertEqual(request.destinations, ["4989123"])
        XCTAssertEqual(request.callerID, "7001", "the access number's caller-number")
    }

    func testTheWorkerIsToldOfNewRequestsOnly() throws {
        let scheduler = scheduler()
        let told = ToldCount()
        scheduler.whenQueued { told.add() }
        let verb = IVR.CallbackRequest(to: "4930999", node: "main-menu")
        _ = try scheduler.schedule(verb, context: context(caller: "4930999"))
        _ = try scheduler.schedule(verb, context: context(caller: "4930999"))
        XCTAssertEqual(told.value, 1)
    }

    // MARK: - The trigger call's script, run without media

    private func entryScript(_ number: String) throws -> ScriptCatalog.Entry {
        try XCTUnwrap(catalog.entry(forAccessNumber: number) ?? catalog.entry(forPersonalDID: number))
    }

    func testTriggerRunFindsTheANICallbackNode() async throws {
        let entry = try entryScript("1001")
        let verb = await TriggerScriptRun.callbackVerb(of: entry.script, library: entry.library,
                                                       context: IVR.CallContext(caller: "4930111", dnis: "1001"),
                                                       answer: { request, _ in .failed(reason: "unexpected \(request)") })
        XCTAssertEqual(verb, IVR.CallbackRequest(to: "4930111", script: "ani-callback", node: "login"))
    }

    func testTriggerRunAuthenticatesTheDIDToReachTheForwardNumber() async throws {
        let entry = try entryScript("4930500")
        var asked: [ServiceRequest] = []
        let verb = await TriggerScriptRun.callbackVerb(
            of: entry.script, library: entry.library, context: IVR.CallContext(caller: "anonymous", dnis: "4930500"),
            answer: { request, _ in
                asked.append(request)
                return .authenticated(account: ["login": .string("alice"), "forward": .string("4930777")])
            })
        XCTAssertEqual(asked, [.authenticate(method: .did, value: "4930500")])
        XCTAssertEqual(verb?.to, "4930777")
        XCTAssertEqual(verb?.script, "calling-card")
        XCTAssertEqual(verb?.node, "balance")
    }

    func testTriggerRunStopsWhereACallerIsNeeded() async throws {
        let card = try XCTUnwrap(catalog.entry(forAccessNumber: "1002"))
        // pin-callback asks for the PIN (a prompt) before its callback node.
        let verb = await TriggerScriptRun.callbackVerb(
            of: card.script, library: card.library, context: IVR.CallContext(caller: "4930999", dnis: "1002"),
            answer: { _, _ in .authenticationFailed })
        XCTAssertNil(verb)
    }
}

private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Date
    init(_ start: Date) { now = start }
    func tick() -> Date { lock.withLock { defer { now += 1 }; return now } }
}

private final class ToldCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
