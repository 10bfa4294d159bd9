import Foundation
import IVR
import SIPStack

/// What the A leg controls while a `dial` is up, and how the dial ends, the same for a
/// two-party forward (`DialSession`) and a conference (`ConferenceSession`): the in-call
/// keys (`#11` end-leg, `111` say-balance), the time limit with its warning tone, and the
/// `dial` verb's outcome of a leg that ended.
///
/// Pure: events in, actions out. Time comes in with each digit; timers are actions the
/// session arms (`InCallControlsRunner`), and their firing is an event. The sessions
/// differ only in where a prompt plays and what "end" hangs up.
struct InCallControls: Sendable {
    /// The two timers of a connected dial.
    enum Timer: Sendable, Hashable {
        /// `warningSeconds` before the limit: the warning tone to the A leg.
        case warning
        /// The limit itself: the dial ends.
        case limit
    }

    /// Why the controls end the dial.
    enum Ending: Sendable, Hashable {
        /// An in-call key (`end-leg`): outcome `ended`.
        case key
        /// The time limit: `out-of-credit` when the limit was the money's, else `ended`.
        case limit
    }

    enum Event: Sendable, Hashable {
        /// The A leg first talks to somebody (bridged, or the first party joined).
        case connected
        /// A digit from the A leg, at a monotonic time in milliseconds.
        case digit(Character, atMilliseconds: Int64)
        case timerFired(Timer)
    }

    enum Action: Sendable, Hashable {
        /// Arm `timer` to fire in `seconds`.
        case startTimer(Timer, seconds: Int)
        /// The A leg typed an in-call key sequence (for the log).
        case keyTyped(sequence: String, DialKeyAction)
        /// Play the warning tone to the A leg only: `secondsLeft` remain.
        case playWarning(secondsLeft: Int)
        /// Ask the balance (off the loop) and say it to the A leg only.
        case sayBalance
        /// End the dial (hang up the B leg or every party).
        case end(Ending)
    }

    /// The script's own cap on talk seconds, if any.
    let maxDurationSeconds: Int?
    /// What the money set aside pays for (the forward's reservation), if anything; set
    /// before the dial connects (a forward knows its reservation once a leg answered).
    var billedSeconds: Int?
    let warningSeconds: Int?
    /// `$credit.max-duration` at dial time: a cap equal to it is the credit's.
    let creditSeconds: Int?
    private var keys: InCallKeyMatcher
    private(set) var isConnected = false
    /// Set when the controls ended the dial: the outcome depends on why.
    private(set) var ending: Ending?

    init(request: DialRequest, billedSeconds: Int?, context: CallContext) {
        keys = InCallKeyMatcher(keys: request.keys)
        maxDurationSeconds = request.maxDurationSeconds
        warningSeconds = request.warningSeconds
        self.billedSeconds = billedSeconds
        creditSeconds = context.value(at: VariablePath(["credit", "max-duration"]))?.numberValue
            .map { NSDecimalNumber(decimal: $0).intValue }
    }

    /// Talk seconds allowed: the script's cap and the billing's, the lower (nil: no limit).
    var timeLimit: Int? {
        [maxDurationSeconds, billedSeconds].compactMap { $0 }.min()
    }

    /// The outcome of a dial cut at its time limit: `out-of-credit` when the limit was the
    /// money's (the reservation's, or the credit the interpreter put in
    /// `$credit.max-duration`), `ended` when the script's own, shorter cap ended it.
    var limitOutcome: DialOutcome {
        // A reservation is granted for at most the script's cap: equal to it, the cap set it.
        if let billedSeconds, billedSeconds < (maxDurationSeconds ?? Int.max) { return .outOfCredit }
        guard let creditSeconds, let limit = maxDurationSeconds else { return .ended }
        return creditSeconds <= limit ? .outOfCredit : .ended
    }

    mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .connected:
            guard !isConnected else { return [] }
            isConnected = true
            return armLimit()
        case let .digit(digit, now):
            guard ending == nil, let (sequence, action) = keys.digit(digit, atMilliseconds: now) else { return [] }
            switch action {
            case .endLeg:
                ending = .key
                return [.keyTyped(sequence: sequence, action), .end(.key)]
            case .sayBalance:
                return [.keyTyped(sequence: sequence, action), .sayBalance]
            }
        case .timerFired(.warning):
            guard ending == nil, isConnected, let limit = timeLimit, let warning = warningSeconds else { return [] }
            return [.playWarning(secondsLeft: min(warning, limit))]
        case .timerFired(.limit):
            guard ending == nil, isConnected else { return [] }
            ending = .limit
            return [.end(.limit)]
        }
    }

    private func armLimit() -> [Action] {
        guard let limit = timeLimit else { return [] }
        var actions: [Action] = []
        if let warning = warningSeconds, warning > 0, warning < limit {
            actions.append(.startTimer(.warning, seconds: limit - warning))
        }
        actions.append(.startTimer(.limit, seconds: max(0, limit)))
        return actions
    }

    /// The `dial` verb's outcome of a leg that ended `outcome` (`failedLocally`: its
    /// answer was unusable or it could not be bridged or joined).
    func outcome(of outcome: OutboundCallOutcome, failedLocally: Bool = false) -> DialOutcome {
        if failedLocally { return .failed }
        switch outcome {
        case .busy: return .busy
        case .noAnswer: return .noAnswer
        case .failed: return .failed
        case .ended, .cancelled: return ending == .limit ? limitOutcome : .ended
        }
    }
}
