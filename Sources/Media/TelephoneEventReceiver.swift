/// Turns a stream of RFC 4733 packets into key presses, each reported once.
///
/// One event is all packets sharing an RTP timestamp (§2.5.1.1: the timestamp is the
/// event's start, updates and the three end retransmissions repeat it). A new
/// timestamp is a new key press, with one exception: an event longer than the 16-bit
/// duration allows is split into segments with advancing timestamps and no marker
/// (§2.5.1.3), and those continue the press rather than repeat it.
public struct TelephoneEventReceiver: Sendable {
    /// Timestamps of recently reported events, so that late retransmissions of an
    /// older event arriving after a newer one do not repeat it.
    private var recent: [UInt32] = []
    private var current: (timestamp: UInt32, event: UInt8, ended: Bool)?
    private static let recentCapacity = 4

    public init() {}

    /// Feeds one packet; returns the digit when this packet starts a new key press.
    public mutating func receive(timestamp: UInt32, marker: Bool, event: TelephoneEvent) -> Character? {
        if let current, current.timestamp == timestamp {
            if event.isEnd { self.current?.ended = true }
            return nil
        }
        if recent.contains(timestamp) { return nil }
        if let current, !current.ended, !marker, current.event == event.event,
           timestamp &- current.timestamp <= 0x1_0000 + 8000 {
            // Long-event segment (§2.5.1.3): same press, new timestamp.
            self.current = (timestamp, event.event, event.isEnd)
            remember(timestamp)
            return nil
        }
        current = (timestamp, event.event, event.isEnd)
        remember(timestamp)
        return event.digit
    }

    private mutating func remember(_ timestamp: UInt32) {
        if recent.count == TelephoneEventReceiver.recentCapacity { recent.removeFirst() }
        recent.append(timestamp)
    }
}
