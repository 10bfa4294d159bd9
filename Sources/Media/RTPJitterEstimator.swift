/// Interarrival jitter of a received RTP stream (RFC 3550 §6.4.1 and appendix A.8):
/// the mean deviation of the difference in packet spacing at the receiver compared
/// with the sender, in timestamp units, smoothed with gain 1/16.
public struct RTPJitterEstimator: Sendable, Equatable {
    public let clockRate: Int
    private var previousTransit: Int64?
    private var estimate: Double = 0

    public init(clockRate: Int = 8000) {
        self.clockRate = clockRate
    }

    /// The current estimate in timestamp units, as carried in a report block.
    public var jitter: UInt32 { UInt32(clamping: Int64(estimate.rounded())) }

    /// Records a packet's RTP timestamp and its arrival time (nanoseconds on any one
    /// clock: the kernel stamps datagrams with the wall clock, ~1.8·10¹⁸ now).
    public mutating func record(timestamp: UInt32, arrivalNanoseconds: UInt64) {
        // In timestamp units, whole seconds and the rest apart so that no product
        // overflows; only the value modulo 2^32 matters below.
        let micros = arrivalNanoseconds / 1000
        let rate = UInt64(clockRate)
        let arrival = Int64(truncatingIfNeeded: (micros / 1_000_000) &* rate &+ (micros % 1_000_000) * rate / 1_000_000)
        // Work modulo 2^32 like the timestamps themselves.
        let transit = Int64(Int32(truncatingIfNeeded: arrival &- Int64(timestamp)))
        defer { previousTransit = transit }
        guard let previousTransit else { return }
        let difference = abs(Int64(Int32(truncatingIfNeeded: transit &- previousTransit)))
        estimate += (Double(difference) - estimate) / 16
    }

    /// Forgets the stream (new SSRC).
    public mutating func reset() {
        previousTransit = nil
        estimate = 0
    }
}
