import Foundation

/// The billing of one forward's B leg, handed to the `DialSession` that places it: what
/// its reservation allows and where its answer and end go (the call's `CallBilling`,
/// which granted leg `legID` in `forwardWillDial`).
///
/// DialSession calls it on the SIP loop; each call is handed to the actor behind the
/// call's earlier events (`CallBilling.inOrder`). The end carries the answer time anyway.
struct ForwardLegBilling: OutboundLegBilling {
    let billing: CallBilling
    let legID: Int64
    let maxDurationSeconds: Int?

    func outboundLegAnswered(at time: Date) {
        let billing = self.billing, legID = self.legID
        billing.inOrder.submit { await billing.forwardAnswered(leg: legID, at: time) }
    }

    func outboundLegEnded(_ record: OutboundLegRecord) {
        let billing = self.billing, legID = self.legID
        billing.inOrder.submit { await billing.forwardEnded(leg: legID, record) }
    }
}
