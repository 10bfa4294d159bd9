import Foundation

/// How answered seconds become billed seconds: a first increment, then following
/// increments, each rounded up. "60/60" bills whole minutes; "30/6" bills at least 30 s
/// then 6 s blocks; "1/1" bills per second.
public struct BillingIncrements: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Seconds billed as soon as a call is answered and lasts at least one second.
    public var first: Int
    /// Block size, in seconds, after the first increment.
    public var following: Int

    /// Both increments must be at least one second.
    public init(first: Int, following: Int) throws(RateError) {
        guard first >= 1 else { throw .invalidIncrement(first, which: "first increment") }
        guard following >= 1 else { throw .invalidIncrement(following, which: "increment") }
        self.first = first
        self.following = following
    }

    public static let perMinute = try! BillingIncrements(first: 60, following: 60)
    public static let perSecond = try! BillingIncrements(first: 1, following: 1)

    /// Billed seconds for `answeredSeconds` of talk.
    ///
    /// A call with 0 answered seconds (never answered, or answered and hung up within the
    /// same second) is not charged: it bills 0 seconds, and `Rate.cost` charges no
    /// connection fee for it. Otherwise the first increment is billed whole, and the rest is
    /// rounded up to a multiple of the following increment.
    public func billedSeconds(forAnswered answeredSeconds: Int) -> Int {
        guard answeredSeconds > 0 else { return 0 }
        guard answeredSeconds > first else { return first }
        let rest = answeredSeconds - first
        let blocks = (rest + following - 1) / following
        return first + blocks * following
    }

    /// "30/6".
    public var description: String { "\(first)/\(following)" }
}
