/// Which DTMF detectors a leg's media runs on what it receives: the in-band tone detector
/// (G.711 decoding and Goertzel over every audio packet, a quarter of a relayed packet's
/// instructions in the callgrind bridge profile, issue 19) and/or RFC 4733 events.
///
/// A pure decision over the leg's `DTMFMode`, whether the peer offered telephone-event
/// (RFC 4733 §7.1.1) and whether an RFC 4733 event has arrived yet; `MediaReceiver` asks it
/// per packet. Whether anyone takes digits from the leg at all is a separate switch
/// (`MediaReceiver.Configuration.inbandDetection`).
///
/// | mode | offered telephone-event | event seen | in-band | RFC 4733 |
/// |---|---|---|---|---|
/// | auto | no | – | yes | no |
/// | auto | yes | no | yes | yes |
/// | auto | yes | yes | no | yes |
/// | rfc4733 | no | – | no | no |
/// | rfc4733 | yes | any | no | yes |
/// | inband | any | any | yes | no |
public struct DTMFDetection: Sendable, Hashable, CustomStringConvertible {
    /// Decode audio and run the Goertzel detector over it.
    public var inband: Bool
    /// Turn telephone-event packets into digits.
    public var telephoneEvents: Bool

    public init(inband: Bool, telephoneEvents: Bool) {
        self.inband = inband
        self.telephoneEvents = telephoneEvents
    }

    public static let nothing = DTMFDetection(inband: false, telephoneEvents: false)
    public static let inbandOnly = DTMFDetection(inband: true, telephoneEvents: false)
    public static let telephoneEventsOnly = DTMFDetection(inband: false, telephoneEvents: true)
    public static let both = DTMFDetection(inband: true, telephoneEvents: true)

    /// No key can be heard on the leg (an `rfc4733` leg whose peer offered no
    /// telephone-event): worth a line in the log.
    public var hearsNothing: Bool { !inband && !telephoneEvents }

    public static func decide(mode: DTMFMode, offeredTelephoneEvent: Bool, telephoneEventSeen: Bool) -> DTMFDetection {
        switch mode {
        case .auto:
            // Today's rule: tones until the peer shows it sends events.
            guard offeredTelephoneEvent else { return .inbandOnly }
            return telephoneEventSeen ? .telephoneEventsOnly : .both
        case .rfc4733:
            return offeredTelephoneEvent ? .telephoneEventsOnly : .nothing
        case .inband:
            return .inbandOnly
        }
    }

    public var description: String {
        switch (inband, telephoneEvents) {
        case (true, true): return "inband+rfc4733"
        case (true, false): return "inband"
        case (false, true): return "rfc4733"
        case (false, false): return "none"
        }
    }
}
