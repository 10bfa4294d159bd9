import Foundation

/// A question or command for the services that own accounts, money and calls (Store,
/// Billing, Switchboard). The interpreter never talks to them itself: it emits
/// `.request(id, request)` and waits for `.serviceResult(id, result)`.
public enum ServiceRequest: Sendable, Equatable, CustomStringConvertible {
    /// Identify the account: `value` is what the method checks (caller ID, DNIS, PIN digits,
    /// "login:password" digits; empty for `sip-digest`, which the edge already knows).
    case authenticate(method: AuthenticationMethod, value: String)
    /// Can the bound account call `destination`? Answered with `.credit`.
    case creditCheck(destination: String)
    /// The bound account's balance. Answered with `.balance`.
    case balance
    /// Place a call and bridge it (one number) or conference it (several).
    case dial(DialRequest)
    /// Queue a call back. Answered with `.done` or `.failed`.
    case scheduleCallback(CallbackRequest)
    /// Store the caller ID for ANI authentication of the bound account. `.done` or `.failed`.
    case rememberCaller(callerID: String)

    public var description: String {
        switch self {
        case let .authenticate(method, value):
            switch method {
            case .pin, .password: return "authenticate \(method.rawValue) (\(value.count) characters, not shown)"
            case .sipDigest: return "authenticate sip-digest"
            case .ani, .did: return "authenticate \(method.rawValue) \(value)"
            }
        case let .creditCheck(destination): return "credit-check \(destination)"
        case .balance: return "balance"
        case let .dial(request): return "dial \(request)"
        case let .scheduleCallback(request): return "callback \(request)"
        case let .rememberCaller(callerID): return "remember-caller \(callerID)"
        }
    }
}
