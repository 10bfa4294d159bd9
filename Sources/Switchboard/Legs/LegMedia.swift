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
    /// The leg's trunk's `dtmf:` to set on the session; nil: leave the session's as it is
    /// (a placed leg's was set where it was launched).
    private let dtmfMode: DTMFMode?

    init(session: MediaSession, loop: any EventLoop, log: CallLogger, dtmfMode: DTMFMode? = nil) {
        self.session = session
        self.loop = loop
        self.log = log
        self.dtmfMode = dtmfMode
    }

    /// Media events from now on go to `delegate`, on the SIP loop.
    func connect(to delegate: (any CallLegDelegate)?) {
        let box = DelegateBox(delegate)
        self.box = box
        let target = LoopWeakReference(box)
        let loop = self.loop
        let session = self.session
        let dtmfMode = self.dtmfMode
        let callID = log.logger[metadataKey: "call-id"].map { "\($0)" }
        session.eventLoop.execute {
            // The session's own lines (a leg that hears no keys, ...) name the call too.
            if let callID { session.tagLog("call-id", callID) }
            if let dtmfMode { session.dtmfMode = dtmfMode }
            session.onDigit = { digit, source in loop.execute { target.value?.delegate?.legDigit(digit, source: source) } }
            session.onPlaybackFinished = { token in loop.execute { target.value?.delegate?.legPlaybackFinished(token) } }
        }
    }

    /// Held so that the weak reference the media callbacks keep stays alive with us.
    private var box: DelegateBox?

    /// Sends RTP to the negotiated address (RFC 3264 §5), or re-targets it (re-INVITE).
    func start(_ negotiated: NegotiatedAudio) {
        // Put on hold (we only send, or nothing flows), the peer owes us no packets.
        let expecting = negotiated.direction == .sendrecv || negotiated.direction == .recvonly
        expectingMedia = expecting
        if let probe = inactivityProbe {
            session.eventLoop.execute { probe.expectingMedia = expecting }
        }
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

    /// Tells `onTimeout` (on the SIP loop, once) when the peer sent no RTP or RTCP for
    /// `timeout` while media was expected (`media.rtp-timeout`): a phone that vanished
    /// without a BYE must not hold the call and its reservation until the grant runs out.
    func watchInactivity(timeout: TimeAmount, onTimeout: @escaping (TimeAmount) -> Void) {
        guard inactivityProbe == nil else { return }
        let probe = InactivityProbe(watch: MediaInactivityWatch(timeout: timeout), expectingMedia: expectingMedia)
        inactivityProbe = probe
        let session = self.session
        let report = LoopConfinedReport(loop: loop, body: onTimeout)
        session.eventLoop.execute {
            let interval = probe.watch.sampleInterval
            probe.task = session.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
                let stats = session.stats
                let verdict = probe.watch.observe(received: stats.packetsReceived + stats.rtcpPacketsReceived,
                                                  expectingMedia: probe.expectingMedia, at: .now())
                if case .timedOut(let silence) = verdict {
                    task.cancel()
                    report.send(silence)
                }
            }
        }
    }

    private var inactivityProbe: InactivityProbe?
    /// Whether the last negotiated direction has the peer sending to us.
    private var expectingMedia = true

    func close() {
        box = nil
        let session = self.session
        let probe = inactivityProbe
        inactivityProbe = nil
        session.eventLoop.execute {
            probe?.task?.cancel()
            session.onDigit = nil
            session.onPlaybackFinished = nil
            _ = session.close()
        }
    }

    /// The watch's state, touched only on the media session's loop.
    private final class InactivityProbe: @unchecked Sendable {
        var watch: MediaInactivityWatch
        var expectingMedia: Bool
        var task: RepeatedTask?
        init(watch: MediaInactivityWatch, expectingMedia: Bool) {
            self.watch = watch
            self.expectingMedia = expectingMedia
        }
    }

    /// A closure made on the SIP loop, sent back to run there from the media loop.
    private struct LoopConfinedReport: @unchecked Sendable {
        let loop: any EventLoop
        let body: (TimeAmount) -> Void
        func send(_ silence: TimeAmount) {
            loop.execute { body(silence) }
        }
    }

    private final class DelegateBox {
        weak var delegate: (any CallLegDelegate)?
        init(_ delegate: (any CallLegDelegate)?) { self.delegate = delegate }
    }
}
