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
