import NIOCore

/// Two media sessions joined so that each leg hears the other: the A leg (the caller,
/// who runs the script) and the B leg (the party it dialled).
///
/// **Audio.** Every audio packet a leg receives is placed, by its RTP timestamp, in the
/// other leg's `RTPPlayoutBuffer`; each 20 ms clock tick of the other leg sends the
/// next frame from there under that leg's own SSRC, sequence numbers and timestamps
/// (RFC 3550 §7.2 translator semantics without a shared SSRC space: each peer sees one
/// continuous stream, from before the bridge, through prompts and after unbridging).
/// Legs of the same law are relayed octet for octet; µ-law↔A-law is transcoded through
/// a 256-entry table. A frame that did not arrive in time is sent as silence.
///
/// **Digits.** RFC 4733 events from either leg are reported by that leg's session
/// (`onDigit`, source `.rfc4733`) as always, and by default not passed on (the far end
/// must not hear `#11`); with `forwardTelephoneEvents` each digit is sent again to the
/// other leg as a fresh RFC 4733 event (`sendDigit`), since a B2BUA cannot reuse the
/// first leg's timestamps. A leg without telephone-event keeps its in-band detector
/// running on the audio it sends (`.inband` digits); its tones are relayed as audio.
///
/// **Prompts while bridged.** `play(_:to:token:otherLegHears:)` plays to one leg only
/// (for example the balance to A): by default that leg's own audio is held back from
/// the other leg, which hears silence or a hold prompt, and the bridge resumes when the
/// prompt ends, is stopped, or is replaced. `MediaSession.play` on a bridged leg also
/// works and leaves the other direction untouched.
///
/// **Event loops.** The legs may live on different loops. Each leg's state is confined
/// to its own loop. Same loop: a received packet is written straight into the other
/// leg's playout buffer. Different loops: it is queued in the receiving loop's
/// `MediaHandoffBatch` for the other loop and shipped at the end of that clock tick,
/// one `execute` per pair of loops per tick (no lock per packet); the playout buffer
/// then waits two frames instead of one to absorb the tick-to-tick phase.
///
/// `connect` attaches both legs; `unbridge` (or closing either session) detaches them
/// and each returns to its own playback (silence when nothing plays).
public final class MediaBridge: Sendable {
    public enum Leg: Sendable, Hashable {
        case a
        case b
    }

    /// What the other leg hears while a prompt plays to one leg.
    public enum OtherLegHears: Sendable, Equatable {
        /// Silence (the default): the prompted leg's voice is held back.
        case silence
        /// These prompts, looped, until the prompt ends (music or a hold message).
        case hold([Prompt])
        /// The prompted leg's voice as usual (only that leg's ear is taken).
        case audio
    }

    public struct Options: Sendable, Equatable {
        /// Re-send RFC 4733 digits received on one leg to the other leg.
        public var forwardTelephoneEvents: Bool
        /// Frames each playout buffer waits before playing; nil: 1 when both legs share
        /// an event loop, 2 when audio crosses loops.
        public var playoutDelayFrames: Int?

        public init(forwardTelephoneEvents: Bool = false, playoutDelayFrames: Int? = nil) {
            self.forwardTelephoneEvents = forwardTelephoneEvents
            self.playoutDelayFrames = playoutDelayFrames
        }
    }

    public let a: MediaSession
    public let b: MediaSession
    public let options: Options
    let legA: BridgeLeg
    let legB: BridgeLeg

    private init(a: MediaSession, b: MediaSession, options: Options) {
        self.a = a
        self.b = b
        self.options = options
        let sameLoop = a.eventLoop === b.eventLoop
        let delay = options.playoutDelayFrames ?? (sameLoop ? 1 : 2)
        legA = BridgeLeg(session: a, peerLoop: b.eventLoop, delayFrames: delay,
                         forwardTelephoneEvents: options.forwardTelephoneEvents)
        legB = BridgeLeg(session: b, peerLoop: a.eventLoop, delayFrames: delay,
                         forwardTelephoneEvents: options.forwardTelephoneEvents)
        legA.peer = legB
        legB.peer = legA
    }

    /// Bridges `a` and `b`. Fails with `MediaError.alreadyAttached` when either is in
    /// another bridge or a conference, `MediaError.sessionClosed` when either is closed.
    /// The future completes on `a`'s loop once both legs relay.
    public static func connect(_ a: MediaSession, _ b: MediaSession, options: Options = Options()) -> EventLoopFuture<MediaBridge> {
        guard a !== b else {
            return a.eventLoop.makeFailedFuture(MediaError.alreadyAttached(localPort: a.localPort))
        }
        let bridge = MediaBridge(a: a, b: b, options: options)
        return a.eventLoop.flatSubmit {
            do {
                try bridge.legA.attach()
            } catch {
                return a.eventLoop.makeFailedFuture(error)
            }
            return b.eventLoop.submit {
                try bridge.legB.attach()
            }.hop(to: a.eventLoop).flatMapError { error in
                bridge.legA.detach()
                return a.eventLoop.makeFailedFuture(error)
            }.map { bridge }
        }
    }

    /// Plays `prompts` to one leg only; `onPlaybackFinished(token)` of that leg's
    /// session reports the end as for any `play`. The bridge resumes by itself.
    public func play(_ prompts: [Prompt], to leg: Leg, token: UInt64, otherLegHears: OtherLegHears = .silence) {
        let target = leg == .a ? legA : legB
        if target.session.eventLoop.inEventLoop {
            target.playExclusively(prompts, token: token, otherLegHears: otherLegHears)
        } else {
            target.session.eventLoop.execute {
                target.playExclusively(prompts, token: token, otherLegHears: otherLegHears)
            }
        }
    }

    /// Detaches both legs: from their next frame each sends its own playback (silence
    /// when nothing plays). Unbridging twice is harmless.
    public func unbridge() -> EventLoopFuture<Void> {
        let legA = self.legA
        let legB = self.legB
        let detachA = a.eventLoop.submit { legA.detach() }
        let detachB = b.eventLoop.submit { legB.detach() }
        return detachA.and(detachB).map { _ in () }
    }

    /// Whether both legs are still bridged (false after `unbridge` or a close). Any thread.
    public func isActive() -> EventLoopFuture<Bool> {
        let legA = self.legA
        let legB = self.legB
        return a.eventLoop.submit { legA.isAttached }.and(b.eventLoop.submit { legB.isAttached })
            .map { $0 && $1 }
    }

    /// Playout statistics of the audio `leg` hears, read on its loop.
    public func playoutStatistics(of leg: Leg) -> EventLoopFuture<PlayoutStatistics> {
        let target = leg == .a ? legA : legB
        return target.session.eventLoop.submit { target.statistics }
    }
}
