import Foundation

/// One line of a rate deck: what calls to destinations starting with `prefix` cost.
public struct Rate: Sendable, Hashable, Codable {
    /// Destination digits this rate applies to; the longest matching prefix wins.
    /// The empty prefix matches every destination (a catch-all).
    public var prefix: String
    /// Human name of the destination, e.g. "France mobile".
    public var description: String
    /// Price of one minute of billed time.
    public var perMinute: Money
    /// Charged once per answered call with at least one billed second.
    public var connectionFee: Money
    /// First and following billing increments.
    public var increments: BillingIncrements

    /// Checks the prefix is digits only, amounts are non-negative and in one currency.
    public init(prefix: String, description: String, perMinute: Money, connectionFee: Money,
                increments: BillingIncrements) throws(RateError) {
        guard prefix.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .invalidPrefix(prefix)
        }
        guard !perMinute.isNegative else { throw .negativeAmount(perMinute, which: "rate per minute") }
        guard !connectionFee.isNegative else { throw .negativeAmount(connectionFee, which: "connection fee") }
        guard perMinute.currency == connectionFee.currency else {
            throw .currencyMismatch(expected: perMinute.currency, found: connectionFee.currency)
        }
        self.prefix = prefix
        self.description = description
        self.perMinute = perMinute
        self.connectionFee = connectionFee
        self.increments = increments
    }

    public var currency: String { perMinute.currency }

    /// Price of a call answered for `answeredSeconds`.
    ///
    /// cost = connection fee + perMinute × billedSeconds / 60, the second term rounded
    /// half away from zero to the 4th decimal (`Money.scaled`). The per-second rate is
    /// never rounded on its own, so 60 × (1 s) costs exactly one minute. A call with 0
    /// answered seconds costs nothing, not even the connection fee.
    public func cost(answeredSeconds: Int) throws(MoneyError) -> Money {
        try cost(billedSeconds: increments.billedSeconds(forAnswered: answeredSeconds))
    }

    /// Price of `billedSeconds` already rounded to the increments.
    public func cost(billedSeconds: Int) throws(MoneyError) -> Money {
        guard billedSeconds > 0 else { return .zero(currency) }
        let talk = try perMinute.scaled(by: Int64(billedSeconds), dividedBy: 60)
        return try talk.adding(connectionFee)
    }
}
