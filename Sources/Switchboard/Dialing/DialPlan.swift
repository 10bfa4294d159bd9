import Foundation

/// What outbound dialling needs beyond a call's own pieces, fixed for the server's
/// lifetime: the trunks, the SIP domain for our From URIs, the B-leg billing hook, and
/// the registrar whose users are called on their registered phones before any trunk.
struct DialPlan: Sendable {
    var trunks: TrunkSelector
    /// Host part of the From URI of outbound legs (`sip:<caller-id>@<domain>`).
    var domain: String
    var billing: (any OutboundLegBilling)?
    /// A number that is a registered user's login goes to its best contact (DESIGN.md:
    /// "a user's port is its registered contacts: a call to the user goes there first").
    var registrations: RegistrationService?
}
