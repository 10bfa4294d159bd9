import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// A `CallLegProtocol` over an INVITE we answer (`InboundSession`): opens the media port when the
/// session asks for one, sends RTP only once the ACK arrived (before it, the offer's
/// address is not confirmed to be the caller's), follows re-INVITEs, and passes INFO and
/// RTP digits alike to the script.
///
/// Confined to the SIP event loop (hence unchecked: media and billing callbacks only
/// ever touch it back on that loop).
final class InboundCallLeg: CallLegProtocol, @unchecked Sendable {
    let session: InboundSession
    weak var delegate: (any CallLegDelegate)?
    private let services: CallServices
    private let log: CallLogger
    private var legMedia: LegMedia?
    /// How keys are heard on this leg: its trunk's `dtmf:` for a call from a trunk, else `auto`.
    private let dtmfMode: DTMFMode
    /// We hung up: the session's end is ours, not news for the script.
    private var hungUp = false

    init(session: InboundSession, services: CallServices, log: CallLogger, dtmfMode: DTMFMode = .auto) {
        self.session = session
        self.dtmfMode = dtmfMode
        self.services = services
        self.log = log
    }

    var callID: String { session.callID }
    var media: MediaSession? { legMedia?.session }
    private var loop: any EventLoop { session.endpoint.eventLoop }

    func begin() {
        session.onOpenMedia = { [weak self] in self?.openMedia() }
        session.onAnswered = { [weak self] _ in
            guard let self else { return }
            log.event("answered", ["rtp-port": "\(media?.localPort ?? 0)"])
            delegate?.legAnswered(at: Date())
        }
        session.onConfirmed = { [weak self] audio in
            guard let self else { return }
            legMedia?.start(audio)
            if let timeout = services.mediaTimeout {
                legMedia?.watchInactivity(timeout: timeout) { [weak self] silence in self?.mediaTimedOut(after: silence) }
            }
            delegate?.legReady()
        }
        session.onMediaChanged = { [weak self] audio in
            guard let self else { return }
            log.event("re-invite", ["direction": "\(audio.direction)"])
            legMedia?.start(audio)
        }
        session.onDigit = { [weak self] digit in self?.delegate?.legDigit(digit, source: .sipInfo) }
        session.onEnd = { [weak self] ending in self?.ended(ending) }
        if session.parameters.ring > .zero {
            let ring = session.parameters.ring.components
            log.event("ringing", ["for-ms": "\(ring.seconds * 1000 + ring.attoseconds / 1_000_000_000_000_000)"])
        }
        session.start()
    }

    private func openMedia() {
        services.mediaEngine.openSession(on: services.nextMediaLoop()).hop(to: loop).whenComplete { [weak self] result in
            switch result {
            case .success(let opened):
                guard let self, self.session.state == .openingMedia else {
                    _ = opened.close()
                    return
                }
                let legMedia = LegMedia(session: opened, loop: self.loop, log: self.log, dtmfMode: self.dtmfMode)
                legMedia.connect(to: self.delegate)
                self.legMedia = legMedia
                self.session.mediaOpened(address: self.services.mediaAddress, port: opened.localPort)
            case .failure(let error):
                self?.session.mediaFailed(reason: "\(error)")
            }
        }
    }

    func play(_ prompts: [Prompt], token: UInt64) {
        guard let legMedia else {
            // No audio (yet): finish at once so the script moves on rather than hangs.
            loop.execute { [weak self] in self?.delegate?.legPlaybackFinished(token) }
            return
        }
        legMedia.play(prompts, token: token)
    }

    func stopPlayback() {
        legMedia?.stopPlayback()
    }

    func hangup(cause: HangupCause) {
        guard !hungUp else { return }
        hungUp = true
        session.hangup(status: Self.refusalStatus(for: cause), q850: cause.q850)
        // The session's end (at once, or once the ACK came, §15) closes the media.
    }

    /// `media.rtp-timeout`: the caller sent nothing for that long while we expected audio.
    /// A BYE (the caller may still hear it) and the script ends as if it hung up, so the
    /// call's billing settles now rather than at the end of its grant.
    private func mediaTimedOut(after silence: TimeAmount) {
        guard !hungUp, legMedia != nil else { return }
        hungUp = true
        let ending = CallLegEnding.mediaTimeout(after: silence)
        log.problem("no media from the caller", ["reason": ending.reason ?? ""])
        session.hangup(q850: CallLegEnding.mediaTimeoutQ850)
        delegate?.legEnded(ending)
    }

    private func ended(_ sessionEnding: InboundSessionStateMachine.Ending) {
        legMedia?.close()
        legMedia = nil
        guard !hungUp else { return }
        let ending: CallLegEnding
        switch sessionEnding {
        case .remoteHangup, .localHangup:
            ending = .remoteHangup
        case .cancelled:
            ending = CallLegEnding(by: .caller, cause: "cancelled", reason: nil)
        case .noACK:
            ending = CallLegEnding(by: .server, cause: HangupCause.unavailable.rawValue, reason: "no ACK for 200 OK")
        case .refused(let status, let why):
            log.problem("call refused", ["status": "\(status)", "reason": why])
            ending = CallLegEnding(by: .server, cause: "refused", reason: "\(status) \(why)")
        case .badAnswerInACK(let why):
            ending = CallLegEnding(by: .server, cause: HangupCause.scriptFailure.rawValue,
                                   reason: "ACK carried no usable SDP answer: \(why)")
        }
        delegate?.legEnded(ending)
    }

    /// The final response that ends a leg not yet answered, by the script's cause.
    static func refusalStatus(for cause: HangupCause) -> Int {
        switch cause {
        case .busy: return 486
        case .rejected: return 603
        case .unavailable: return 404
        case .scriptFailure: return 500
        case .outOfCredit: return 402
        case .normal, .noAnswer: return 480
        }
    }
}
