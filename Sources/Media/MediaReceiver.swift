import NIOCore

/// What one call's media stream does with each received RTP datagram, as a pure state
/// machine (no channel, no clock): parse, count, latch the peer's address (symmetric
/// RTP), and turn RFC 4733 events or in-band tones into digits. `RTPInboundHandler`
/// drives it from the socket; tests drive it directly.
public struct MediaReceiver: Sendable {
    public enum Event: Sendable, Equatable {
        case digit(Character, DTMFSource)
        /// The first packet came from another address than the signalled one
        /// (RFC 4961 spirit: NAT rewrites ports); send there from now on.
        case remoteLearned(SocketAddress)
    }

    public struct Configuration: Sendable, Equatable {
        public var law: G711Law
        public var payloadType: UInt8
        public var telephoneEventPayloadType: UInt8?
        /// Run the Goertzel detector on decoded audio. The session sets it only when
        /// the peer offered no telephone-event, to save CPU.
        public var inbandDetection: Bool
        /// The address signalled in SDP; the first packet may override it.
        public var expectedRemote: SocketAddress?

        public init(law: G711Law, payloadType: UInt8, telephoneEventPayloadType: UInt8?,
                    inbandDetection: Bool, expectedRemote: SocketAddress?) {
            self.law = law
            self.payloadType = payloadType
            self.telephoneEventPayloadType = telephoneEventPayloadType
            self.inbandDetection = inbandDetection
            self.expectedRemote = expectedRemote
        }
    }

    public private(set) var configuration: Configuration?
    public private(set) var packetsReceived: UInt64 = 0
    public private(set) var octetsReceived: UInt64 = 0
    public private(set) var packetsMalformed: UInt64 = 0
    public private(set) var lastError: RTPParseError?
    public private(set) var sequence = RTPSequenceTracker()
    public private(set) var jitter = RTPJitterEstimator()
    private var latched = false
    private var events = TelephoneEventReceiver()
    private var detector = GoertzelDTMFDetector()
    private var decoded: [Int16] = []

    public init(configuration: Configuration? = nil) {
        self.configuration = configuration
        decoded.reserveCapacity(G711.samplesPerFrame * 2)
    }

    /// Sets what the stream carries (at start and on every re-INVITE). A new expected
    /// remote address re-arms symmetric-RTP learning for the next packet.
    public mutating func configure(_ configuration: Configuration) {
        if configuration.expectedRemote != self.configuration?.expectedRemote {
            latched = false
        }
        self.configuration = configuration
    }

    /// Fraction of the peer's packets lost since the previous call, for an RTCP report
    /// block (RFC 3550 §6.4.1).
    public mutating func fractionLostSinceLastReport() -> UInt8 {
        sequence.fractionLostSinceLastReport()
    }

    /// Feeds one datagram from `source`. Datagrams before `configuration` is set (the
    /// call is not started yet) are counted and otherwise ignored. `arrivalNanoseconds`
    /// (monotonic) feeds the jitter estimate; without it jitter is not measured.
    ///
    /// `audio`, when given, receives each audio packet's header, payload (valid only
    /// during the call) and law: a bridge or a conference relays it from there.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress,
                                 arrivalNanoseconds: UInt64? = nil,
                                 audio: ((RTPHeader, UnsafeRawBufferPointer, G711Law) -> Void)? = nil,
                                 emit: (Event) -> Void) {
        let header: RTPHeader
        do {
            header = try RTPHeader(parsing: datagram)
        } catch {
            packetsMalformed += 1
            lastError = error
            return
        }
        packetsReceived += 1
        octetsReceived += UInt64(header.payloadLength)
        guard let configuration else { return }
        if !latched {
            latched = true
            if source != configuration.expectedRemote {
                self.configuration?.expectedRemote = source
                emit(.remoteLearned(source))
            }
        }
        if header.payloadType == configuration.telephoneEventPayloadType {
            sequence.record(ssrc: header.ssrc, sequence: header.sequenceNumber)
            guard let event = TelephoneEvent(parsing: datagram, offset: header.payloadOffset,
                                             length: header.payloadLength) else { return }
            if let digit = events.receive(timestamp: header.timestamp, marker: header.marker, event: event) {
                emit(.digit(digit, .rfc4733))
            }
            return
        }
        if header.ssrc != sequence.ssrc { jitter.reset() }
        sequence.record(ssrc: header.ssrc, sequence: header.sequenceNumber)
        if let arrivalNanoseconds {
            // Audio only: event packets repeat one timestamp and would inflate it.
            jitter.record(timestamp: header.timestamp, arrivalNanoseconds: arrivalNanoseconds)
        }
        guard configuration.inbandDetection || audio != nil else { return }
        let law = header.payloadType == configuration.payloadType
            ? configuration.law : G711Law(payloadType: header.payloadType)
        guard let law else { return }
        let payload = UnsafeRawBufferPointer(rebasing: datagram[header.payloadOffset..<(header.payloadOffset + header.payloadLength)])
        audio?(header, payload, law)
        guard configuration.inbandDetection else { return }
        G711.decode(payload, law, into: &decoded)
        detector.process(decoded) { emit(.digit($0, .inband)) }
    }
}
