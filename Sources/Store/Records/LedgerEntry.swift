import Billing
import Foundation

/// One change of an account's balance (table `ledgerEntry`). Every change writes one, in
/// the same transaction, so the sum of an account's entries is its balance.
public struct LedgerEntry: Codable, Sendable, Hashable, Identifiable {
    public enum Kind: String, Codable, Sendable {
        /// The balance an account was opened with.
        case initial
        /// Money added by an operator (top-up).
        case credit
        /// Money removed by an operator.
        case debit
        /// A settled call.
        case call
    }

    public var id: Int64?
    public var accountID: Int64
    public var kind: Kind
    /// Signed change: positive adds to the balance.
    public var amountMinorUnits: Int64
    public var balanceAfterMinorUnits: Int64
    public var currency: String
    /// The settled reservation, for `call` entries; unique, so a call is never charged twice.
    public var reservationID: Int64?
    public var note: String?
    public var createdAt: Date

    public var amount: Money { Money(minorUnits: amountMinorUnits, currency: currency) }
    public var balanceAfter: Money { Money(minorUnits: balanceAfterMinorUnits, currency: currency) }
}
