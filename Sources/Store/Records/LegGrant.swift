import Billing
import Foundation

/// A leg opened with money behind it, as one `BillingStore` intent left it: the reservation
/// that pays for it (as it stands after the write), the leg's CDR row in progress, and the
/// talk seconds from the leg's answer that the reservation pays for (where it must be cut;
/// settlement never bills it beyond them).
public struct LegGrant: Sendable, Hashable {
    public var reservation: Reservation
    public var leg: CallLeg
    public var grantedSeconds: Int

    public init(reservation: Reservation, leg: CallLeg, grantedSeconds: Int) {
        self.reservation = reservation
        self.leg = leg
        self.grantedSeconds = grantedSeconds
    }

    public var reservationID: Int64 { reservation.id ?? 0 }
    public var legID: Int64 { leg.id ?? 0 }
}

/// The answer to `BillingStore.openAccessLeg`.
public enum AccessLegOutcome: Sendable, Hashable {
    /// Reserved, and the access leg is open and answered under the reservation.
    case opened(LegGrant)
    /// Nothing could be reserved; the access leg's CDR was written as out-of-credit,
    /// unbilled, and no money is held.
    case refused(ReservationRefusal, cdr: CallLeg)
}

/// The answer to `BillingStore.handOverAccessLeg`: what the first payer was charged for the
/// leg so far, and the leg as the new payer opened it (or why they could not).
public struct AccessLegHandover: Sendable, Hashable {
    public var settled: Settlement
    public var opened: AccessLegOutcome

    public init(settled: Settlement, opened: AccessLegOutcome) {
        self.settled = settled
        self.opened = opened
    }
}

/// The access leg of a call being billed, for `BillingStore.openAccessLeg`.
public struct AccessLegRequest: Sendable {
    public var accountID: Int64
    /// The account's plan: it must charge A legs and rate `accessNumber`.
    public var plan: RatePlan
    /// The CDR's `from`.
    public var caller: String
    /// The number dialled, which the access leg is rated as.
    public var accessNumber: String
    public var startedAt: Date
    /// The talk time (and the granted seconds) count from here. Nil: the leg is reserved
    /// before it is placed (a callback's A leg, before its INVITE) and `recordAnswer` marks
    /// its answer later; refused, its CDR is then written as never answered.
    public var answeredAt: Date?
    public var call: CallContext
    /// Most talk seconds granted, whatever the balance.
    public var limit: Int

    public init(accountID: Int64, plan: RatePlan, caller: String, accessNumber: String, startedAt: Date,
                answeredAt: Date?, call: CallContext, limit: Int = MaximumDuration.defaultLimit) {
        self.accountID = accountID
        self.plan = plan
        self.caller = caller
        self.accessNumber = accessNumber
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.call = call
        self.limit = limit
    }
}

/// A forward's B leg about to be dialled, for `BillingStore.openForward`.
public struct ForwardRequest: Sendable {
    public var accountID: Int64
    public var plan: RatePlan
    /// The number dialled (rated by `plan`).
    public var number: String
    /// The CDR's `from`: the caller ID presented to the callee.
    public var callerID: String
    /// Most talk seconds granted to the B leg (the script's cap, at most the default limit).
    public var limit: Int
    public var call: CallContext
    /// The billed access leg of the same call, when there is one: its reservation is resized
    /// to pay for both legs instead of a second reservation being made.
    public var accessLeg: AccessLegShare?

    public init(accountID: Int64, plan: RatePlan, number: String, callerID: String,
                limit: Int = MaximumDuration.defaultLimit, call: CallContext, accessLeg: AccessLegShare?) {
        self.accountID = accountID
        self.plan = plan
        self.number = number
        self.callerID = callerID
        self.limit = limit
        self.call = call
        self.accessLeg = accessLeg
    }
}

/// The access leg sharing a forward's reservation, and how much of it is spent before the
/// B leg can talk (seconds since its answer, plus the B leg's ring time).
public struct AccessLegShare: Sendable, Hashable {
    public var reservationID: Int64
    public var legID: Int64
    public var elapsedSeconds: Int

    public init(reservationID: Int64, legID: Int64, elapsedSeconds: Int) {
        self.reservationID = reservationID
        self.legID = legID
        self.elapsedSeconds = elapsedSeconds
    }
}

/// The answer to `BillingStore.openForward`.
public enum ForwardOutcome: Sendable, Hashable {
    /// The B leg is open under `grant.reservation`. When it shares the access leg's
    /// reservation, `accessLegSeconds` is the access leg's new grant (from its answer):
    /// its elapsed time plus the B leg's talk.
    case opened(LegGrant, accessLegSeconds: Int?)
    /// Nothing was written: the reservations are as they were.
    case refused(ReservationRefusal)
}

/// The access leg's reservation after `BillingStore.resizeAccessLeg` (or a forward closed).
public enum AccessLegResize: Sendable, Hashable {
    case resized(Reservation, grantedSeconds: Int)
    /// Not even the access leg's next increment is affordable: the reservation and the
    /// leg's grant are left as they were (its cut stands, or comes now).
    case refused(ReservationRefusal)
}

/// The answer to `BillingStore.closeForward`.
public struct ForwardClosing: Sendable, Hashable {
    /// The B leg's charge (its own settled reservation when it shared the access leg's).
    public var settlement: Settlement
    /// The access leg's reservation shrunk back to the access leg alone; nil when the
    /// forward had a reservation of its own.
    public var accessLeg: AccessLegResize?

    public init(settlement: Settlement, accessLeg: AccessLegResize?) {
        self.settlement = settlement
        self.accessLeg = accessLeg
    }
}
