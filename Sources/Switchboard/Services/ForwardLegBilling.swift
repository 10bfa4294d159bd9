import Foundation

/// The billing of one forward's B leg, handed to the `DialSession` that places it: what
/// its reservation allows and where its answer and end go (the call's `CallBilling`,
/// which granted leg `legID` in `forwardWillDial`).
///
/// DialSession calls it on the SIP loop; each call only starts a `Task` to the actor. The
/// answer and end may reach the actor in either order: the end carries the answer time,
/// so billing never depends on which comes first.
struct ForwardLegBilling: OutboundLegBilling {
    let billing: CallBilling
    let legID: Int64
    let maxDurationSeconds: Int?

    func outboundLegAnswered(at time: Date) {
        let billing = self.billing, legID = self.legID
        Task { await billing.forwardAnswered(leg: legID, at: time) }
    }

    func outboundLegEnded(_ record: OutboundLegRecord) {
        let billing = self.billing, legID = self.legID
        Task { await billing.forwardEnded(leg: legID, record) }
    }
}
