import Foundation
import IVR

/// A call's `CallBilling` as the grants of a conference's parties: each party is rated
/// at the number its leg reaches and holds a reservation of its own before its INVITE
/// (`CallBilling.partyWillDial`), is cut at that reservation's talk time, and is settled
/// with its CDR when it ends (`ConferencePartyBilling`). A party that cannot be rated or
/// reserved is not called.
struct ConferencePartyGrants: OutboundLegGrants {
    let billing: CallBilling

    func grant(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int, share: Int,
               _ granted: @escaping @Sendable (OutboundLegGrant) -> Void) {
        let billing = self.billing
        billing.inOrder.submit {
            switch await billing.partyWillDial(number: number, callerID: callerID, limitSeconds: limitSeconds, share: share) {
            case .unbilled:
                granted(.unbilled)
            case let .granted(legID, seconds):
                granted(.granted(ConferencePartyBilling(billing: billing, legID: legID, maxDurationSeconds: seconds)))
            case let .refused(outcome, reason):
                granted(.refused(outcome, reason: reason))
            }
        }
    }
}

/// Where one conference party's answer and end go: its own reservation in the call's `CallBilling`.
struct ConferencePartyBilling: OutboundLegBilling {
    let billing: CallBilling
    let legID: Int64
    let maxDurationSeconds: Int?

    func outboundLegAnswered(at time: Date) {
        let billing = self.billing, legID = self.legID
        billing.inOrder.submit { await billing.partyAnswered(leg: legID, at: time) }
    }

    func outboundLegEnded(_ record: OutboundLegRecord) {
        let billing = self.billing, legID = self.legID
        billing.inOrder.submit { await billing.partyEnded(leg: legID, record) }
    }
}
