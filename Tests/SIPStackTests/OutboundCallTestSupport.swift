import Foundation
import SIP
import SIPStack

/// Messages and action shapes for the outbound-call tests.
enum CallMessages {
    static let remoteSDPText = "v=0\r\no=- 42 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
        + "m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    static let earlySDPText = "v=0\r\no=- 77 1 IN IP4 192.0.2.30\r\ns=-\r\nc=IN IP4 192.0.2.30\r\nt=0 0\r\n"
        + "m=audio 31000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

    static var remoteSDP: SessionDescription { try! SessionDescription(parsing: remoteSDPText) }
    static var earlySDP: SessionDescription { try! SessionDescription(parsing: earlySDPText) }

    static let offer = SDPOfferAnswer.offer(localAddress: "127.0.0.1", localPort: 20_000, sessionID: 1, sessionVersion: 1)

    static let invite = TestMessages.request(.invite)

    /// A response to the INVITE; `sdp` adds an application/sdp body.
    static func response(_ status: Int, toTag: String? = "uas1", sdp: String? = nil, headers: [(String, String)] = [],
                         to request: SIPRequest = invite) -> SIPResponse {
        var response = TestMessages.response(status, to: request, toTag: toTag)
        if status >= 200 && status < 300 { response.headers.add("Contact", "<sip:uas@192.0.2.20:5090>") }
        for (name, value) in headers { response.headers.add(name, value) }
        if let sdp {
            response.headers.add("Content-Type", "application/sdp")
            response.body = Array(sdp.utf8)
        }
        return response
    }
}

/// Actions reduced to what the tables compare.
enum CallActionShape: Equatable, CustomStringConvertible {
    case invite(authorizationHeader: String?)
    case cancel
    case ack(status: Int, remoteTag: String)
    case bye(remoteTag: String)
    case start(OutboundCallTimer, Duration)
    case stop(OutboundCallTimer)
    case progress(Int, earlyMedia: Bool)
    case answered(Int, remoteSDP: Bool)
    case ended(OutboundCallOutcome, status: Int?)
    case answerReinvite
    case rejectReinvite(Int)
    /// The remote media moved to this address and port.
    case mediaChanged(String, Int)

    init(_ action: OutboundCallStateMachine.Action) {
        switch action {
        case .sendInvite(let authorization): self = .invite(authorizationHeader: authorization?.headerName)
        case .sendCancel: self = .cancel
        case .sendACK(let response): self = .ack(status: response.statusCode, remoteTag: response.to?.tag ?? "")
        case .sendBYE(let tag): self = .bye(remoteTag: tag)
        case .startTimer(let timer, let duration): self = .start(timer, duration)
        case .cancelTimer(let timer): self = .stop(timer)
        case .reportProgress(let progress): self = .progress(progress.status, earlyMedia: progress.earlyMedia != nil)
        case .reportAnswered(let answer): self = .answered(answer.status, remoteSDP: answer.remoteSDP != nil)
        case .reportEnded(let ending): self = .ended(ending.outcome, status: ending.status)
        case .answerReinvite: self = .answerReinvite
        case .rejectReinvite(let status, _): self = .rejectReinvite(status)
        case .reportMediaChanged(let session):
            let audio = session.media.first { $0.media == "audio" }
            self = .mediaChanged(audio.flatMap { session.effectiveConnection(of: $0)?.address } ?? "", audio?.port ?? 0)
        }
    }

    static func of(_ actions: [OutboundCallStateMachine.Action]) -> [CallActionShape] { actions.map(CallActionShape.init) }

    var description: String {
        switch self {
        case .invite(let header): return "INVITE\(header.map { " with \($0)" } ?? "")"
        case .cancel: return "CANCEL"
        case .ack(let status, let tag): return "ACK \(status) tag=\(tag)"
        case .bye(let tag): return "BYE tag=\(tag)"
        case .start(let timer, let duration): return "start \(timer.rawValue) \(duration)"
        case .stop(let timer): return "stop \(timer.rawValue)"
        case .progress(let status, let early): return "progress \(status)\(early ? " early media" : "")"
        case .answered(let status, let sdp): return "answered \(status)\(sdp ? " with SDP" : "")"
        case .ended(let outcome, let status): return "ended \(outcome.rawValue) \(status.map(String.init) ?? "-")"
        case .answerReinvite: return "200 to the re-INVITE"
        case .rejectReinvite(let status): return "\(status) to the re-INVITE"
        case .mediaChanged(let address, let port): return "media moved to \(address):\(port)"
        }
    }
}
