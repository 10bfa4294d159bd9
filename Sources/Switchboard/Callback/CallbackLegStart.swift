import IVR
import Media
import SIP
import SIPStack
import Store

/// A callback's A leg, answered, handed to `ScriptedLegFactory.startCallback`: the call we
/// placed (its dialog, BYE either way, INFO), the media session already opened for our
/// SDP offer, the negotiated audio of the answer (RFC 3264 §5), and what the script
/// starts with.
struct CallbackLegStart {
    /// How the leg was billed before its INVITE (`CallbackALegGrants`): the reservation
    /// the call adopts (`placed`; nil: none held), and where an unreserved leg's CDR goes.
    /// Nil: placed without billing (no store).
    struct Placement {
        var placed: CallBillingMachine.PlacedAccessLeg?
        var record: CallbackALegRecord
    }

    let placement: Placement?
    /// The answered outbound call (`PlacedCallLeg` wraps it: BYE either way, INFO).
    let call: OutboundCall
    let media: MediaSession
    let negotiated: NegotiatedAudio
    /// `$caller`: the number called back. `$dnis`: the number that triggered the callback.
    let caller: String
    let dnis: String
    /// `$account`, when the trigger authenticated the account (ANI, DID): a script that
    /// starts past its `authenticate` node (e.g. `calling-card` at `balance`) finds it bound.
    let account: [String: IVRValue]?
    /// Where the script starts: a script of the library and a node; nil: the campaign
    /// script from its start.
    let script: IVRScript
    let node: String?
    /// The scripts a `goto`/`callback` may continue in.
    let library: ScriptLibrary
    /// The number the access leg is rated as (the number called back), for billing.
    let ratedNumber: String
    /// `$request`: the request that started the leg (`RequestVariables`).
    let request: IVRValue
    /// What queued the request: the leg's CDR says so.
    let trigger: CallTrigger
    /// Variables the script starts with: what the campaign sets (`$language`), the caller's
    /// trust (we called the number, so `called-back`) and the anumberhandling (`CallerTrust`).
    let callVariables: [String: IVRValue]
    /// Told the leg's progress, and once when it is over (after billing settled).
    let events: CallbackLegReporter
}
