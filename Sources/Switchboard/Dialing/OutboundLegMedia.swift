import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// The steps every outbound leg of a `dial` shares, whether it is bridged (one number)
/// or joins a conference (several): where the number goes, the INVITE's parameters with
/// our SDP offer on the leg's own media session (RFC 3264 §5), and on the answer the
/// negotiated media started on that session (RFC 3264 §6: the answer picks the codec
/// and the address we send to).
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

    /// The `trunk` of a route to a registered phone (in logs and billing records).
    static let registeredTrunk = "registered-contact"

    /// Where `number` goes: a registered user's best contact first (DESIGN.md: a user's
    /// port is its registered contacts), else the trunk whose prefix carries it.
    static func route(for number: String, plan: DialPlan) throws -> TrunkSelector.Route {
        if let binding = plan.registrations?.contacts(of: number).first {
            return TrunkSelector.Route(trunk: registeredTrunk, dialled: number, number: number,
                                       requestURI: binding.contact, destination: binding.destination)
        }
        return try plan.trunks.route(for: number)
    }

    /// Our SDP offer for the leg's media session.
    static func offer(for session: MediaSession, address: String, sessionID: UInt64) -> SessionDescription {
        SDPOfferAnswer.offer(localAddress: address, localPort: session.localPort, sessionID: sessionID, sessionVersion: 1)
    }

    /// The INVITE of the leg: `sip:<caller-id>@<domain>` as From (anonymous without a
    /// caller ID), the route's Request-URI, destination and credentials.
    static func parameters(route: TrunkSelector.Route, callerID: String, domain: String, offer: SessionDescription,
                           ringTimeoutSeconds: Int) -> OutboundCall.Parameters {
        let from = SIPNameAddress(uri: SIPURI(scheme: "sip", user: callerID.isEmpty ? "anonymous" : callerID, host: domain))
        return OutboundCall.Parameters(requestURI: route.requestURI, from: from, destination: route.destination,
                                       offer: offer, login: route.login, ringTimeout: .seconds(max(1, ringTimeoutSeconds)))
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

    /// The outcome of a leg cut at its time limit: `out-of-credit` when the limit was the
    /// money's (the billing's reservation `billedSeconds`, or the credit the interpreter
    /// put in `$credit.max-duration`), `ended` when the script's own, shorter cap ended it.
    static func timeLimitOutcome(maxDurationSeconds: Int?, billedSeconds: Int? = nil, context: CallContext) -> DialOutcome {
        if let billedSeconds, billedSeconds <= (maxDurationSeconds ?? Int.max) { return .outOfCredit }
        let credit = context.value(at: VariablePath(["credit", "max-duration"]))?.numberValue
            .map { NSDecimalNumber(decimal: $0).intValue }
        guard let credit, let limit = maxDurationSeconds else { return .ended }
        return credit <= limit ? .outOfCredit : .ended
    }

    /// Talk seconds allowed: the script's cap and the billing's, the lower (nil: no limit).
    static func timeLimit(maxDurationSeconds: Int?, billedSeconds: Int?) -> Int? {
        [maxDurationSeconds, billedSeconds].compactMap { $0 }.min()
    }
}
