import NIOCore

/// One session's membership of a `MediaConference`, on the session's side: it passes
/// what the session receives to the conference's `ConferenceInlet` and feeds the
/// session the mix the conference made for it.
///
/// Confined to the session's event loop, except `slot` and `law` (set before the
/// participant is added, then read by the conference on its loop) and `relayAudio`
/// (called on the session's loop: directly from a conference on the same loop, else
/// through a handoff batch).
final class ConferenceParticipant: MediaSessionAttachment, MediaRelayTarget, @unchecked Sendable {
    let session: MediaSession
    let conference: MediaConference
    let inlet: ConferenceInlet
    /// The law the conference encodes this participant's mix in (the session's law
    /// when it joined; a later change is transcoded at sending).
    let law: G711Law
    let sameLoop: Bool
    /// The mixer slot; conference loop only.
    var slot: Int?

    /// The mix made for this participant, waiting to be sent.
    private var outlet: RTPPlayoutBuffer
    private var isAttached = false

    init(session: MediaSession, conference: MediaConference, inlet: ConferenceInlet, law: G711Law, outletDelayFrames: Int) {
        self.session = session
        self.conference = conference
        self.inlet = inlet
        self.law = law
        self.sameLoop = session.eventLoop === conference.eventLoop
        self.outlet = RTPPlayoutBuffer(delayFrames: outletDelayFrames)
    }

    func attach() {
        session.eventLoop.preconditionInEventLoop()
        isAttached = true
        session.attachment = self
    }

    func detach() {
        session.eventLoop.preconditionInEventLoop()
        guard isAttached else { return }
        isAttached = false
        if session.attachment === self {
            session.attachment = nil
        }
    }

    // MARK: MediaSessionAttachment (on the session's loop)

    func sessionReceivedAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard isAttached else { return }
        if sameLoop {
            inlet.relayAudio(payload, timestamp: timestamp, ssrc: ssrc, law: law)
        } else {
            session.clock.handoff(payload, to: inlet, on: conference.clock, timestamp: timestamp, ssrc: ssrc, law: law)
        }
    }

    func sessionReceivedDigit(_ digit: Character, source: DTMFSource) {}

    func sessionWriteFrame(into buffer: inout ByteBuffer, law: G711Law) -> Bool {
        outlet.read { frame, frameLaw in
            G711.write(frame, from: frameLaw, to: law, into: &buffer)
        }
    }

    func sessionSkippedFrame(playing token: UInt64?) {
        outlet.skip()
    }

    func sessionClosed() {
        isAttached = false
        let conference = self.conference
        conference.eventLoop.execute { conference.remove(self) }
    }

    // MARK: MediaRelayTarget (on the session's loop)

    func relayAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard isAttached else { return }
        outlet.write(payload, timestamp: timestamp, ssrc: ssrc, law: law)
    }
}
