import Foundation
import IVR
import Media
import NIOCore

/// A script running on one call leg: the interpreter decides, this carries out its actions
/// on the leg (prompts, timers, service requests, `dial`, hang-up) and feeds it the leg's
/// events (answer, digits, prompt ends, hang-up). The same code for every leg, whatever
/// placed it: an inbound call (`InboundCallLeg`), a callback's A leg (`PlacedCallLeg`),
/// and the API/web/SMS legs to come. Who watches it from outside (a callback's queue
/// entry) is an `observer`, not code in here.
///
/// Confined to the SIP event loop (the loop of `timers`).
final class ScriptedLeg: CallLegDelegate {
    enum State: Equatable {
        /// Not answered yet.
        case waiting
        /// Answered (billable), audio not confirmed yet (an inbound leg waits for the ACK).
        case answered
        case running
        case ended
    }

    /// What the leg is billed as, who pays from the answer, and its billing once answered.
    struct Billing {
        /// `$caller`, the number the access leg is rated as, the campaign, when it started.
        var call: CallBilling.Call
        /// The account the leg is billed to before any `authenticate` (a callback trigger's
        /// account, free IVR access), if any.
        var payer: String?
        /// From the answer on (nil: not answered, or no store).
        var running: LegBilling?
        /// A callback's A leg: how it was billed when it was placed (`placed` nil: no money
        /// held for it). Nil for an inbound leg, billed from its answer.
        var placement: Placement?

        struct Placement {
            var placed: CallBillingMachine.PlacedAccessLeg?
        }

        init(call: CallBilling.Call, payer: String?) {
            self.call = call
            self.payer = payer
        }
    }

    private(set) var state = State.waiting
    let leg: any CallLegProtocol
    private var interpreter: Interpreter
    private let startNode: String?
    private var billed: Billing
    private var billing: LegBilling? { billed.running }
    private let services: any ScriptedLegServices
    private let forwards: (any ForwardStarter)?
    private let timers: LegTimers
    private let prompts: PromptPlayer
    private let log: CallLogger
    /// The forward in progress (`dial`: a bridge or a conference), which owns the leg's digits meanwhile.
    private var forward: (any ForwardSession)?
    var observer: (any ScriptedLegObserver)?
    /// Called once, when the leg is over and its billing settled (its CDR written).
    var onSettled: (() -> Void)?

    init(leg: any CallLegProtocol, interpreter: Interpreter, startNode: String? = nil, billing: Billing,
         services: any ScriptedLegServices, forwards: (any ForwardStarter)?, loop: any EventLoop, log: CallLogger) {
        self.leg = leg
        self.interpreter = interpreter
        self.startNode = startNode
        self.billed = billing
        self.services = services
        self.forwards = forwards
        self.timers = LegTimers(loop: loop)
        self.log = log
        prompts = PromptPlayer(load: { try services.prompt($0) }, log: log)
    }

    /// The variables the script sees now.
    var context: CallContext { interpreter.context }

    /// Takes the leg's events and starts it (rings or answers an inbound leg; a placed
    /// leg is answered already and the script starts at once).
    func start() {
        leg.delegate = self
        leg.begin()
    }

    /// Ends the leg from outside (the server stopping): the script hears a hang-up.
    func hangUp(cause: HangupCause, reason: String) {
        guard state != .ended else { return }
        if state == .running { perform(interpreter.handle(.hangup)) }
        hangup(cause: cause, reason: reason)
    }

    // MARK: - CallLegDelegate

    func legAnswered(at time: Date) {
        guard state == .waiting else { return }
        state = .answered
        billed.call.answeredAt = time
        let target = LoopWeakReference(self)
        let loop = timers.loop
        billed.running = services.billing(for: billed.call, log: log, cut: { reason in
            loop.execute { target.value?.hangup(cause: .outOfCredit, reason: reason) }
        })
        if let placement = billed.placement {
            billing?.callbackLegAnswered(placed: placement.placed, payer: billed.payer)
        } else if let payer = billed.payer {
            billing?.accountAuthenticated(login: payer)
        }
    }

    func legReady() {
        guard state == .answered else { return }
        state = .running
        observer?.scriptStarted()
        perform(startNode.map { interpreter.start(at: $0) } ?? interpreter.start())
    }

    func legDigit(_ digit: Character, source: DTMFSource) {
        guard state == .running else { return }
        log.event("dtmf", ["digit": String(digit), "via": Self.label(source)])
        if let forward {
            forward.digit(digit)
            return
        }
        perform(interpreter.handle(.digit(digit)))
    }

    private static func label(_ source: DTMFSource) -> String {
        switch source {
        case .rfc4733: return "rfc4733"
        case .sipInfo: return "sip-info"
        case .inband: return "inband"
        }
    }

    func legPlaybackFinished(_ token: UInt64) {
        guard state == .running, let id = prompts.finished(token) else { return }
        perform(interpreter.handle(.promptFinished(id)))
    }

    func legEnded(_ ending: CallLegEnding) {
        guard state != .ended else { return }
        var fields = ["by": ending.by.rawValue, "cause": ending.cause]
        if let reason = ending.reason { fields["reason"] = reason }
        // A refused INVITE was never a call: "call refused" told it already.
        if ending.cause != "refused" { log.event("hangup", fields) }
        if state == .running { perform(interpreter.handle(.hangup)) }
        teardown()
    }

    // MARK: - Carrying out the interpreter's actions

    private func perform(_ actions: [IVRAction]) {
        var pending = actions[...]
        while let action = pending.popFirst() {
            guard state == .running else { return }
            switch action {
            case .play(let id, let refs, _):
                prompts.play(id, refs, on: leg)
            case .stopPlayback:
                prompts.stop(on: leg)
            case .startTimer(let id, let milliseconds):
                timers.start(id, milliseconds: milliseconds) { [weak self] id in
                    guard let self, self.state == .running else { return }
                    self.perform(self.interpreter.handle(.timerFired(id)))
                }
            case .cancelTimer(let id):
                timers.cancel(id)
            case .request(let id, .dial(let request)) where forwards?.canDial == true:
                startForward(id, request)
            case .request(let id, let request):
                // Services (accounts, money, callbacks) answer off this loop; the answer
                // comes back here as an event.
                services.answer(request, context: interpreter.context, billing: billing) { [weak self] result in
                    self?.serviceAnswered(id, result)
                }
            case .hangup(let cause):
                hangup(cause: cause, reason: nil)
            case .trace(let trace):
                log.trace(trace)
            }
        }
    }

    private func serviceAnswered(_ id: ServiceRequestID, _ result: ServiceResult) {
        guard state == .running else { return }
        perform(interpreter.handle(.serviceResult(id, result)))
    }

    private func startForward(_ id: ServiceRequestID, _ request: DialRequest) {
        guard let forwards else { return }
        observer?.forwardDialing()
        forwards.startForward(request, context: interpreter.context, leg: leg, billing: billing, log: log,
                              began: { [weak self] session in
                                  guard let self, self.state == .running else {
                                      session.aLegEnded()
                                      return
                                  }
                                  let observer = self.observer
                                  session.onConnected = { observer?.forwardConnected() }
                                  self.forward = session
                                  session.start()
                              },
                              finish: { [weak self] outcome in
                                  guard let self, self.state == .running else { return }
                                  self.forward = nil
                                  self.observer?.forwardEnded()
                                  self.serviceAnswered(id, .dialEnded(outcome))
                              })
    }

    /// We end the leg (the script, the billing's cut, the server stopping).
    private func hangup(cause: HangupCause, reason: String?) {
        guard state != .ended else { return }
        var fields = ["by": "server", "cause": cause.rawValue, "q850": "\(cause.q850)"]
        if let reason { fields["reason"] = reason }
        log.event("hangup", fields)
        leg.hangup(cause: cause)
        teardown()
    }

    private func teardown() {
        guard state != .ended else { return }
        state = .ended
        // Before the forward hangs up: a B leg still up is settled with this leg, once.
        billing?.ending()
        forward?.aLegEnded()
        forward = nil
        timers.cancelAll()
        leg.delegate = nil
        let loop = timers.loop
        guard let billing else { return settled() }
        // Kept alive by the closure until the settlement is written.
        let keep = UncheckedLeg(self)
        billing.ended(at: Date()) {
            loop.execute { keep.leg.settled() }
        }
    }

    private func settled() {
        observer?.legEnded()
        let done = onSettled
        onSettled = nil
        done?()
    }
}

/// A leg carried through the billing `Task` and only touched back on the SIP loop.
private struct UncheckedLeg: @unchecked Sendable {
    let leg: ScriptedLeg
    init(_ leg: ScriptedLeg) { self.leg = leg }
}
