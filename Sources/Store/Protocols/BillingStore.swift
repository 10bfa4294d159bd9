import Billing
import Foundation

/// Reservations, call legs and settlement: the money side of a call.
///
/// Callers use the intents (the first group): each is ONE write transaction that leaves
/// money consistent (a reservation never without the legs it pays for, a leg never without
/// its grant, a charge always with its ledger entry and balance), so no caller can leave
/// money half-written. The life of a billed call: `openAccessLeg` → (`openForward` →
/// `recordAnswer` → `closeForward`)* with `recordProgress` heartbeats → `settle`. After a
/// crash, `recoverOpenLegs` settles whatever was left open, from what was recorded.
///
/// The steps below the intents (`reserve`, `reserveForCall`, `openLeg`, `settleLeg`) are
/// single transactions too, each consistent alone; prefer the intents when a call needs
/// more than one of them.
public protocol BillingStore: Sendable {
    // MARK: Intents

    /// Bills a call's access leg: reserves the cost of its longest affordable talk (from its
    /// answer, at most `request.limit` seconds), opens the leg as an answered CDR in progress
    /// granted that time, in one transaction. Refused (nothing affordable, a limit, a locked
    /// account): no money is held and the leg's CDR is written as out-of-credit, unbilled.
    /// Throws `RateError.noRate` (nothing written) when the plan does not rate the number.
    func openAccessLeg(_ request: AccessLegRequest, at now: Date) throws -> AccessLegOutcome
    /// A call's access leg changes payer (a PIN callback's A leg, placed on the house account
    /// before anyone was known, once the PIN names the user), in one transaction: reservation
    /// `id` is settled as `settle` would, its leg ending as `ending` says, and the leg goes on
    /// as a new access leg of `request`'s account (as `openAccessLeg`; refused, its CDR is
    /// written out-of-credit). Throws `RateError.noRate` (nothing written) when the new plan
    /// does not rate the number.
    func handOverAccessLeg(reservation id: Int64, _ ending: LegEnding, to request: AccessLegRequest,
                           at now: Date) throws -> AccessLegHandover
    /// Reserves for a forward's B leg and opens it as a CDR in progress, in one transaction.
    /// With `request.accessLeg`, the access leg's reservation is resized to pay for both legs
    /// (its amount counts as available) and the access leg's grant moves with it; otherwise
    /// the forward gets a reservation of its own. Refused: nothing is written.
    func openForward(_ request: ForwardRequest, at now: Date) throws -> ForwardOutcome
    /// Resizes reservation `id` to what its open access leg `leg` alone may cost from its
    /// answer, up to `limit` seconds from the answer (a conference keeps the rest for its
    /// parties), and grants the leg that time (one transaction). Refused: nothing changes.
    func resizeAccessLeg(reservation id: Int64, leg: Int64, plan: RatePlan, limit: Int, at now: Date) throws -> AccessLegResize
    /// Closes a forward's B leg as it ended, in one transaction: when it shares reservation
    /// `id` with the open access leg, it is charged alone (as `settleLeg`) and, given the
    /// access leg's plan, the reservation shrinks back to the access leg alone (as
    /// `resizeAccessLeg`); when the reservation is the forward's own, it is settled whole.
    func closeForward(reservation id: Int64, _ ending: LegEnding, accessLegPlan: RatePlan?,
                      at now: Date) throws -> ForwardClosing

    // MARK: Steps

    /// Balance minus open reservations.
    func freeBalance(account id: Int64) throws -> Money
    /// Atomically sets `amount` aside if the free balance covers it and the account's
    /// concurrency and daily-spend limits allow another call.
    func reserve(account id: Int64, amount: Money, maxDurationSeconds: Int?, call: CallContext,
                 at now: Date) throws -> ReservationOutcome
    /// The dial step's reservation, in one transaction: computes the maximum duration of a
    /// call to `bNumber` (with the A leg's cost when the plan charges it) from what the
    /// account can commit — free balance, or less under its daily limit — capped at `limit`
    /// seconds, and reserves exactly its cost. With `replacing`, that open reservation of
    /// the same call (e.g. made when the A leg was dialled) is resized instead of adding
    /// one, and its own amount counts as available. Refused when not even the first
    /// increment is affordable. Throws `RateError.noRate` for a destination the plan lacks.
    func reserveForCall(account id: Int64, plan: RatePlan, aLeg: ALegCharge?, bNumber: String, limit: Int,
                        call: CallContext, replacing existing: Int64?, at now: Date) throws -> CallReservationOutcome
    func openReservations(account id: Int64) throws -> [Reservation]
    /// Records a leg being dialled under a reservation (a CDR in progress).
    func openLeg(reservation id: Int64, _ leg: NewCallLeg) throws -> CallLeg
    func recordAnswer(leg id: Int64, at time: Date) throws
    /// Heartbeat: the legs are still up at `time`. Recovery bills open legs up to this.
    func recordProgress(legs ids: [Int64], at time: Date) throws
    /// The "settle call" intent: closes the reservation's legs as described (open legs not
    /// listed end at `now`), prices them from their recorded rates (never beyond a leg's
    /// granted seconds: the access leg is capped too), writes the CDRs, charges the total
    /// with its ledger entry and releases the rest, all in one transaction. Settling twice
    /// throws `reservationAlreadySettled`.
    func settle(reservation id: Int64, endings: [LegEnding], at now: Date) throws -> Settlement
    /// Closes one leg of a call whose other leg goes on (a forward ended by `#11`, a busy
    /// or hung-up callee): prices it from its recorded rate and writes its CDR, its ledger
    /// entry and the new balance in one transaction. The leg moves to a reservation of its
    /// own, settled at once (each reservation has at most one ledger entry), which the
    /// returned settlement describes. Reservation `id` stays open for the legs left, its
    /// amount lowered by what was charged (spent now, no longer held), so the free balance
    /// never counts it twice. Throws `StoreError.legNotInReservation` for another call's
    /// leg and `LegSettlementError.legAlreadyClosed` for a leg closed before.
    func settleLeg(reservation id: Int64, _ ending: LegEnding, at now: Date) throws -> Settlement
    /// At start-up: settles every open reservation, closing its open legs as
    /// `interrupted` at their last recorded progress (or answer) time. With several nodes
    /// (`PostgresStore`), only the reservations of this node and of nodes whose lease ran
    /// out (`NodeLeaseStore`): a live node's calls are left alone.
    func recoverOpenLegs(at now: Date) throws -> [Settlement]
}

/// Why `settleLeg` refused. (Kept apart from `StoreError`, which other parts own; it may
/// join it.)
public enum LegSettlementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The leg was settled before (by `settleLeg` or with its reservation).
    case legAlreadyClosed(Int64)

    public var description: String {
        switch self {
        case let .legAlreadyClosed(id): return "call leg \(id) is already closed and charged"
        }
    }
}
