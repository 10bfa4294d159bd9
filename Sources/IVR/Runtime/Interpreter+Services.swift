import Foundation

/// Verbs that ask the services (accounts, billing, call control) and wait for the answer:
/// `authenticate`, `credit-check`, `balance`, `dial`, `callback`, `remember-caller`.
extension Interpreter {
    /// A request in flight and what its answer is for.
    struct ServiceWait: Sendable {
        enum Purpose: Sendable {
            case authenticate(AuthenticationState)
            case rememberAfterAuthentication
            case creditCheck(destination: String)
            case balance(BalanceVerb)
            case dial
            case callback
            case rememberCaller
        }
        var id = ServiceRequestID(0)
        var node: String
        var purpose: Purpose

        init(node: String, purpose: Purpose) {
            self.node = node
            self.purpose = purpose
        }
    }

    /// Progress of one `authenticate` node: the methods still to try (the first is being
    /// tried) and, for `password`, the account number already typed.
    struct AuthenticationState: Sendable {
        enum Asking: String, Sendable {
            case pin
            case account = "account-number"
            case password
        }
        var node: String
        var verb: AuthenticateVerb
        var remaining: [AuthenticationMethod]
        var asking: Asking = .pin
        var accountNumber: String?

        init(node: String, verb: AuthenticateVerb, remaining: [AuthenticationMethod]) {
            self.node = node
            self.verb = verb
            self.remaining = remaining
        }
    }

    mutating func request(_ request: ServiceRequest, _ wait: ServiceWait) -> Step {
        send(request, wait)
        return .wait
    }

    mutating func send(_ request: ServiceRequest, _ wait: ServiceWait) {
        var wait = wait
        wait.id = newRequestID()
        phase = .awaitingService(wait)
        emit(.trace(.serviceRequested(node: wait.node, wait.id, request)))
        emit(.request(wait.id, request))
    }

    mutating func serviceAnswered(_ id: ServiceRequestID, _ result: ServiceResult) {
        guard case .awaitingService(let wait) = phase, wait.id == id else { return }
        emit(.trace(.serviceAnswered(node: wait.node, id, result)))
        let node = wait.node
        switch wait.purpose {
        case .authenticate(let state):
            advance(authenticationAnswered(result, state))
        case .rememberAfterAuthentication:
            advance(transition(node, "ok"))
        case .creditCheck(let destination):
            switch result {
            case let .credit(.ok(seconds, rate)):
                context["credit"] = .record(["max-duration": .integer(seconds), "rate": .number(rate),
                                             "destination": .string(destination)])
                advance(transition(node, "ok"))
            case .credit(.insufficient): advance(transition(node, "insufficient"))
            case .credit(.blocked): advance(transition(node, "blocked"))
            default:
                emit(.trace(.failure(node: node, message: "credit check answered \(result); taken as blocked")))
                advance(transition(node, "blocked"))
            }
        case .balance(let verb):
            guard case let .balance(amount, currency) = result else {
                emit(.trace(.failure(node: node, message: "balance answered \(result)")))
                advance(transition(node, "next"))
                return
            }
            var account: [String: IVRValue] = [:]
            if case .record(let fields) = context["account"] ?? .null { account = fields }
            account["balance"] = .number(amount)
            account["currency"] = .string(currency)
            context["account"] = .record(account)
            guard verb.say else {
                advance(transition(node, "next"))
                return
            }
            let money = languagePack.money(amount, currency: currency).map { promptRef($0, language: languagePack.code) }
            emit(.trace(.valueSaid(node: node, value: "money \(IVRValue.format(amount)) \(currency)", prompts: money)))
            let prompts = verb.prompts.map { promptRef($0.value) } + money
            play(refs: prompts, bargeIn: true, then: .outcome(node: node, outcome: "next"))
        case .dial:
            switch result {
            case .dialEnded(let outcome): advance(transition(node, outcome.rawValue))
            default:
                emit(.trace(.failure(node: node, message: "dial answered \(result)")))
                advance(transition(node, DialOutcome.failed.rawValue))
            }
        case .callback:
            if case .done = result {
                advance(transition(node, "next"))
            } else {
                let failed = script.node(named: node)?.target(for: "failed") != nil
                advance(transition(node, failed ? "failed" : "next"))
            }
        case .rememberCaller:
            advance(transition(node, "next"))
        }
    }

    // MARK: authenticate

    mutating func authenticate(_ state: AuthenticationState) -> Step {
        var state = state
        guard let method = state.remaining.first else { return transition(state.node, "failed") }
        switch method {
        case .sipDigest:
            return request(.authenticate(method: .sipDigest, value: ""), ServiceWait(node: state.node, purpose: .authenticate(state)))
        case .ani, .did:
            let value = method == .ani ? context.caller : context.dnis
            guard !value.isEmpty else { return authenticationMethodFailed(state) }
            return request(.authenticate(method: method, value: value), ServiceWait(node: state.node, purpose: .authenticate(state)))
        case .pin:
            state.asking = .pin
            return startInput(credentialInput(state))
        case .password:
            state.asking = .account
            state.accountNumber = nil
            return startInput(credentialInput(state))
        }
    }

    func credentialInput(_ state: AuthenticationState) -> Input {
        let verb: CollectVerb
        switch state.asking {
        case .pin: verb = state.verb.pin
        case .account: verb = state.verb.account
        case .password: verb = state.verb.password
        }
        return Input(node: state.node, kind: .collect(verb), purpose: .authentication(state),
                     attemptKey: "\(state.node)#\(state.asking.rawValue)", secret: state.asking != .account)
    }

    /// Digits for the method being tried have been typed.
    mutating func credentialsEntered(_ digits: String, _ state: AuthenticationState) -> Step {
        var state = state
        let wait = { (state: AuthenticationState) in ServiceWait(node: state.node, purpose: .authenticate(state)) }
        switch state.asking {
        case .pin:
            return request(.authenticate(method: .pin, value: digits), wait(state))
        case .account:
            state.accountNumber = digits
            state.asking = .password
            return startInput(credentialInput(state))
        case .password:
            return request(.authenticate(method: .password, value: "\(state.accountNumber ?? ""):\(digits)"), wait(state))
        }
    }

    /// The method being tried has failed for good: try the next one.
    mutating func authenticationMethodFailed(_ state: AuthenticationState) -> Step {
        var next = state
        next.remaining.removeFirst()
        next.accountNumber = nil
        return authenticate(next)
    }

    mutating func authenticationAnswered(_ result: ServiceResult, _ state: AuthenticationState) -> Step {
        let node = state.node
        let method = state.remaining.first ?? .pin
        switch result {
        case .authenticated(let account):
            context["account"] = .record(account)
            failedAttempts["\(node)#pin-rejected"] = nil
            failedAttempts["\(node)#password-rejected"] = nil
            let interactive = method == .pin || method == .password
            if state.verb.rememberCaller && interactive && !context.caller.isEmpty {
                return request(.rememberCaller(callerID: context.caller), ServiceWait(node: node, purpose: .rememberAfterAuthentication))
            }
            return transition(node, "ok")
        case .locked:
            let hasLocked = script.node(named: node)?.target(for: "locked") != nil
            return transition(node, hasLocked ? "locked" : "failed")
        default:
            guard method == .pin || method == .password else { return authenticationMethodFailed(state) }
            // Wrong PIN or password: another try while attempts remain.
            var retry = state
            retry.asking = method == .pin ? .pin : .account
            retry.accountNumber = nil
            let verb = method == .pin ? state.verb.pin : state.verb.password
            // Counted apart from the input's own timeouts, which a typed answer resets.
            let key = "\(node)#\(method == .pin ? "pin" : "password")-rejected"
            let failures = failedAttempts[key, default: 0] + 1
            guard failures < verb.attempts else {
                failedAttempts[key] = nil
                emit(.trace(.outcome(node: node, outcome: "\(method.rawValue) rejected", next: nil)))
                return authenticationMethodFailed(state)
            }
            failedAttempts[key] = failures
            emit(.trace(.outcome(node: node, outcome: "\(method.rawValue) rejected", next: node)))
            typeAhead.removeAll()
            if verb.invalidPrompts.isEmpty { return startInput(credentialInput(retry)) }
            play(verb.invalidPrompts.map(\.value), bargeIn: true, then: .prompted(credentialInput(retry)))
            return .wait
        }
    }

    // MARK: credit-check, dial

    mutating func creditCheck(_ verb: CreditCheckVerb, node: String) -> Step {
        let destination = verb.destination.evaluate(in: context).text
        if let prefix = verb.blockedPrefixes.first(where: { destination.hasPrefix($0.value) }) {
            emit(.trace(.failure(node: node, message: "destination \(destination) starts with blocked prefix \(prefix.value)")))
            return transition(node, "blocked")
        }
        guard !destination.isEmpty else {
            emit(.trace(.failure(node: node, message: "no destination to check (\(verb.destination) is empty)")))
            return transition(node, "blocked")
        }
        return request(.creditCheck(destination: destination), ServiceWait(node: node, purpose: .creditCheck(destination: destination)))
    }

    mutating func dial(_ verb: DialVerb, node: String) -> Step {
        var numbers: [String] = []
        for template in verb.to {
            switch template.evaluate(in: context) {
            case .list(let values): numbers += values.map(\.text)
            case let value: numbers.append(value.text)
            }
        }
        numbers = numbers.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !numbers.isEmpty else {
            emit(.trace(.failure(node: node, message: "nothing to dial: \(verb.to.map(\.description).joined(separator: ", ")) is empty")))
            return transition(node, DialOutcome.failed.rawValue)
        }
        let creditSeconds = context.value(at: VariablePath(["credit", "max-duration"]))?.numberValue
            .map { NSDecimalNumber(decimal: $0).intValue }
        let maxDuration = [verb.maxDurationSeconds, creditSeconds].compactMap { $0 }.min()
        var dialRequest = DialRequest(to: numbers, callerID: verb.callerID.map { $0.evaluate(in: context).text }.flatMap { $0.isEmpty ? nil : $0 },
                                      ringTimeoutSeconds: verb.ringTimeoutSeconds, maxDurationSeconds: maxDuration,
                                      announceMaxDuration: verb.announceMaxDuration, warningSeconds: verb.warningSeconds,
                                      keys: verb.keys)
        let wait = ServiceWait(node: node, purpose: .dial)
        if verb.announceMaxDuration, let maxDuration {
            // Known here: say it now, so call control need not.
            dialRequest.announceMaxDuration = false
            let duration = languagePack.duration(seconds: maxDuration).map { promptRef($0, language: languagePack.code) }
            emit(.trace(.valueSaid(node: node, value: "duration \(maxDuration)s", prompts: duration)))
            let prompts = [promptRef("max-duration-is")] + duration
            play(refs: prompts, bargeIn: false, then: .request(.dial(dialRequest), wait))
            return .wait
        }
        return request(.dial(dialRequest), wait)
    }
}
