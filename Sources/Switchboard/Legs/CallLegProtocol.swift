import Foundation
import IVR
import Media
import NIOCore

/// One party's side of a call that a script runs on, whatever placed it: an INVITE we
/// answer (`InboundCallLeg` over `InboundSession`) or a call we placed that was answered
/// (`PlacedCallLeg` over `OutboundCall`). `ScriptedLeg` sees only this, so inbound calls,
/// callbacks and future API/web/SMS legs run the same code.
///
/// Confined to the SIP event loop; the delegate is told there. (Named so beside
/// `Store.CallLeg`, the CDR record of a leg.)
protocol CallLegProtocol: AnyObject {
    /// The Call-ID of the leg's dialog (logs, the B legs' records).
    var callID: String { get }
    /// The leg's audio, once it has a media session (a forward bridges it).
    var media: MediaSession? { get }
    var delegate: (any CallLegDelegate)? { get set }
    /// Starts the leg: an inbound one rings/answers, a placed one (already answered)
    /// reports `legAnswered` and `legReady` at once.
    func begin()
    /// Plays prompts back to back; `legPlaybackFinished(token)` follows.
    func play(_ prompts: [Prompt], token: UInt64)
    func stopPlayback()
    /// Ends the leg (refusal before the answer, BYE after it) with this cause; the
    /// delegate is not told `legEnded` for our own hang-up.
    func hangup(cause: HangupCause)
}

/// What a `CallLegProtocol` tells the script running on it.
protocol CallLegDelegate: AnyObject {
    /// The leg is answered (billable from now).
    func legAnswered(at time: Date)
    /// Audio flows both ways: the script may start.
    func legReady()
    func legDigit(_ digit: Character, source: DTMFSource)
    func legPlaybackFinished(_ token: UInt64)
    /// The leg ended without our asking (BYE, CANCEL, no ACK, an offer we could not answer).
    func legEnded(_ ending: CallLegEnding)
}

/// How a leg ended that we did not hang up, as the call log tells it.
struct CallLegEnding: Equatable {
    enum Side: String {
        case caller, server
    }

    /// Who ended it: the caller (BYE, CANCEL), or the server (no ACK, a refusal).
    var by: Side
    /// `normal`, `cancelled`, or a `HangupCause` / refusal name.
    var cause: String
    var reason: String?

    static let remoteHangup = CallLegEnding(by: .caller, cause: "normal", reason: nil)

    /// `media.rtp-timeout` ran out: the server ends the leg.
    static func mediaTimeout(after silence: TimeAmount) -> CallLegEnding {
        CallLegEnding(by: .server, cause: "media-timeout",
                      reason: "no RTP or RTCP for \(silence.nanoseconds / 1_000_000_000) s")
    }

    /// The BYE's Reason for it: Q.850 102, recovery on timer expiry.
    static let mediaTimeoutQ850 = 102
}
