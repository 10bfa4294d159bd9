/// Receives relayed audio on its own event loop (a bridged leg's playout buffer, a
/// conference's input for one participant, a participant's mixed output).
protocol MediaRelayTarget: AnyObject, Sendable {
    func relayAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law)
}
