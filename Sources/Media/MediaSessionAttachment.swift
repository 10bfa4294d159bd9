import NIOCore

/// What a session is plugged into while it is bridged or in a conference: the session
/// hands it every received audio payload and digit, and asks it for the frame to send
/// whenever no prompt or digit of the session's own takes the frame.
///
/// All calls are made on the session's event loop, by the receive handler or by the
/// loop's `MediaClock`. A session has at most one attachment.
protocol MediaSessionAttachment: AnyObject {
    /// One received audio packet's payload (`law` code words), valid only during the call.
    func sessionReceivedAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law)
    /// A digit the session reported through `onDigit` (the attachment observes only).
    func sessionReceivedDigit(_ digit: Character, source: DTMFSource)
    /// The frame is free: append 160 octets of `law` to `buffer` and return true, or
    /// return false (appending nothing) and the session sends silence.
    func sessionWriteFrame(into buffer: inout ByteBuffer, law: G711Law) -> Bool
    /// The frame went to the session's own prompt (`playing` is its token) or to a
    /// digit: the attachment consumes its frame anyway so that it keeps time.
    func sessionSkippedFrame(playing token: UInt64?)
    /// The session closed; it has already dropped the attachment.
    func sessionClosed()
}
