import Billing
import Foundation

/// Rate plans and their rates.
public protocol RateStore: Sendable {
    /// Replaces the plan's rates with `rates` (creating the plan if new), all or nothing.
    /// Returns the number of rates stored.
    @discardableResult
    func importRates(plan: String, currency: String, chargesALeg: Bool, rates: [Rate], blockedPrefixes: [String],
                     at now: Date) throws -> Int
    /// The plan ready for lookups (cached until the next import), or nil if unknown.
    func ratePlan(named name: String) throws -> RatePlan?
    func ratePlans() throws -> [RatePlanRecord]
}

extension RateStore {
    /// A plan that blocks no prefix.
    @discardableResult
    public func importRates(plan: String, currency: String, chargesALeg: Bool, rates: [Rate], at now: Date) throws -> Int {
        try importRates(plan: plan, currency: currency, chargesALeg: chargesALeg, rates: rates, blockedPrefixes: [], at: now)
    }
}
