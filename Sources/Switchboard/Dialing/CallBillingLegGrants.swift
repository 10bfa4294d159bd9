import Foundation
import IVR

/// A call's `CallBilling` as the grants of its dial's legs: each is reserved and opened
/// as the forward's B leg (`forwardWillDial`) and billed through `ForwardLegBilling`.
/// `CallBilling` keeps one forward at a time, which is what a dial rings: the user's own
/// phones cost nothing and the one forward number is the one billed leg.
struct CallBillingLegGrants: OutboundLegGrants {
    let billing: CallBilling

    func grant(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int, share: Int,
               _ granted: @escaping @Sendable (OutboundLegGrant) -> Void) {
        let billing = self.billing
        billing.inOrder.submit {
            let grant = await billing.forwardWillDial(number: number, callerID: callerID, limitSeconds: limitSeconds,
                                                      ringTimeoutSeconds: ringTimeoutSeconds)
            switch grant {
            case .unbilled:
                granted(.unbilled)
            case let .granted(legID, seconds):
                granted(.granted(ForwardLegBilling(billing: billing, legID: legID, maxDurationSeconds: seconds)))
            case let .refused(outcome, reason):
                granted(.refused(outcome, reason: reason))
            }
        }
    }
}
