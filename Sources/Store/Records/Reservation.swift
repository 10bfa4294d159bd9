import Billing
import Foundation

/// Money set aside for a call before it is placed (table `reservation`). Open reservations
/// are deducted from the free balance, so parallel calls cannot spend the same credit;
/// settling one charges the real cost and releases the rest.
public struct Reservation: Codable, Sendable, Hashable, Identifiable {
    public enum State: String, Codable, Sendable { case open, settled }

    public var id: Int64?
    public var accountID: Int64
    public var amountMinorUnits: Int64
    public var currency: String
    /// The talk time the amount pays for; settlement never bills a leg for longer.
    public var maxDurationSeconds: Int?
    public var campaign: String?
    public var trigger: String?
    public var state: State
    /// What settlement charged (nil while open).
    public var chargedMinorUnits: Int64?
    public var createdAt: Date
    public var settledAt: Date?

    public var amount: Money { Money(minorUnits: amountMinorUnits, currency: currency) }
    public var charged: Money? { chargedMinorUnits.map { Money(minorUnits: $0, currency: currency) } }
}

/// What a call is, as far as a reservation cares: for CDRs and reports.
public struct CallContext: Sendable, Hashable {
    public var campaign: String?
    /// What started the call: "web", "api", "spool", "sms", "ani", "pin", "did", "card".
    public var trigger: String?
    public init(campaign: String? = nil, trigger: String? = nil) {
        self.campaign = campaign
        self.trigger = trigger
    }
}

/// The answer to a reservation request.
public enum ReservationOutcome: Sendable, Hashable {
    case reserved(Reservation)
    case refused(ReservationRefusal)

    public var reservation: Reservation? {
        if case let .reserved(reservation) = self { return reservation }
        return nil
    }
}

/// Why money could not be reserved.
public enum ReservationRefusal: Sendable, Hashable, CustomStringConvertible {
    case insufficientFunds(free: Money, requested: Money)
    case concurrencyLimitReached(limit: Int)
    case dailySpendLimitReached(limit: Money, spentAndReserved: Money)
    case accountLocked

    public var description: String {
        switch self {
        case let .insufficientFunds(free, requested): return "insufficient funds: \(free) free, \(requested) requested"
        case let .concurrencyLimitReached(limit): return "concurrent call limit of \(limit) reached"
        case let .dailySpendLimitReached(limit, spent): return "daily spend limit \(limit) reached (\(spent) spent or reserved today)"
        case .accountLocked: return "account locked"
        }
    }
}

/// The A leg of a callback, when its cost must be counted in a reservation: the number it
/// went to (for its rate) and how long it has been answered already.
public struct ALegCharge: Sendable, Hashable {
    public var number: String
    public var elapsedSeconds: Int
    public init(number: String, elapsedSeconds: Int) {
        self.number = number
        self.elapsedSeconds = elapsedSeconds
    }
}

/// The answer to `reserveForCall`: the reservation and how long the call may last.
public enum CallReservationOutcome: Sendable, Hashable {
    case reserved(Reservation, MaximumDuration?)
    case refused(ReservationRefusal)

    public var reservation: Reservation? {
        if case let .reserved(reservation, _) = self { return reservation }
        return nil
    }

    /// Seconds the B leg may talk; nil when refused.
    public var maximumDuration: MaximumDuration? {
        if case let .reserved(_, duration) = self { return duration }
        return nil
    }
}
