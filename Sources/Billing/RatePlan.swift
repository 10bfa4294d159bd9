import Foundation

/// A named set of rates in one currency, and whether callbacks pay for their A leg.
public struct RatePlan: Sendable {
    public var name: String
    public var currency: String
    /// Whether the leg to the user (the callback) is charged at its rate. When false, only
    /// the B leg costs money, as on most "free callback" offers.
    public var chargesALeg: Bool
    public var table: RateTable
    /// Destinations the plan refuses whatever its rates say (premium numbers): a number
    /// starting with one of these has no rate, so it is neither credit-checked nor dialled.
    public var blockedPrefixes: [String]

    /// All rates must be in the plan's currency; blocked prefixes are digits only.
    public init(name: String, currency: String, chargesALeg: Bool, rates: [Rate],
                blockedPrefixes: [String] = []) throws(RateError) {
        for rate in rates where rate.currency != currency {
            throw .currencyMismatch(expected: currency, found: rate.currency)
        }
        for prefix in blockedPrefixes where prefix.isEmpty || !prefix.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            throw .invalidPrefix(prefix)
        }
        self.name = name
        self.currency = currency
        self.chargesALeg = chargesALeg
        self.table = try RateTable(rates: rates)
        self.blockedPrefixes = blockedPrefixes
    }

    /// The rate for a number; throws `blocked` for a blocked prefix, `noRate` when the
    /// destination is not served.
    public func rate(for number: String) throws(RateError) -> Rate {
        let dialled = number.hasPrefix("+") ? number.dropFirst() : Substring(number)
        if let prefix = blockedPrefixes.first(where: { dialled.hasPrefix($0) }) {
            throw .blocked(number: number, prefix: prefix, plan: name)
        }
        guard let rate = table.rate(for: number) else { throw .noRate(number: number, plan: name) }
        return rate
    }

    /// Prices one leg of `answeredSeconds` to `number`.
    public func quote(leg: Leg, to number: String, answeredSeconds: Int) throws -> LegQuote {
        guard answeredSeconds >= 0 else { throw RateError.invalidDuration(answeredSeconds) }
        let rate = try rate(for: number)
        let billed = rate.increments.billedSeconds(forAnswered: answeredSeconds)
        let charged = leg == .b || chargesALeg
        let cost = charged ? try rate.cost(billedSeconds: billed) : .zero(currency)
        return LegQuote(leg: leg, number: number, rate: rate, answeredSeconds: answeredSeconds,
                        billedSeconds: billed, charged: charged, cost: cost)
    }

    /// The longest call to `bNumber` that `freeBalance` pays for, with the A leg to `aNumber`
    /// (when given and charged by this plan) running alongside, already answered for
    /// `aLegElapsedSeconds`. See `MaximumDuration.compute`.
    public func maximumDuration(freeBalance: Money, aNumber: String?, aLegElapsedSeconds: Int = 0,
                                bNumber: String, limit: Int = MaximumDuration.defaultLimit) throws -> MaximumDuration {
        let bRate = try rate(for: bNumber)
        var aRate: Rate?
        if chargesALeg, let aNumber { aRate = try rate(for: aNumber) }
        return try MaximumDuration.compute(freeBalance: freeBalance, aLeg: aRate, aLegElapsedSeconds: aLegElapsedSeconds,
                                           bLeg: bRate, limit: limit)
    }
}
