import Billing
import Foundation

extension Money {
    /// The amount as an exact `Decimal` (what the interpreter's values hold): the minor
    /// units scaled by 10⁻⁴, base ten, so no digit is lost or invented.
    var decimalAmount: Decimal {
        Decimal(sign: minorUnits < 0 ? .minus : .plus, exponent: -Money.decimals,
                significand: Decimal(minorUnits.magnitude))
    }
}
