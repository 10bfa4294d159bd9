import Foundation

/// The services' answer to a `ServiceRequest`.
public enum ServiceResult: Sendable, Equatable, CustomStringConvertible {
    /// Authentication succeeded: the account's fields (`login`, `balance`, `currency`,
    /// `forward`, ...) become `$account`.
    case authenticated(account: [String: IVRValue])
    /// Wrong or unknown credentials.
    case authenticationFailed
    /// Too many failures: the account or caller is locked out.
    case locked
    /// Credit check answer.
    case credit(CreditCheckResult)
    /// Balance answer: exact amount and ISO 4217 currency code.
    case balance(amount: Decimal, currency: String)
    /// How a forward ended.
    case dialEnded(DialOutcome)
    /// The command was carried out.
    case done
    /// The command could not be carried out.
    case failed(reason: String)

    public var description: String {
        switch self {
        case .authenticated(let account): return "authenticated \(account["login"]?.text ?? "")"
        case .authenticationFailed: return "authentication-failed"
        case .locked: return "locked"
        case .credit(let result): return "credit \(result)"
        case let .balance(amount, currency): return "balance \(IVRValue.format(amount)) \(currency)"
        case .dialEnded(let outcome): return "dial \(outcome.rawValue)"
        case .done: return "done"
        case .failed(let reason): return "failed: \(reason)"
        }
    }
}

/// Answer to `creditCheck`.
public enum CreditCheckResult: Sendable, Equatable, CustomStringConvertible {
    /// The call may go ahead for at most `maxDurationSeconds`; `ratePerMinute` in the
    /// account's currency.
    case ok(maxDurationSeconds: Int, ratePerMinute: Decimal)
    case insufficient
    case blocked

    public var description: String {
        switch self {
        case let .ok(seconds, rate): return "ok max=\(seconds)s rate=\(IVRValue.format(rate))/min"
        case .insufficient: return "insufficient"
        case .blocked: return "blocked"
        }
    }
}

/// How a `dial` ended: the outcomes of the verb.
public enum DialOutcome: String, Sendable, Hashable, CaseIterable {
    case ended
    case busy
    case noAnswer = "no-answer"
    case failed
    case outOfCredit = "out-of-credit"
}
