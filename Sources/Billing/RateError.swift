import Foundation

/// What is wrong with a rate, a rate table or a rating request.
public enum RateError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPrefix(String)
    case invalidIncrement(Int, which: String)
    case negativeAmount(Money, which: String)
    case currencyMismatch(expected: String, found: String)
    case duplicatePrefix(String)
    /// No prefix of the plan matches the number: the destination is not served (blocked).
    case noRate(number: String, plan: String)
    /// The plan blocks the number's prefix (premium and other fraud-prone destinations).
    case blocked(number: String, prefix: String, plan: String)
    case invalidDuration(Int)

    public var description: String {
        switch self {
        case let .invalidPrefix(prefix): return "invalid prefix \"\(prefix)\": digits only"
        case let .invalidIncrement(value, which): return "invalid \(which) \(value): must be at least 1 second"
        case let .negativeAmount(amount, which): return "negative \(which) \(amount)"
        case let .currencyMismatch(expected, found): return "currency mismatch: expected \(expected), found \(found)"
        case let .duplicatePrefix(prefix): return "prefix \(prefix) appears more than once"
        case let .noRate(number, plan): return "no rate for \(number) in plan \(plan)"
        case let .blocked(number, prefix, plan): return "\(number) is blocked by plan \(plan) (prefix \(prefix))"
        case let .invalidDuration(seconds): return "invalid duration \(seconds) s: must not be negative"
        }
    }
}
