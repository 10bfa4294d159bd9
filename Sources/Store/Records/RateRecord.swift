import Billing
import Foundation

/// One rate of a plan (table `rate`).
public struct RateRecord: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var planID: Int64
    public var prefix: String
    public var description: String
    public var perMinuteMinorUnits: Int64
    public var connectionFeeMinorUnits: Int64
    public var firstIncrement: Int
    public var followingIncrement: Int

    init(planID: Int64, rate: Rate) {
        self.planID = planID
        prefix = rate.prefix
        description = rate.description
        perMinuteMinorUnits = rate.perMinute.minorUnits
        connectionFeeMinorUnits = rate.connectionFee.minorUnits
        firstIncrement = rate.increments.first
        followingIncrement = rate.increments.following
    }

    func rate(currency: String) throws -> Rate {
        try Rate(prefix: prefix, description: description,
                 perMinute: Money(minorUnits: perMinuteMinorUnits, currency: currency),
                 connectionFee: Money(minorUnits: connectionFeeMinorUnits, currency: currency),
                 increments: BillingIncrements(first: firstIncrement, following: followingIncrement))
    }
}
