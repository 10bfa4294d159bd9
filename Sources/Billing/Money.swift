import Foundation

/// An exact amount of money: a signed count of ten-thousandths of a currency unit.
///
/// Prepaid telephony rates are quoted with up to four decimals (0.0125 per minute), so the
/// minor unit here is 1/10,000 of the currency unit: `1.0000` is stored as `10_000`.
/// Money is never binary floating point: every operation on it is integer arithmetic, and the one
/// place where a division happens (a per-minute rate applied to seconds) rounds with a
/// rule that is written down (see `Money.dividing(_:by:)`).
public struct Money: Sendable, Hashable, Codable {
    /// Number of minor units in one currency unit (four decimals).
    public static let minorUnitsPerUnit: Int64 = 10_000
    /// Number of decimals kept.
    public static let decimals = 4

    /// Amount in ten-thousandths of a unit.
    public var minorUnits: Int64
    /// ISO 4217-style currency code, e.g. "EUR". Not checked against a list: operators
    /// also run private "credit" currencies.
    public var currency: String

    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in the given currency.
    public static func zero(_ currency: String) -> Money {
        Money(minorUnits: 0, currency: currency)
    }

    public var isZero: Bool { minorUnits == 0 }
    public var isNegative: Bool { minorUnits < 0 }

    /// The amount as a plain decimal string with all four decimals: "12.3456", "-0.5000".
    public var amountString: String {
        let magnitude = minorUnits.magnitude
        let whole = magnitude / UInt64(Money.minorUnitsPerUnit)
        let fraction = magnitude % UInt64(Money.minorUnitsPerUnit)
        var fractionText = String(fraction)
        while fractionText.count < Money.decimals { fractionText = "0" + fractionText }
        return (minorUnits < 0 ? "-" : "") + "\(whole).\(fractionText)"
    }

    /// The amount rounded half away from zero to `decimals` places (0...4), as text.
    /// Used for display only (e.g. two decimals on a voice prompt); stored money keeps four.
    public func amountString(decimals: Int) -> String {
        precondition((0...Money.decimals).contains(decimals), "decimals must be 0...4")
        var divisor: Int64 = 1
        for _ in 0..<(Money.decimals - decimals) { divisor *= 10 }
        let rounded = Money.divideRoundingHalfAwayFromZero(minorUnits, by: divisor)
        let magnitude = rounded.magnitude
        var unit: UInt64 = 1
        for _ in 0..<decimals { unit *= 10 }
        let whole = magnitude / unit
        let sign = rounded < 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        var fractionText = String(magnitude % unit)
        while fractionText.count < decimals { fractionText = "0" + fractionText }
        return sign + "\(whole).\(fractionText)"
    }
}

extension Money: CustomStringConvertible {
    /// "12.3456 EUR".
    public var description: String { "\(amountString) \(currency)" }
}

extension Money {
    /// Integer division rounding half away from zero: 5/10 → 1, -5/10 → -1, 4/10 → 0.
    /// This is "half-up at the 4th decimal" for the non-negative amounts billing produces.
    static func divideRoundingHalfAwayFromZero(_ numerator: Int64, by denominator: Int64) -> Int64 {
        precondition(denominator > 0)
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        if remainder.magnitude * 2 >= UInt64(denominator) {
            return numerator < 0 ? quotient - 1 : quotient + 1
        }
        return quotient
    }
}
