import Foundation
import IVR

/// Where an outbound leg (a forward's B leg) is billed, as call control sees it. Call
/// control computes no money: the billing (per call, `ForwardLegBilling` over the call's
/// `CallBilling`) reserved for the leg before it was placed, and is told when it is
/// answered and how it ended; it rates and settles the leg with its CDR.
///
/// Called on the SIP event loop: implementations must return at once and do their
/// database work elsewhere (a `Task`).
public protocol OutboundLegBilling: Sendable {
    /// Talk seconds the money set aside for this leg pays for: the dial's time limit is
    /// never longer (nil: billing sets no limit).
    var maxDurationSeconds: Int? { get }
    /// The leg was answered at `time` (RFC 3261 §13.2.2.4: the 2xx): it is billed from here.
    func outboundLegAnswered(at time: Date)
    /// The leg is over; `record.answeredAt` and `endedAt` are what it is billed on.
    func outboundLegEnded(_ record: OutboundLegRecord)
}

extension OutboundLegBilling {
    /// A hook that only wants the finished record sets no limit and ignores answers.
    public var maxDurationSeconds: Int? { nil }
    public func outboundLegAnswered(at time: Date) {}
}

/// Where a dial asks for the billing of one more outbound leg, once it knows the number
/// the leg actually reaches: a dial to a user's login rings the user's phones (no
/// charge: they are this service's own) and, by its forward mode, its forward number,
/// which is rated and reserved at that number before it is placed. A leg that cannot be
/// rated or reserved is not placed.
///
/// Called on the SIP event loop; the answer comes back through `granted` on any thread.
protocol OutboundLegGrants: Sendable {
    /// - Parameter share: how many legs of the dial still ask for money, this one
    ///   included: a conference party is held to its share of the free balance, so the
    ///   first party called cannot take it all.
    func grant(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int, share: Int,
               _ granted: @escaping @Sendable (OutboundLegGrant) -> Void)
}

extension OutboundLegGrants {
    /// One leg asking alone (a bridge, a fork's forward number).
    func grant(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int,
               _ granted: @escaping @Sendable (OutboundLegGrant) -> Void) {
        grant(number: number, callerID: callerID, limitSeconds: limitSeconds, ringTimeoutSeconds: ringTimeoutSeconds,
              share: 1, granted)
    }
}

/// What the billing says about one outbound leg before it is placed.
enum OutboundLegGrant: Sendable {
    /// Nobody is billed for this call (no account bound): place it unbilled.
    case unbilled
    /// Money is set aside: place it, billed through `billing` (its time limit included).
    case granted(any OutboundLegBilling)
    /// Do not place it: no rate, no credit, or a store error.
    case refused(DialOutcome, reason: String)
}
