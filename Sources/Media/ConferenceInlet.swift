/// A participant's audio on the conference's side: the jitter/reorder buffer the
/// mixer reads one frame from per tick. Confined to the conference's event loop
/// (written directly by a session on that loop, else through a handoff batch).
final class ConferenceInlet: MediaRelayTarget, @unchecked Sendable {
    var buffer: RTPPlayoutBuffer
    /// Cleared when the participant leaves; audio still in flight is then dropped.
    var isActive = true

    init(delayFrames: Int) {
        buffer = RTPPlayoutBuffer(delayFrames: delayFrames)
    }

    func relayAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard isActive else { return }
        buffer.write(payload, timestamp: timestamp, ssrc: ssrc, law: law)
    }
}
