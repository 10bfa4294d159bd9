import Foundation

/// Arithmetic on `Money`. Both operands must be in the same currency; mixing currencies
/// is a programming error upstream (accounts and plans are checked when a call is rated),
/// so the checked forms below throw rather than trap, and the operators are for code that
/// has already checked.
extension Money {
    /// Sum of two amounts in one currency.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        try Money.requireSameCurrency(self, other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        if overflow { throw .overflow(operation: "\(self) + \(other)") }
        return Money(minorUnits: sum, currency: currency)
    }

    /// Difference of two amounts in one currency.
    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        try Money.requireSameCurrency(self, other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if overflow { throw .overflow(operation: "\(self) - \(other)") }
        return Money(minorUnits: difference, currency: currency)
    }

    /// `self × numerator / denominator`, rounded half away from zero to the minor unit.
    /// This is how a per-minute rate becomes the price of some seconds:
    /// `perMinute.scaled(by: billedSeconds, dividedBy: 60)`.
    public func scaled(by numerator: Int64, dividedBy denominator: Int64) throws(MoneyError) -> Money {
        precondition(denominator > 0, "denominator must be positive")
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: numerator)
        if overflow { throw .overflow(operation: "\(self) × \(numerator)") }
        return Money(minorUnits: Money.divideRoundingHalfAwayFromZero(product, by: denominator), currency: currency)
    }

    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "currency mismatch: \(lhs) + \(rhs)")
        return Money(minorUnits: lhs.minorUnits + rhs.minorUnits, currency: lhs.currency)
    }

    public static func - (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "currency mismatch: \(lhs) - \(rhs)")
        return Money(minorUnits: lhs.minorUnits - rhs.minorUnits, currency: lhs.currency)
    }

    public static prefix func - (amount: Money) -> Money {
        Money(minorUnits: -amount.minorUnits, currency: amount.currency)
    }

    static func requireSameCurrency(_ lhs: Money, _ rhs: Money) throws(MoneyError) {
        guard lhs.currency == rhs.currency else {
            throw .currencyMismatch(lhs.currency, rhs.currency)
        }
    }
}

extension Money: Comparable {
    /// Orders amounts of one currency. Comparing different currencies is a programming error.
    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "currency mismatch: \(lhs) < \(rhs)")
        return lhs.minorUnits < rhs.minorUnits
    }
}
