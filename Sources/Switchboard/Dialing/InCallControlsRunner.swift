import IVR
import Media
import NIOCore

/// Carries out what `InCallControls` decides, on the SIP event loop: arms its timers
/// (their firing goes back in as events), asks the balance off the loop, and hands the
/// prompts and the end to the session that owns it, which knows where the A leg hears
/// them (a bridge or a conference) and what ending hangs up.
///
/// Confined to the SIP event loop, like its session.
final class InCallControlsRunner: @unchecked Sendable {
    /// Which of our prompts the session is asked to play to the A leg (and only to it).
    enum Speech {
        /// The tone before the time limit.
        case warning
        /// "Your balance is ..."
        case balance
    }

    private(set) var controls: InCallControls
    private let loop: any EventLoop
    private let environment: DialEnvironment
    /// Plays our prompts to the A leg; the session decides whether it still can.
    private let speak: (Speech, [Prompt]) -> Void
    /// Ends the dial for the controls' reason (a key, the limit).
    private let end: (InCallControls.Ending) -> Void
    private var timers: [InCallControls.Timer: Scheduled<Void>] = [:]
    private var stopped = false

    init(controls: InCallControls, environment: DialEnvironment, loop: any EventLoop,
         speak: @escaping (Speech, [Prompt]) -> Void, end: @escaping (InCallControls.Ending) -> Void) {
        self.controls = controls
        self.environment = environment
        self.loop = loop
        self.speak = speak
        self.end = end
    }

    /// The A leg talks to somebody: the time limit starts (once).
    func connected() {
        handle(.connected)
    }

    /// What the reservation of the leg that answered pays for: the time limit's cap.
    func billed(seconds: Int?) {
        controls.billedSeconds = seconds
    }

    /// A digit from the A leg.
    func digit(_ digit: Character) {
        handle(.digit(digit, atMilliseconds: Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000)))
    }

    /// The dial is over: no timer fires, no prompt plays any more.
    func stop() {
        stopped = true
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
    }

    private func handle(_ event: InCallControls.Event) {
        loop.preconditionInEventLoop()
        guard !stopped else { return }
        for action in controls.handle(event) { perform(action) }
    }

    private func perform(_ action: InCallControls.Action) {
        let log = environment.log
        switch action {
        case let .startTimer(timer, seconds):
            timers[timer]?.cancel()
            timers[timer] = loop.scheduleTask(in: .seconds(Int64(seconds))) { [weak self] in
                self?.timers[timer] = nil
                self?.handle(.timerFired(timer))
            }
        case let .keyTyped(sequence, action):
            log.event("in-call key", ["keys": sequence, "action": action.rawValue])
        case let .playWarning(secondsLeft):
            log.event("time limit warning", ["seconds-left": "\(secondsLeft)"])
            speak(.warning, [WarningTone.prompt])
        case .sayBalance:
            let runner = LoopWeakReference(self)
            InCallBalance.ask(environment.balance, context: environment.context, answerOn: loop) { result in
                runner.value?.balanceAnswered(result)
            }
        case let .end(ending):
            if ending == .limit { log.event("time limit reached", ["seconds": "\(controls.timeLimit ?? 0)"]) }
            end(ending)
        }
    }

    private func balanceAnswered(_ result: ServiceResult) {
        guard !stopped, let prompts = InCallBalance.prompts(for: result, context: environment.context,
                                                            services: environment.services, log: environment.log) else { return }
        environment.log.event("say balance", ["to": "a-leg"])
        speak(.balance, prompts)
    }
}
