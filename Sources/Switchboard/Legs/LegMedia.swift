import Foundation
import IVR
import Media
import NIOCore
import SIP

/// A leg's media session as the SIP loop drives it: starts (or re-targets) the stream
/// for negotiated audio, plays prompts, and brings digits and playback ends back to the
/// SIP loop for the leg's delegate. Shared by both kinds of `CallLegProtocol`.
final class LegMedia {
    let session: MediaSession
    private let loop: any EventLoop
    private let log: CallLogger

    init(session: MediaSession, loop: any EventLoop, log: CallLogger) {
        self.session = session
        self.loop = loop
        self.log = log
    }

    /// Media events from now on go to `delegate`, on the SIP loop.
    func connect(to delegate: (any CallLegDelegate)?) {
        let box = DelegateBox(delegate)
        self.box = box
        let target = LoopWeakReference(box)
        let loop = self.loop
        let session = self.session
        session.eventLoop.execute {
            session.onDigit = { digit, source in loop.execute { target.value?.delegate?.legDigit(digit, source: source) } }
            session.onPlaybackFinished = { token in loop.execute { target.value?.delegate?.legPlaybackFinished(token) } }
        }
    }

    /// Held so that the weak reference the media callbacks keep stays alive with us.
    private var box: DelegateBox?

    /// Sends RTP to the negotiated address (RFC 3264 §5), or re-targets it (re-INVITE).
    func start(_ negotiated: NegotiatedAudio) {
        let law: G711Law = negotiated.codec == .pcma ? .alaw : .ulaw
        guard let remote = try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort) else {
            log.problem("unusable media address", ["address": negotiated.remoteAddress, "port": "\(negotiated.remotePort)"])
            return
        }
        let session = self.session
        session.eventLoop.execute {
            session.start(remote: remote, law: law, payloadType: negotiated.payloadType,
                          telephoneEventPayloadType: negotiated.telephoneEventPayloadType)
        }
        log.event("media", ["codec": "\(negotiated.codec)", "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)",
                            "telephone-event": negotiated.telephoneEventPayloadType.map { "\($0)" } ?? "none"])
    }

    func play(_ prompts: [Prompt], token: UInt64) {
        let session = self.session
        session.eventLoop.execute { session.play(prompts, token: token) }
    }

    func stopPlayback() {
        let session = self.session
        session.eventLoop.execute { session.stopPlayback() }
    }

    func close() {
        box = nil
        let session = self.session
        session.eventLoop.execute {
            session.onDigit = nil
            session.onPlaybackFinished = nil
            _ = session.close()
        }
    }

    private final class DelegateBox {
        weak var delegate: (any CallLegDelegate)?
        init(_ delegate: (any CallLegDelegate)?) { self.delegate = delegate }
    }
}
