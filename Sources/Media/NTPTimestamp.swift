import Foundation

/// A 64-bit NTP timestamp (RFC 5905 §6; RFC 3550 §4): seconds since 1900-01-01 in
/// the high word, the binary fraction of a second in the low word.
public struct NTPTimestamp: Sendable, Hashable {
    public var seconds: UInt32
    public var fraction: UInt32

    /// Seconds between the NTP era (1900) and the Unix epoch (1970).
    static let unixEpochOffset: Double = 2_208_988_800

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    public init(_ date: Date) {
        let ntp = date.timeIntervalSince1970 + NTPTimestamp.unixEpochOffset
        let whole = ntp.rounded(.down)
        seconds = UInt32(truncatingIfNeeded: Int64(whole))
        fraction = UInt32(min((ntp - whole) * 4_294_967_296, 4_294_967_295))
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(seconds) - NTPTimestamp.unixEpochOffset
             + Double(fraction) / 4_294_967_296)
    }

    /// The middle 32 bits, as carried in a report block's LSR field (§6.4.1).
    public var middle32: UInt32 { seconds << 16 | fraction >> 16 }
}
