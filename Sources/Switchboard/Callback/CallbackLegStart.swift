import IVR
import Media
import SIP
import SIPStack

/// A callback's A leg, answered, handed to the script host (`InboundCall`): the call we
/// placed (its dialog, BYE either way, INFO), the media session already opened for our
/// SDP offer, the negotiated audio of the answer (RFC 3264 §5), and what the script
/// starts with.
struct CallbackLegStart {
    /// The answered outbound call; the host ends it with `hangup()`, and learns of the
    /// far end's BYE through `remoteHangup()` (wired by `OutboundScriptedCall`).
    let call: OutboundCall
    let media: MediaSession
    let negotiated: NegotiatedAudio
    /// `$caller`: the number called back. `$dnis`: the number that triggered the callback.
    let caller: String
    let dnis: String
    /// `$account`, when the trigger authenticated the account (ANI, DID): a script that
    /// starts past its `authenticate` node (e.g. `calling-card` at `main-menu`) finds it bound.
    let account: [String: IVRValue]?
    /// Where the script starts: a script of the library and a node; nil: the campaign
    /// script from its start.
    let script: IVRScript
    let node: String?
    /// The scripts a `goto`/`callback` may continue in.
    let library: ScriptLibrary
    /// The number the access leg is rated as (the number called back), for billing.
    let ratedNumber: String
    /// Told once, when the leg is over (after billing was told).
    let events: CallbackLegReporter
    /// Variables the script starts with: the caller's trust (we called the number, so
    /// `called-back`) and the access number's anumberhandling (`CallerTrust`).
    var variables: [String: IVRValue] = [:]
}

/// Where a leg running a script came from (`InboundCall` hosts both): a caller's INVITE
/// we answer, or a callback we placed that the user answered.
enum CallLegOrigin {
    case inbound(ServerTransaction)
    case callback(OutboundCall, CallbackLegReporter)
}
