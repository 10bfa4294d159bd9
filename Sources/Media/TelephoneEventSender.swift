/// The packets that send one key press as RFC 4733 events (§2.5.1):
/// a first packet with the marker bit, updates every `updateInterval` carrying the
/// duration so far, and the final duration three times with the E bit (§2.5.1.4,
/// retransmission of the end packet). All share the event's start timestamp.
///
/// Pure: it says what to send and when (offset from the start of the press); the
/// media session sends each step on the clock tick that reaches its offset.
public struct TelephoneEventSender: Sendable {
    public struct Step: Sendable, Equatable {
        /// When to send, in milliseconds after the start of the press.
        public var offsetMilliseconds: Int
        public var marker: Bool
        public var event: TelephoneEvent
    }

    public let eventCode: UInt8
    public let volume: UInt8
    public let durationMilliseconds: Int
    public let updateIntervalMilliseconds: Int
    public let clockRate: Int

    /// - Parameters:
    ///   - digit: 0–9, `*`, `#`, A–D.
    ///   - durationMilliseconds: how long the key is held (100 ms is common; 40 ms is the
    ///     minimum a receiver must accept).
    /// - Returns: nil for a character that is not a DTMF key.
    public init?(digit: Character, volume: UInt8 = 10, durationMilliseconds: Int = 100,
                 updateIntervalMilliseconds: Int = 50, clockRate: Int = 8000) {
        guard let code = TelephoneEvent.code(forDigit: digit) else { return nil }
        precondition(durationMilliseconds > 0 && updateIntervalMilliseconds > 0)
        self.eventCode = code
        self.volume = volume
        self.durationMilliseconds = durationMilliseconds
        self.updateIntervalMilliseconds = updateIntervalMilliseconds
        self.clockRate = clockRate
    }

    private func samples(_ milliseconds: Int) -> UInt16 {
        UInt16(clamping: milliseconds * clockRate / 1000)
    }

    /// The whole sequence, in sending order.
    public var steps: [Step] {
        var steps: [Step] = []
        // The first packet claims one 20 ms frame so that no receiver sees duration 0.
        steps.append(Step(offsetMilliseconds: 0, marker: true,
                          event: TelephoneEvent(event: eventCode, volume: volume,
                                                duration: samples(min(20, durationMilliseconds)))))
        var offset = updateIntervalMilliseconds
        while offset < durationMilliseconds {
            steps.append(Step(offsetMilliseconds: offset, marker: false,
                              event: TelephoneEvent(event: eventCode, volume: volume, duration: samples(offset))))
            offset += updateIntervalMilliseconds
        }
        for repeatIndex in 0..<3 {
            steps.append(Step(offsetMilliseconds: durationMilliseconds + 20 * repeatIndex, marker: false,
                              event: TelephoneEvent(event: eventCode, isEnd: true, volume: volume,
                                                    duration: samples(durationMilliseconds))))
        }
        return steps
    }
}
