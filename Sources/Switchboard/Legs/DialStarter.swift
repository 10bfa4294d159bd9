import Foundation
import IVR
import Media
import NIOCore
import SIPStack

/// The server's `ForwardStarter`. A `dial` to one number is billed before it is placed:
/// the leg's billing reserves for the forward (jointly with a billed access leg) and opens
/// its B leg, or refuses (`out-of-credit`, or `failed` for a destination the plan lacks).
/// A conference's parties are each rated and reserved by `ConferencePartyGrants` as they
/// are placed. A call no account is bound to reaches only this service's users (recorded,
/// unbilled): its dial to any other number is refused before an INVITE (`TrunkLegAdmission`).
///
/// Confined to the SIP event loop.
final class DialStarter: ForwardStarter {
    private let plan: DialPlan?
    private let endpoint: SIPEndpoint
    private let registry: OutboundCallRegistry
    private let services: CallServices

    init(plan: DialPlan?, endpoint: SIPEndpoint, registry: OutboundCallRegistry, services: CallServices) {
        self.plan = plan
        self.endpoint = endpoint
        self.registry = registry
        self.services = services
    }

    var canDial: Bool { plan != nil }

    func startForward(_ request: DialRequest, context: CallContext, leg: any CallLegProtocol, billing: LegBilling?, log: CallLogger,
                      began: @escaping (any ForwardSession) -> Void, finish: @escaping (DialOutcome) -> Void) {
        let place = { [self] (legBilling: (any OutboundLegBilling)?) in
            guard let media = leg.media, var plan else { return finish(.failed) }
            if let legBilling { plan.billing = legBilling }
            began(makeForwardSession(request, aLeg: media, aLegCallID: leg.callID, plan: plan, context: context,
                                     billing: billing, log: log, finish: finish))
        }
        guard let billing, request.to.count == 1, let number = request.to.first else { return place(nil) }
        let callerID = request.callerID ?? context.caller
        let loop = endpoint.eventLoop
        let granted = UncheckedGrant(place: place, finish: finish)
        Task {
            let grant = await billing.forwardWillDial(number: number, callerID: callerID, request: request)
            loop.execute {
                switch grant {
                case .unbilled:
                    granted.place(nil)
                case let .granted(legID, seconds):
                    granted.place(billing.forwardLeg(legID: legID, maxDurationSeconds: seconds))
                case let .refused(outcome, reason):
                    log.event("dial refused", ["outcome": outcome.rawValue, "reason": reason])
                    granted.finish(outcome)
                }
            }
        }
    }

    /// The one place forwards are built: one number is a bridge (`DialSession`), several
    /// a conference (`ConferenceSession`).
    private func makeForwardSession(_ request: DialRequest, aLeg: MediaSession, aLegCallID: String, plan: DialPlan,
                                    context: CallContext, billing: LegBilling?, log: CallLogger,
                                    finish: @escaping (DialOutcome) -> Void) -> any ForwardSession {
        let services = self.services
        let callBilling = billing?.billing
        var plan = plan
        // A dialled user's forward number is rated where it leads, once the dial knows it;
        // each conference party is rated and reserved on its own.
        if let callBilling {
            plan.legGrants = request.to.count > 1 ? ConferencePartyGrants(billing: callBilling)
                                                  : CallBillingLegGrants(billing: callBilling)
        }
        let environment = DialEnvironment(
            aLeg: aLeg, plan: plan,
            launcher: OutboundLegLauncher(endpoint: endpoint, registry: registry, services: services, domain: plan.domain),
            log: log, context: context, aLegCallID: aLegCallID,
            balance: { context in await services.answer(.balance, context: context, billing: callBilling) })
        if request.to.count > 1 {
            return ConferenceSession(request: request, environment: environment, finish: finish)
        }
        return DialSession(request: request, environment: environment, finish: finish)
    }
}

/// The SIP-loop closures of one dial, carried through the billing `Task` and only called
/// back on the loop.
private struct UncheckedGrant: @unchecked Sendable {
    let place: ((any OutboundLegBilling)?) -> Void
    let finish: (DialOutcome) -> Void
}
