import Foundation

/// What outbound dialling needs beyond a call's own pieces, fixed for the server's
/// lifetime: the trunks, the SIP domain for our From URIs, and the B-leg billing hook.
struct DialPlan: Sendable {
    var trunks: TrunkSelector
    /// Host part of the From URI of outbound legs (`sip:<caller-id>@<domain>`).
    var domain: String
    var billing: (any OutboundLegBilling)?
}
