import Billing
import Foundation

/// How a leg ended, as exported in CDRs.
public enum CallDisposition: String, Codable, Sendable, CaseIterable {
    /// Still open: being dialled or talking.
    case inProgress = "in-progress"
    case answered
    case busy
    case noAnswer = "no-answer"
    case failed
    case cancelled
    /// Cut because the reserved credit ran out.
    case outOfCredit = "out-of-credit"
    /// Closed at start-up after the process died during the call (see `recoverOpenLegs`).
    case interrupted
}

/// One leg of a call and, once closed, its CDR (table `callLeg`).
///
/// The rate is copied onto the leg when it is opened, so the CDR says what was applied
/// even if the plan changes later, and recovery after a crash can price the leg alone.
public struct CallLeg: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var accountID: Int64?
    public var reservationID: Int64?
    public var campaign: String?
    public var trigger: String?
    public var leg: Leg
    public var fromNumber: String
    public var toNumber: String
    public var startedAt: Date
    public var answeredAt: Date?
    /// Last time the call was known alive (heartbeat); what recovery bills up to.
    public var lastProgressAt: Date?
    public var endedAt: Date?
    public var ratePrefix: String?
    public var ratePerMinuteMinorUnits: Int64?
    public var connectionFeeMinorUnits: Int64?
    public var firstIncrement: Int?
    public var followingIncrement: Int?
    /// False for an A leg on a plan that does not charge A legs.
    public var charged: Bool
    public var billedSeconds: Int
    public var costMinorUnits: Int64
    public var currency: String
    public var disposition: CallDisposition
    /// Final SIP status code (RFC 3261 §21), when the leg ended with one.
    public var sipCause: Int?
    public var isOpen: Bool
    /// Talk seconds from the answer that the leg's reservation pays for (where the call is
    /// cut); settlement never bills the leg beyond them. Nil on unbilled legs and on legs
    /// written before migration v6.
    public var grantedSeconds: Int?

    public var cost: Money { Money(minorUnits: costMinorUnits, currency: currency) }

    /// The rate copied onto the leg, if it was rated.
    public var rate: Rate? {
        guard let ratePrefix, let ratePerMinuteMinorUnits, let connectionFeeMinorUnits,
              let firstIncrement, let followingIncrement,
              let increments = try? BillingIncrements(first: firstIncrement, following: followingIncrement)
        else { return nil }
        return try? Rate(prefix: ratePrefix, description: "",
                         perMinute: Money(minorUnits: ratePerMinuteMinorUnits, currency: currency),
                         connectionFee: Money(minorUnits: connectionFeeMinorUnits, currency: currency),
                         increments: increments)
    }
}

/// A leg about to be dialled, under a reservation.
public struct NewCallLeg: Sendable, Hashable {
    public var leg: Leg
    public var fromNumber: String
    public var toNumber: String
    public var startedAt: Date
    /// The rate that applies (from `RatePlan.quote`/`rate(for:)`); nil for an unrated leg
    /// (e.g. to the user's own softphone).
    public var rate: Rate?
    /// Whether the plan charges this leg (A legs only on plans that say so).
    public var charged: Bool

    public init(leg: Leg, fromNumber: String, toNumber: String, startedAt: Date, rate: Rate?, charged: Bool) {
        self.leg = leg
        self.fromNumber = fromNumber
        self.toNumber = toNumber
        self.startedAt = startedAt
        self.rate = rate
        self.charged = charged
    }
}

/// How a leg ended, reported at settlement.
public struct LegEnding: Sendable, Hashable {
    public var legID: Int64
    public var endedAt: Date
    public var disposition: CallDisposition
    public var sipCause: Int?

    public init(legID: Int64, endedAt: Date, disposition: CallDisposition, sipCause: Int? = nil) {
        self.legID = legID
        self.endedAt = endedAt
        self.disposition = disposition
        self.sipCause = sipCause
    }
}

/// The outcome of settling a reservation.
public struct Settlement: Sendable, Hashable {
    public var reservation: Reservation
    public var legs: [CallLeg]
    /// Amount taken from the balance (sum of the legs' costs).
    public var charged: Money
    public var balanceAfter: Money
}

/// A finished leg with no charge and no reservation, for `CDRStore.recordUnbilledLeg`.
public struct UnbilledCallLeg: Sendable, Hashable {
    public var accountID: Int64?
    public var campaign: String?
    public var trigger: String?
    public var leg: Leg
    public var fromNumber: String
    public var toNumber: String
    public var startedAt: Date
    public var answeredAt: Date?
    public var endedAt: Date
    public var disposition: CallDisposition
    public var sipCause: Int?

    public init(accountID: Int64?, campaign: String?, trigger: String?, leg: Leg, fromNumber: String, toNumber: String,
                startedAt: Date, answeredAt: Date? = nil, endedAt: Date, disposition: CallDisposition, sipCause: Int? = nil) {
        self.accountID = accountID
        self.campaign = campaign
        self.trigger = trigger
        self.leg = leg
        self.fromNumber = fromNumber
        self.toNumber = toNumber
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.disposition = disposition
        self.sipCause = sipCause
    }
}
