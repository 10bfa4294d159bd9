import Foundation
import IVR
import Media
import NIOCore

/// What a `dial` works with on the A leg that asked for it, the same for a two-party
/// forward and a conference: the A leg's media, the dial plan (its billing included),
/// the launcher of outbound legs, the call's logger and variables, and where the
/// `say-balance` key asks for the balance.
struct DialEnvironment {
    let aLeg: MediaSession
    let plan: DialPlan
    let launcher: OutboundLegLauncher
    let log: CallLogger
    /// The A leg's script variables at dial time.
    let context: CallContext
    let aLegCallID: String
    let balance: @Sendable (CallContext) async -> ServiceResult

    var services: CallServices { launcher.services }
    var loop: any EventLoop { launcher.endpoint.eventLoop }

    /// The leg record of an outbound leg of this dial, when it is over.
    func record(callID: String, route: TrunkSelector.Route?, dialled: String, callerID: String, startedAt: Date,
                answeredAt: Date?, outcome: DialOutcome, sipStatus: Int?) -> OutboundLegRecord {
        OutboundLegRecord(callID: callID, aLegCallID: aLegCallID, context: context, trunk: route?.trunk ?? "",
                          dialled: route?.dialled ?? dialled, number: route?.number ?? dialled, callerID: callerID,
                          startedAt: startedAt, answeredAt: answeredAt, endedAt: Date(), outcome: outcome,
                          sipStatus: sipStatus)
    }

    /// Where a leg nobody reserved for is recorded: a fork's losers, and every leg of an
    /// unbilled dial (one CDR per leg tried, at no charge).
    var unbilledLegs: (any OutboundLegBilling)? { plan.unbilledLegs }
}
