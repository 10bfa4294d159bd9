import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// The media steps every outbound leg of a `dial` shares, whether it is bridged (one
/// number) or joins a conference (several): on the answer the negotiated media started
/// on the leg's session (RFC 3264 §6: the answer picks the codec and the address we send
/// to), and on a re-INVITE the session following the leg's new address (RFC 3264 §8).
/// Placing the leg is `OutboundLegLauncher`'s.
///
/// Pure helpers over the leg's pieces; the caller keeps the state.
enum OutboundLegMedia {
    /// Why an answered leg's media could not be started.
    enum Failure: Error, CustomStringConvertible, Equatable {
        /// The 2xx carried no SDP (and our INVITE had the offer, RFC 3264 §5).
        case noAnswerSDP
        /// The answer's SDP does not fit our offer, or names no usable address.
        case unusableAnswer(String)

        var description: String {
            switch self {
            case .noAnswerSDP: return "the leg answered without an SDP answer"
            case .unusableAnswer(let reason): return "the leg's SDP answer is unusable: \(reason)"
            }
        }
    }

    /// Negotiates the leg's answer against our offer (RFC 3264 §6) and starts sending
    /// and receiving on `session` with the chosen codec. The future completes on the
    /// session's loop, with what was negotiated.
    static func start(_ session: MediaSession, answer: OutboundCallAnswer,
                      offer: SessionDescription) -> EventLoopFuture<NegotiatedAudio> {
        guard let remote = answer.remoteSDP else {
            return session.eventLoop.makeFailedFuture(Failure.noAnswerSDP)
        }
        let negotiated: NegotiatedAudio
        let address: SocketAddress
        do {
            negotiated = try SDPOfferAnswer.accept(answer: remote, to: offer)
            address = try SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
        } catch {
            return session.eventLoop.makeFailedFuture(Failure.unusableAnswer("\(error)"))
        }
        let law: G711Law = negotiated.codec == .pcma ? .alaw : .ulaw
        return session.eventLoop.submit {
            session.start(remote: address, law: law, payloadType: negotiated.payloadType,
                          telephoneEventPayloadType: negotiated.telephoneEventPayloadType)
            return negotiated
        }
    }

    /// The leg's re-INVITE carried a new session description (RFC 3264 §8: hold, a new
    /// address or port): the session sends there from now on, with the codec our offer
    /// and it agree on. An unusable one is logged and the old target kept.
    static func follow(_ session: MediaSession, remote: SessionDescription, offer: SessionDescription, log: CallLogger,
                       callID: String) {
        let answer = OutboundCallAnswer(response: SIPResponse(statusCode: 200, reasonPhrase: "OK"), remoteSDP: remote)
        start(session, answer: answer, offer: offer).whenComplete { result in
            switch result {
            case .success(let negotiated):
                log.event("b-leg re-invite", ["b-call-id": callID, "codec": "\(negotiated.codec)",
                                              "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)"])
            case .failure(let error):
                log.problem("b-leg re-invite unusable", ["b-call-id": callID, "reason": "\(error)"])
            }
        }
    }
}
