import Foundation

/// What went wrong with an amount of money.
public enum MoneyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Text that is not a strict decimal amount (see `Money.parse`).
    case invalidAmount(String, reason: String)
    /// Two amounts in different currencies were combined.
    case currencyMismatch(String, String)
    /// The result does not fit in 64 bits of ten-thousandths.
    case overflow(operation: String)

    public var description: String {
        switch self {
        case let .invalidAmount(text, reason):
            return "invalid amount \"\(text)\": \(reason) (expected digits with up to 4 decimals, e.g. 12.3456)"
        case let .currencyMismatch(lhs, rhs):
            return "currency mismatch: \(lhs) and \(rhs)"
        case let .overflow(operation):
            return "amount overflow in \(operation)"
        }
    }
}
