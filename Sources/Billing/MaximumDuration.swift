import Foundation

/// How long a call may last on a given free balance, and what that much talk costs
/// (the amount to reserve before placing it).
public struct MaximumDuration: Sendable, Hashable {
    /// Talk seconds allowed on the B leg. Zero means the balance does not pay for even
    /// the first increment (and connection fees): the call must not be placed.
    public var seconds: Int
    /// Cost of the A leg (including seconds already elapsed) if the call lasts `seconds`.
    public var aLegCost: Money
    /// Cost of the B leg if it lasts `seconds`.
    public var bLegCost: Money
    /// `aLegCost + bLegCost`: never more than the free balance it was computed from.
    public var totalCost: Money

    /// Calls are cut after this many seconds even on a huge balance or free destinations.
    public static let defaultLimit = 4 * 3600

    /// Finds the largest whole number of seconds `t` in `0...limit` such that
    /// costA(aLegElapsedSeconds + t) + costB(t) ≤ freeBalance, connection fees included.
    ///
    /// Both costs are non-decreasing step functions of `t` that only rise just after an
    /// increment boundary, so the answer is always a point the increments allow (e.g. a
    /// whole minute on a 60/60 rate): it is rounded down to them by construction. The
    /// search is a binary search on that monotone function, exact for any increments.
    public static func compute(freeBalance: Money, aLeg: Rate?, aLegElapsedSeconds: Int = 0,
                               bLeg: Rate, limit: Int = defaultLimit) throws -> MaximumDuration {
        guard aLegElapsedSeconds >= 0 else { throw RateError.invalidDuration(aLegElapsedSeconds) }
        guard limit >= 0 else { throw RateError.invalidDuration(limit) }
        for rate in [aLeg, bLeg].compactMap({ $0 }) where rate.currency != freeBalance.currency {
            throw RateError.currencyMismatch(expected: freeBalance.currency, found: rate.currency)
        }
        func costs(_ seconds: Int) throws -> (Money, Money) {
            let a = try aLeg?.cost(answeredSeconds: aLegElapsedSeconds + seconds) ?? .zero(freeBalance.currency)
            let b = try bLeg.cost(answeredSeconds: seconds)
            return (a, b)
        }
        func affordable(_ seconds: Int) throws -> Bool {
            let (a, b) = try costs(seconds)
            return try a.adding(b) <= freeBalance
        }
        var seconds = 0
        if try affordable(0) {
            // Invariant: `low` is affordable, everything above `high` is not.
            var low = 0
            var high = limit
            while low < high {
                let middle = low + (high - low + 1) / 2
                if try affordable(middle) { low = middle } else { high = middle - 1 }
            }
            seconds = low
        }
        let (a, b) = try costs(seconds)
        return MaximumDuration(seconds: seconds, aLegCost: a, bLegCost: b, totalCost: try a.adding(b))
    }
}

extension MaximumDuration {
    /// The longest talk on `rate` that `1/parts` of `freeBalance` pays for: the cap of one
    /// of a payer's `parts` concurrent callback A legs, so that the next one still finds
    /// credit. The longest call (`defaultLimit`) with one part, or when the share does not
    /// buy a minute (then the store's own check decides).
    public static func shareLimit(freeBalance: Money, parts: Int, rate: Rate) -> Int {
        guard parts > 1 else { return defaultLimit }
        let part = Money(minorUnits: max(0, freeBalance.minorUnits) / Int64(parts), currency: freeBalance.currency)
        guard let seconds = try? compute(freeBalance: part, aLeg: nil, bLeg: rate).seconds, seconds >= 60 else {
            return defaultLimit
        }
        return seconds
    }
}
