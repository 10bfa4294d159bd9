import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// A `CallLegProtocol` over a call we placed and the far end answered (`OutboundCall`): a
/// callback's A leg. Its media session was opened for our offer and the answer is
/// negotiated, so `begin()` starts the audio and reports the leg answered and ready at
/// once (there is no ACK to wait for: we sent it). INFO digits come through the call's
/// `onRequest`, the far end's BYE through its `onEnd`.
///
/// Confined to the SIP event loop.
final class PlacedCallLeg: CallLegProtocol {
    let call: OutboundCall
    weak var delegate: (any CallLegDelegate)?
    private let legMedia: LegMedia
    private let negotiated: NegotiatedAudio
    private let mediaTimeout: TimeAmount?
    private let log: CallLogger
    private var over = false

    init(call: OutboundCall, media: MediaSession, negotiated: NegotiatedAudio, mediaTimeout: TimeAmount?, log: CallLogger) {
        self.call = call
        self.negotiated = negotiated
        self.mediaTimeout = mediaTimeout
        self.log = log
        legMedia = LegMedia(session: media, loop: call.endpoint.eventLoop, log: log)
    }

    var callID: String { call.callID }
    var media: MediaSession? { over ? nil : legMedia.session }

    func begin() {
        legMedia.connect(to: delegate)
        legMedia.start(negotiated)
        if let mediaTimeout {
            legMedia.watchInactivity(timeout: mediaTimeout) { [weak self] silence in self?.mediaTimedOut(after: silence) }
        }
        // The leg holds the call and the call these closures until the leg ends.
        call.onEnd = { [weak self] _ in self?.ended() }
        call.onRequest = { [weak self] transaction in
            guard transaction.request.method == .info else { return false }
            let (response, digit) = InboundSessionStateMachine.dtmfInfo(transaction.request)
            var message = SIPResponse(replyingTo: transaction.request, statusCode: response.status,
                                      reasonPhrase: response.reason, toTag: self?.call.localTag)
            for field in response.headers { message.headers.add(field.name, field.value) }
            transaction.respond(message)
            if let digit { self?.delegate?.legDigit(digit, source: .sipInfo) }
            return true
        }
        delegate?.legAnswered(at: Date())
        delegate?.legReady()
    }

    func play(_ prompts: [Prompt], token: UInt64) {
        legMedia.play(prompts, token: token)
    }

    func stopPlayback() {
        legMedia.stopPlayback()
    }

    func hangup(cause: HangupCause) {
        guard !over else { return }
        call.onEnd = nil   // our own BYE is not the far end's hang-up
        call.hangup()
        finish()
    }

    /// `media.rtp-timeout`, as on an inbound leg: BYE, and the script ends as if the far end hung up.
    private func mediaTimedOut(after silence: TimeAmount) {
        guard !over else { return }
        let ending = CallLegEnding.mediaTimeout(after: silence)
        log.problem("no media from the called party", ["reason": ending.reason ?? ""])
        call.onEnd = nil
        call.hangup()
        finish()
        delegate?.legEnded(ending)
    }

    private func ended() {
        guard !over else { return }
        finish()
        delegate?.legEnded(.remoteHangup)
    }

    private func finish() {
        over = true
        call.onRequest = nil
        call.onEnd = nil
        legMedia.close()
    }
}
