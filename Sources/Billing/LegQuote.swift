import Foundation

/// The price of one leg: which rate matched, how many seconds are billed and what they cost.
public struct LegQuote: Sendable, Hashable {
    public var leg: Leg
    public var number: String
    public var rate: Rate
    public var answeredSeconds: Int
    public var billedSeconds: Int
    /// False for an A leg on a plan that does not charge A legs; `cost` is then zero.
    public var charged: Bool
    public var cost: Money
}
