import Foundation

/// What outbound dialling needs beyond a call's own pieces: the trunks, the SIP domain
/// for our From URIs, the B-leg billing, and the registrar whose users are called on
/// their registered phones before any trunk. The server's plan is fixed for its
/// lifetime; a call dialling a billed forward hands its `DialSession` a copy whose
/// `billing` is that forward's (`ForwardLegBilling`).
struct DialPlan: Sendable {
    var trunks: TrunkSelector
    /// Host part of the From URI of outbound legs (`sip:<caller-id>@<domain>`).
    var domain: String
    /// Told of the B leg's answer and end; caps its time limit. The server's own hook
    /// (nil unless one is given) is replaced per dial by the call's billing.
    var billing: (any OutboundLegBilling)?
    /// Where the legs `billing` does not cover are recorded (a fork's losers, every leg of
    /// an unbilled dial): one CDR per leg tried. Nil without a store.
    var unbilledLegs: (any OutboundLegBilling)? = nil
    /// Asks the call's billing for a leg whose number is known only once the forward is
    /// resolved (a dialled user's forward number); nil: such legs are placed unbilled.
    var legGrants: (any OutboundLegGrants)? = nil
    /// A number that is a registered user's login goes to its best contact (DESIGN.md:
    /// "a user's port is its registered contacts: a call to the user goes there first").
    var registrations: RegistrationService?
    /// How a dialled user's account forwards its calls (forward number, mode, ring time),
    /// read off the SIP loop; nil (no accounts): only the registered phones ring.
    var forwarding: (any ForwardSettingsLookup)? = nil
    /// Caller-ID settings by campaign name (`caller-id`, `forward-caller-id`); a campaign
    /// not listed forwards the caller's ID.
    var callerIDRules: [String: CallerIDRule] = [:]
    /// `callback.max-participants`: a conference's seats, the A leg's included.
    var maxParticipants = ConferenceSession.defaultMaximumParticipants
}
