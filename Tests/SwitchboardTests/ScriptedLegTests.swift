import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOEmbedded
@testable import Switchboard
import XCTest

/// `ScriptedLeg` without sockets: a fake `CallLegProtocol` records what the script does to the
/// leg, fake services and a fake forward starter answer by hand, and the timers run on an
/// `EmbeddedEventLoop` whose clock the test advances.
final class ScriptedLegTests: XCTestCase {
    static let script = """
        script: leg-test
        language: en
        start: welcome
        nodes:
          welcome:
            do: play
            prompt: welcome
            next: ask
          ask:
            do: collect
            prompt: enter-destination
            digits: 2..4
            terminator: "#"
            timeout: 3s
            attempts: 2
            store: destination
            on: { ok: check, timeout: ask, invalid: ask, exhausted: bye }
          check:
            do: credit-check
            for: $destination
            on: { ok: call, insufficient: bye, blocked: bye }
          call:
            do: dial
            to: $destination
            on: { ended: bye, busy: bye, no-answer: bye, failed: bye, out-of-credit: bye }
          later:
            do: callback
            to: $caller
            delay: 1s
            next: bye
          bye:
            do: hangup
            prompt: goodbye
        """

    // MARK: - The digit path

    func testPromptsDigitsServiceAndForwardInOrder() throws {
        let h = try Harness()
        h.leg.answer()
        XCTAssertEqual(h.leg.played.map(\.names), [["welcome"]], "the script starts once the leg is ready")
        XCTAssertEqual(h.observer.events, ["started"])

        h.leg.finishPlayback()
        XCTAssertEqual(h.leg.played.last?.names, ["enter-destination"])
        h.leg.press("12#", source: .rfc4733)
        XCTAssertEqual(h.services.requests, [.creditCheck(destination: "12")])
        XCTAssertEqual(h.scripted.context["destination"], .string("12"))

        h.services.reply(.credit(.ok(maxDurationSeconds: 600, ratePerMinute: 1)))
        XCTAssertEqual(h.forwards.requests.map(\.to), [["12"]], "dial goes to the forward starter, not the desk")
        XCTAssertEqual(h.observer.events, ["started", "dialing"])

        let session = FakeForward()
        h.forwards.begin(session)
        XCTAssertTrue(session.started)
        h.leg.press("5", source: .sipInfo)
        XCTAssertEqual(session.digits, ["5"], "while forwarded, the leg's digits are the forward's")
        session.connect()
        XCTAssertEqual(h.observer.events, ["started", "dialing", "connected"])

        h.forwards.finish(.busy)
        XCTAssertEqual(h.observer.events, ["started", "dialing", "connected", "forward-ended"])
        XCTAssertEqual(h.leg.played.last?.names, ["goodbye"])
        h.leg.finishPlayback()
        XCTAssertEqual(h.leg.hangups, [.normal])
        XCTAssertEqual(h.scripted.state, .ended)
        XCTAssertEqual(h.observer.events.last, "ended")
        XCTAssertEqual(h.settled, 1)
    }

    func testNothingHappensBeforeTheLegIsReady() throws {
        let h = try Harness()
        h.leg.delegate?.legAnswered(at: Date())
        h.leg.press("1", source: .rfc4733)
        XCTAssertEqual(h.leg.played.count, 0, "answered but no ACK yet: the script waits")
        XCTAssertEqual(h.services.billedCalls, 1, "billing starts at the answer")
        h.leg.delegate?.legReady()
        XCTAssertEqual(h.leg.played.map(\.names), [["welcome"]])
    }

    func testALateFinishOfAReplacedPromptIsIgnored() throws {
        let h = try Harness()
        h.leg.answer()
        let welcome = try XCTUnwrap(h.leg.played.last?.token)
        h.leg.finishPlayback()
        h.leg.delegate?.legPlaybackFinished(welcome)
        XCTAssertEqual(h.leg.played.map(\.names), [["welcome"], ["enter-destination"]])
    }

    // MARK: - Timers

    func testCollectTimeoutsFireFromTheLoopClockAndEndTheCallWhenExhausted() throws {
        let h = try Harness()
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.finishPlayback()   // the collect prompt played; its timer runs
        h.loop.advanceTime(by: .milliseconds(2_900))
        XCTAssertEqual(h.leg.played.count, 2, "not yet")
        h.loop.advanceTime(by: .milliseconds(200))
        XCTAssertEqual(h.leg.played.last?.names, ["enter-destination"], "timeout: asked again")
        h.leg.finishPlayback()
        h.loop.advanceTime(by: .seconds(3))
        XCTAssertEqual(h.leg.played.last?.names, ["goodbye"], "attempts exhausted")
        h.leg.finishPlayback()
        XCTAssertEqual(h.leg.hangups, [.normal])
    }

    func testTimersStopWithTheLeg() throws {
        let h = try Harness()
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.finishPlayback()
        h.leg.hangUpRemotely()
        h.loop.advanceTime(by: .seconds(10))
        XCTAssertEqual(h.leg.played.count, 2)
        XCTAssertEqual(h.leg.hangups, [], "the far end hung up: no hang-up of ours")
    }

    // MARK: - Ending

    func testRemoteHangupDuringAForwardEndsTheForwardAndSettles() throws {
        let h = try Harness()
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.press("12#", source: .inband)
        h.services.reply(.credit(.ok(maxDurationSeconds: 60, ratePerMinute: 1)))
        let session = FakeForward()
        h.forwards.begin(session)
        h.leg.hangUpRemotely()
        XCTAssertTrue(session.aLegGone)
        XCTAssertEqual(h.observer.events.last, "ended")
        XCTAssertEqual(h.settled, 1)
        h.forwards.finish(.ended)
        XCTAssertEqual(h.observer.events.filter { $0 == "forward-ended" }, [], "a forward's end after the leg's is not news")
    }

    func testAServiceAnswerAfterTheEndIsIgnored() throws {
        let h = try Harness()
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.press("12#", source: .rfc4733)
        h.leg.hangUpRemotely()
        h.services.reply(.credit(.ok(maxDurationSeconds: 60, ratePerMinute: 1)))
        XCTAssertEqual(h.forwards.requests.count, 0)
    }

    func testAForwardBegunAfterTheEndIsHungUpAtOnce() throws {
        let h = try Harness()
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.press("12#", source: .rfc4733)
        h.services.reply(.credit(.ok(maxDurationSeconds: 60, ratePerMinute: 1)))
        h.leg.hangUpRemotely()
        let session = FakeForward()
        h.forwards.begin(session)
        XCTAssertFalse(session.started)
        XCTAssertTrue(session.aLegGone)
    }

    func testTheBillingCutHangsUpOutOfCredit() throws {
        let h = try Harness()
        h.leg.answer()
        let cut = try XCTUnwrap(h.services.cut)
        cut("reserved credit used up after 60 s")
        h.loop.run()
        XCTAssertEqual(h.leg.hangups, [.outOfCredit])
        XCTAssertEqual(HangupCause.outOfCredit.q850, 31)
        XCTAssertEqual(h.settled, 1)
    }

    func testAStopFromOutsideHangsUpNormally() throws {
        let h = try Harness()
        h.leg.answer()
        h.scripted.hangUp(cause: .normal, reason: "server stopping")
        XCTAssertEqual(h.leg.hangups, [.normal])
        XCTAssertEqual(h.settled, 1)
        h.scripted.hangUp(cause: .normal, reason: "again")
        XCTAssertEqual(h.leg.hangups, [.normal], "once")
    }

    func testLiveLegsHoldLegsUntilSettledAndHangThemAllUp() throws {
        let live = LiveLegs()
        let a = try Harness(), b = try Harness()
        live.add(a.scripted)
        live.add(b.scripted)
        a.leg.answer()
        b.leg.answer()
        XCTAssertEqual(live.count, 2)
        live.hangUpAll(reason: "stopping")
        XCTAssertEqual(a.leg.hangups + b.leg.hangups, [.normal, .normal])
        XCTAssertEqual(live.count, 0)
        XCTAssertEqual(a.settled + b.settled, 2, "the legs' own settled handlers still run")
    }

    // MARK: - Requests and callbacks

    func testTheCallbackVerbGoesToTheServicesLikeAnyRequest() throws {
        let h = try Harness(startNode: "later")
        h.leg.answer()
        XCTAssertEqual(h.services.requests, [.scheduleCallback(IVR.CallbackRequest(to: "4930123", delaySeconds: 1, script: "leg-test"))])
    }

    func testCallbackProgressIsReportedByTheObserver() async throws {
        let (stream, continuation) = AsyncStream<CallbackLegEvent>.makeStream()
        let h = try Harness(observer: CallbackProgressObserver(events: CallbackLegReporter(continuation)))
        h.leg.answer()
        h.leg.finishPlayback()
        h.leg.press("12#", source: .rfc4733)
        h.services.reply(.credit(.ok(maxDurationSeconds: 60, ratePerMinute: 1)))
        let session = FakeForward()
        h.forwards.begin(session)
        session.connect()
        h.forwards.finish(.ended)
        h.leg.hangUpRemotely()
        var events: [CallbackLegEvent] = []
        for await event in stream { events.append(event) }
        XCTAssertEqual(events, [.answered, .callingB, .connected, .bLegEnded, .ended])
    }

    func testRequestVariablesCarryTheRequest() {
        let value = RequestVariables.record(destinations: ["4930222", "4930333"], callerID: nil, origin: "4930111",
                                            trigger: "web", idempotencyKey: "web-7", id: 42)
        let context = CallContext(variables: ["request": value])
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.destinations")!), .list([.string("4930222"), .string("4930333")]))
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.destination")!), .string("4930222"))
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.caller-id")!), .string("4930111"), "no caller ID asked: the user's number")
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.trigger")!), .string("web"))
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.idempotency-key")!), .string("web-7"))
        XCTAssertEqual(context.value(at: VariablePath(parsing: "request.id")!), .number(42))
    }
}

// MARK: - Fakes

private final class Harness {
    let loop = EmbeddedEventLoop()
    let leg = FakeLeg()
    let services = FakeServices()
    let forwards = FakeForwards()
    let observer: RecordingObserver
    let scripted: ScriptedLeg
    var settled = 0

    init(startNode: String? = nil, observer: (any ScriptedLegObserver)? = nil) throws {
        let script = try ScriptLoader.load(yaml: ScriptedLegTests.script, file: "leg-test.yaml")
        let interpreter = Interpreter(script: script, context: CallContext(caller: "4930123", dnis: "100"))
        let log = CallLogger(base: Logger(label: "scripted-leg-test", factory: { _ in SwiftLogNoOpLogHandler() }), callID: "leg-1")
        let now = Date()
        scripted = ScriptedLeg(leg: leg, interpreter: interpreter, startNode: startNode,
                               billing: .init(call: CallBilling.Call(caller: "4930123", accessNumber: "100", campaign: "test",
                                                                     startedAt: now, answeredAt: now), payer: nil),
                               services: services, forwards: forwards, loop: loop, log: log)
        let recording = RecordingObserver(forwardTo: observer)
        self.observer = recording
        scripted.observer = recording
        scripted.onSettled = { [unowned self] in settled += 1 }
        scripted.start()
    }

    deinit {
        try? loop.syncShutdownGracefully()
    }
}

private final class FakeLeg: CallLegProtocol {
    struct Playback {
        var names: [String]
        var token: UInt64
    }

    var callID = "leg-1"
    var media: MediaSession? { nil }
    weak var delegate: (any CallLegDelegate)?
    var begun = false
    var played: [Playback] = []
    var stops = 0
    var hangups: [HangupCause] = []

    func begin() { begun = true }

    func play(_ prompts: [Prompt], token: UInt64) {
        played.append(Playback(names: prompts.map(\.name), token: token))
    }

    func stopPlayback() { stops += 1 }

    func hangup(cause: HangupCause) { hangups.append(cause) }

    /// An inbound leg's 200 and ACK.
    func answer() {
        XCTAssertTrue(begun)
        delegate?.legAnswered(at: Date())
        delegate?.legReady()
    }

    func finishPlayback() {
        guard let last = played.last else { return XCTFail("nothing plays") }
        delegate?.legPlaybackFinished(last.token)
    }

    func press(_ digits: String, source: DTMFSource) {
        for digit in digits { delegate?.legDigit(digit, source: source) }
    }

    func hangUpRemotely() {
        delegate?.legEnded(.remoteHangup)
    }
}

private final class FakeServices: ScriptedLegServices {
    var requests: [ServiceRequest] = []
    private var replies: [(ServiceResult) -> Void] = []
    var billedCalls = 0
    var cut: (@Sendable (String) -> Void)?

    func answer(_ request: ServiceRequest, context: CallContext, billing: LegBilling?,
                reply: @escaping (ServiceResult) -> Void) {
        requests.append(request)
        replies.append(reply)
    }

    func reply(_ result: ServiceResult) {
        guard !replies.isEmpty else { return XCTFail("no request open") }
        replies.removeFirst()(result)
    }

    func prompt(_ ref: PromptRef) throws -> Prompt {
        Prompt(name: ref.name, language: ref.language, samples: [Int16](repeating: 0, count: 160))
    }

    func billing(for call: CallBilling.Call, log: CallLogger, cut: @escaping @Sendable (String) -> Void) -> LegBilling? {
        billedCalls += 1
        self.cut = cut
        return nil
    }
}

private final class FakeForwards: ForwardStarter {
    var canDial: Bool { true }
    var requests: [DialRequest] = []
    private var began: ((any ForwardSession) -> Void)?
    private var finished: ((DialOutcome) -> Void)?

    func startForward(_ request: DialRequest, context: CallContext, leg: any CallLegProtocol, billing: LegBilling?, log: CallLogger,
                      began: @escaping (any ForwardSession) -> Void, finish: @escaping (DialOutcome) -> Void) {
        requests.append(request)
        self.began = began
        finished = finish
    }

    func begin(_ session: FakeForward) { began?(session) }
    func finish(_ outcome: DialOutcome) { finished?(outcome) }
}

private final class FakeForward: ForwardSession {
    var started = false
    var digits: [Character] = []
    var aLegGone = false
    var onConnected: (() -> Void)?

    func start() { started = true }
    func digit(_ digit: Character) { digits.append(digit) }
    func aLegEnded() { aLegGone = true }
    func connect() { onConnected?() }
}

private final class RecordingObserver: ScriptedLegObserver {
    var events: [String] = []
    private let next: (any ScriptedLegObserver)?

    init(forwardTo next: (any ScriptedLegObserver)?) {
        self.next = next
    }

    func scriptStarted() { events.append("started"); next?.scriptStarted() }
    func forwardDialing() { events.append("dialing"); next?.forwardDialing() }
    func forwardConnected() { events.append("connected"); next?.forwardConnected() }
    func forwardEnded() { events.append("forward-ended"); next?.forwardEnded() }
    func legEnded() { events.append("ended"); next?.legEnded() }
}
