import Foundation
import IVR

/// Where the B leg of a forward is billed: the hook call control calls once per
/// outbound leg when it is over. Call control computes no money; a billing desk (the
/// Store's, for instance) rates `record` (billed seconds from `answeredAt` to
/// `endedAt`, the dialled number's rate) and settles it with the CDR.
///
/// Called on the SIP event loop: implementations must return at once and do their
/// database work elsewhere (a `Task`).
public protocol OutboundLegBilling: Sendable {
    func outboundLegEnded(_ record: OutboundLegRecord)
}
