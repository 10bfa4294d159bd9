/// The payload of an RFC 4733 telephone-event packet (§2.3):
///
/// ```
///  0                   1                   2                   3
/// |     event     |E|R| volume    |          duration             |
/// ```
public struct TelephoneEvent: Sendable, Hashable {
    /// Event code (§3.2 table 1: 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash).
    public var event: UInt8
    /// E bit: this packet ends the event.
    public var isEnd: Bool
    /// Power level of the tone in dBm0 below zero (0–63); 10 is typical.
    public var volume: UInt8
    /// Duration so far in RTP timestamp units (samples at 8 kHz).
    public var duration: UInt16

    public static let payloadLength = 4

    public init(event: UInt8, isEnd: Bool = false, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.volume = min(volume, 63)
        self.duration = duration
    }

    /// The DTMF character of the event, or nil for codes that are not keys (flash…).
    public var digit: Character? { TelephoneEvent.digit(forCode: event) }

    static let keys: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]

    public static func digit(forCode code: UInt8) -> Character? {
        code < 16 ? keys[Int(code)] : nil
    }

    /// The event code of a DTMF key (letters in either case), or nil.
    public static func code(forDigit digit: Character) -> UInt8? {
        let upper = Character(digit.uppercased())
        return keys.firstIndex(of: upper).map { UInt8($0) }
    }

    /// Parses the four octets of an event payload; nil if fewer are given.
    /// Octets beyond the first four (redundant events, §2.5.1.4 style) are ignored.
    public init?(parsing bytes: some Collection<UInt8>) {
        guard bytes.count >= TelephoneEvent.payloadLength else { return nil }
        var i = bytes.startIndex
        let code = bytes[i]; i = bytes.index(after: i)
        let flags = bytes[i]; i = bytes.index(after: i)
        let high = bytes[i]; i = bytes.index(after: i)
        let low = bytes[i]
        self.init(event: code, isEnd: flags & 0x80 != 0, volume: flags & 0x3F,
                  duration: UInt16(high) << 8 | UInt16(low))
    }

    /// Parses from raw memory (the receive path).
    init?(parsing raw: UnsafeRawBufferPointer, offset: Int, length: Int) {
        guard length >= TelephoneEvent.payloadLength else { return nil }
        self.init(event: raw[offset], isEnd: raw[offset + 1] & 0x80 != 0, volume: raw[offset + 1] & 0x3F,
                  duration: UInt16(raw[offset + 2]) << 8 | UInt16(raw[offset + 3]))
    }

    public func serialized() -> [UInt8] {
        [event, (isEnd ? 0x80 : 0) | (volume & 0x3F), UInt8(duration >> 8), UInt8(duration & 0xFF)]
    }
}
