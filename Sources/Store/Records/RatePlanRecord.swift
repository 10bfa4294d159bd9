import Foundation

/// A rate plan's header (table `ratePlan`); its rates are `RateRecord`s.
public struct RatePlanRecord: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var name: String
    public var currency: String
    public var chargesALeg: Bool
    /// Comma-separated prefixes the plan blocks (migration "v5 blocked prefixes").
    public var blockedPrefixes: String = ""
    public var updatedAt: Date

    public var blockedPrefixList: [String] { blockedPrefixes.split(separator: ",").map(String.init) }
}
