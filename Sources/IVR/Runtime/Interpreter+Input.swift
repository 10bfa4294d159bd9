import Foundation

/// `collect` and `menu` (and the PIN/password entry of `authenticate`): prompts, digits,
/// timers, attempts.
extension Interpreter {
    static let dtmfKeys: Set<Character> = Set("0123456789*#ABCD")

    /// One pending input: what is being asked, for what, and the digits so far.
    struct Input: Sendable {
        enum Kind: Sendable {
            case collect(CollectVerb)
            case menu(MenuVerb)
        }
        enum Purpose: Sendable {
            /// The node's own `collect`/`menu`.
            case node
            /// A PIN, account number or password for `authenticate`.
            case authentication(AuthenticationState)
        }
        var node: String
        var kind: Kind
        var purpose: Purpose
        /// Failures are counted per key: the node, or node + what `authenticate` asks.
        var attemptKey: String
        /// Collected digits of a secret (PIN, password) never appear in traces.
        var secret = false
        var digits = ""
        var timer: TimerID?

        var prompts: [Located<String>] {
            switch kind {
            case .collect(let verb): return verb.prompts
            case .menu(let verb): return verb.prompts
            }
        }
        var bargeIn: Bool {
            if case .collect(let verb) = kind { return verb.bargeIn }
            return true
        }
        var attempts: Int {
            switch kind {
            case .collect(let verb): return verb.attempts
            case .menu(let verb): return verb.attempts
            }
        }
        var invalidPrompts: [Located<String>] {
            switch kind {
            case .collect(let verb): return verb.invalidPrompts
            case .menu(let verb): return verb.invalidPrompts
            }
        }
        var noInputPrompts: [Located<String>] {
            switch kind {
            case .collect(let verb): return verb.noInputPrompts
            case .menu(let verb): return verb.noInputPrompts
            }
        }
    }

    /// Asks for input: type-ahead digits answer at once, otherwise the prompt plays
    /// (interruptible when `bargeIn`) and the first-digit timer starts when it ends.
    mutating func startInput(_ input: Input) -> Step {
        if !typeAhead.isEmpty {
            let pending = typeAhead
            typeAhead.removeAll()
            phase = .input(input)
            for digit in pending {
                guard case .input(let current) = phase, current.node == input.node, current.attemptKey == input.attemptKey else {
                    // The type-ahead already answered; what was typed after the answer is
                    // dropped rather than fed to whatever comes next.
                    emit(.trace(.digitIgnored(node: input.node, digit, reason: "typed ahead after the answer")))
                    continue
                }
                emit(.trace(.digitAccepted(node: input.node, digit)))
                inputDigit(digit, current)
            }
            if case .input(let current) = phase, current.attemptKey == input.attemptKey, current.timer == nil {
                armTimer(current)
            }
            return .wait
        }
        if input.prompts.isEmpty {
            armTimer(input)
        } else {
            play(input.prompts.map(\.value), bargeIn: input.bargeIn, then: .input(input))
        }
        return .wait
    }

    /// Starts waiting for the first digit (after the prompt).
    mutating func beginInput(_ input: Input) {
        armTimer(input)
    }

    /// (Re)starts the input timer: the first-digit timeout before any digit, the
    /// inter-digit timeout after one.
    mutating func armTimer(_ input: Input) {
        var input = input
        if let old = input.timer { emit(.cancelTimer(old)) }
        let milliseconds: Int
        switch input.kind {
        case .collect(let verb):
            milliseconds = input.digits.isEmpty ? verb.firstDigitTimeoutMilliseconds : verb.interDigitTimeoutMilliseconds
        case .menu(let verb):
            milliseconds = verb.timeoutMilliseconds
        }
        let timer = newTimerID()
        input.timer = timer
        phase = .input(input)
        emit(.startTimer(timer, milliseconds: milliseconds))
    }

    mutating func digitReceived(_ digit: Character) {
        guard Interpreter.dtmfKeys.contains(digit) else {
            emit(.trace(.digitIgnored(node: currentNode, digit, reason: "not a DTMF key")))
            return
        }
        switch phase {
        case .playing(let playback):
            guard playback.bargeIn else {
                emit(.trace(.digitIgnored(node: currentNode, digit, reason: "prompt is not interruptible")))
                return
            }
            emit(.stopPlayback)
            emit(.trace(.digitAccepted(node: currentNode ?? "", digit)))
            if case .input(let input) = playback.then {
                phase = .input(input)
                inputDigit(digit, input)
            } else {
                if typeAhead.count < Interpreter.typeAheadLimit { typeAhead.append(digit) }
                run(playback.then)
            }
        case .input(var input):
            if let timer = input.timer {
                emit(.cancelTimer(timer))
                input.timer = nil
            }
            emit(.trace(.digitAccepted(node: input.node, digit)))
            inputDigit(digit, input)
        case .awaitingService:
            emit(.trace(.digitIgnored(node: currentNode, digit, reason: "waiting for a service")))
        case .notStarted, .finished:
            emit(.trace(.digitIgnored(node: currentNode, digit, reason: "no script is running")))
        }
    }

    /// One accepted digit for the input (its timer already cancelled).
    mutating func inputDigit(_ digit: Character, _ input: Input) {
        var input = input
        input.timer = nil
        phase = .input(input)
        switch input.kind {
        case .collect(let verb):
            if digit == verb.terminator {
                finishCollect(input, verb)
                return
            }
            // Beyond the maximum the answer is certainly invalid, but the caller is still
            // typing: keep one digit too many (enough to judge) and wait for the terminator
            // or the inter-digit timeout, so the rest of the entry does not spill over.
            if input.digits.count <= verb.maxDigits { input.digits.append(digit) }
            phase = .input(input)
            if input.digits.count >= verb.maxDigits && verb.terminator == nil {
                finishCollect(input, verb)
            } else {
                armTimer(input)
            }
        case .menu(let verb):
            guard let target = verb.target(for: digit) else {
                inputFailed(input, "invalid")
                return
            }
            failedAttempts[input.attemptKey] = nil
            emit(.trace(.outcome(node: input.node, outcome: String(digit), next: target.value)))
            advance(.enter(target.value))
        }
    }

    mutating func timerFired(_ id: TimerID) {
        guard case .input(var input) = phase, input.timer == id else { return }
        input.timer = nil
        phase = .input(input)
        switch input.kind {
        case .collect(let verb):
            if input.digits.isEmpty {
                inputFailed(input, "timeout")
            } else {
                finishCollect(input, verb)
            }
        case .menu:
            inputFailed(input, "timeout")
        }
    }

    mutating func finishCollect(_ input: Input, _ verb: CollectVerb) {
        guard verb.accepts(input.digits) else {
            inputFailed(input, "invalid")
            return
        }
        failedAttempts[input.attemptKey] = nil
        let shown = input.secret ? String(repeating: "*", count: input.digits.count) : input.digits
        emit(.trace(.collected(node: input.node, variable: verb.variable.value, value: shown)))
        switch input.purpose {
        case .node:
            context[verb.variable.value] = .string(input.digits)
            advance(transition(input.node, "ok"))
        case .authentication(let state):
            advance(credentialsEntered(input.digits, state))
        }
    }

    /// A `timeout` or `invalid` answer: retry (after the feedback prompt) while attempts
    /// remain, `exhausted` when they are used up.
    mutating func inputFailed(_ input: Input, _ outcome: String) {
        let failures = failedAttempts[input.attemptKey, default: 0] + 1
        typeAhead.removeAll()
        let exhausted = failures >= input.attempts
        failedAttempts[input.attemptKey] = exhausted ? nil : failures
        switch input.purpose {
        case .node:
            guard !exhausted else {
                emit(.trace(.outcome(node: input.node, outcome: outcome, next: nil)))
                advance(transition(input.node, "exhausted"))
                return
            }
            let target = script.node(named: input.node)?.target(for: outcome)?.value ?? input.node
            emit(.trace(.outcome(node: input.node, outcome: outcome, next: target)))
            let feedback = outcome == "timeout" ? input.noInputPrompts : input.invalidPrompts
            if feedback.isEmpty {
                advance(.enter(target))
            } else {
                play(feedback.map(\.value), bargeIn: true, then: .enter(target))
            }
        case .authentication(let state):
            emit(.trace(.outcome(node: input.node, outcome: "\(state.asking.rawValue) \(outcome)", next: exhausted ? nil : input.node)))
            guard !exhausted else {
                advance(authenticationMethodFailed(state))
                return
            }
            var retry = input
            retry.digits = ""
            retry.timer = nil
            let feedback = outcome == "timeout" ? input.noInputPrompts : input.invalidPrompts
            if feedback.isEmpty {
                advance(startInput(retry))
            } else {
                play(feedback.map(\.value), bargeIn: true, then: .prompted(retry))
            }
        }
    }
}
