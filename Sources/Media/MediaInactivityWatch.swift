import NIOCore

/// Decides when a call's media has gone silent for good: a caller whose phone or network
/// vanished without a BYE would otherwise hold the call (and its prepaid reservation)
/// until the grant runs out. Pure: the caller samples the session's received-packet count
/// (RTP and RTCP alike: a phone suppressing silence still sends RTCP every few seconds)
/// and the time, and is told when nothing arrived for `timeout`.
///
/// While we do not expect media (the peer put us on hold: our direction `sendonly` or
/// `inactive`), silence is normal and the watch starts again from the next sample.
public struct MediaInactivityWatch: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case alive
        /// Nothing arrived for `silence` (≥ the timeout): the leg should end.
        case timedOut(silence: TimeAmount)
    }

    public let timeout: TimeAmount
    private var lastCount: UInt64?
    private var lastHeard: NIODeadline?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// One sample: `received` packets so far (monotonic), whether media is expected now.
    public mutating func observe(received: UInt64, expectingMedia: Bool, at now: NIODeadline) -> Verdict {
        guard expectingMedia else {
            lastCount = nil
            lastHeard = nil
            return .alive
        }
        guard let lastHeard, lastCount == received else {
            // The first sample, or something arrived since the last one.
            lastCount = received
            self.lastHeard = now
            return .alive
        }
        let silence = now - lastHeard
        return silence >= timeout ? .timedOut(silence: silence) : .alive
    }

    /// How often to sample: often enough to end a silent leg within a fifth of the timeout
    /// past it, never more than once a second.
    public var sampleInterval: TimeAmount {
        max(.seconds(1), .nanoseconds(timeout.nanoseconds / 5))
    }
}
