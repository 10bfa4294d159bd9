/// How a leg's keys are heard (a trunk's `dtmf:`, Asterisk's `dtmf_mode`). Operators know
/// their gateways; `auto` is for when they do not.
///
/// - `auto`: RFC 4733 events where the peer offered telephone-event, and the in-band
///   (Goertzel) detector where it did not, or until its first event shows that it uses
///   them (a gateway that offers telephone-event but sends tones is heard too).
/// - `rfc4733`: telephone-event only, never the tone detector: no G.711 decoding per
///   packet. A peer that offered no telephone-event gives no keys at all.
/// - `inband`: the tone detector only, always; telephone-event packets give no keys
///   (a gateway whose events are unreliable, or that sends both).
///
/// Which detector runs when is `DTMFDetection.decide`.
/// The raw value is the configuration's spelling (`DTMFMode(rawValue: "rfc4733")`).
public enum DTMFMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case auto
    case rfc4733
    case inband

    public var description: String { rawValue }
}
