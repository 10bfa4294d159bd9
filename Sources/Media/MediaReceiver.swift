import NIOCore

/// What one call's media stream does with each received RTP datagram, as a pure state
/// machine (no channel, no clock): parse, count, follow the peer's address (symmetric
/// RTP, as `SymmetricRTP` allows), and turn RFC 4733 events or in-band tones into digits. `RTPInboundHandler`
/// drives it from the socket; tests drive it directly.
public struct MediaReceiver: Sendable {
    public enum Event: Sendable, Equatable {
        case digit(Character, DTMFSource)
        /// The peer's media comes from another address than the signalled one, steadily
        /// (RFC 4961 spirit: NAT rewrites ports); send there from now on.
        case remoteLearned(SocketAddress)
    }

    public struct Configuration: Sendable, Equatable {
        public var law: G711Law
        public var payloadType: UInt8
        public var telephoneEventPayloadType: UInt8?
        /// Someone takes digits from this stream, so the in-band (Goertzel) detector may
        /// run on decoded audio, when and as long as `dtmfMode` says (`DTMFDetection`).
        public var inbandDetection: Bool
        /// Which detectors run (`DTMFDetection.decide`): `auto` listens for tones where the
        /// peer offered no telephone-event, and where it did until its first RFC 4733 event
        /// shows that it uses them (a phone that negotiated RFC 4733 but sends tones is heard too).
        public var dtmfMode: DTMFMode
        /// The address signalled in SDP, until symmetric RTP learns another.
        public var expectedRemote: SocketAddress?
        public var symmetricRTP: SymmetricRTP

        public init(law: G711Law, payloadType: UInt8, telephoneEventPayloadType: UInt8?,
                    inbandDetection: Bool, expectedRemote: SocketAddress?, symmetricRTP: SymmetricRTP = .default,
                    dtmfMode: DTMFMode = .auto) {
            self.law = law
            self.dtmfMode = dtmfMode
            self.payloadType = payloadType
            self.telephoneEventPayloadType = telephoneEventPayloadType
            self.inbandDetection = inbandDetection
            self.expectedRemote = expectedRemote
            self.symmetricRTP = symmetricRTP
        }
    }

    public private(set) var configuration: Configuration?
    public private(set) var packetsReceived: UInt64 = 0
    public private(set) var octetsReceived: UInt64 = 0
    public private(set) var packetsMalformed: UInt64 = 0
    public private(set) var lastError: RTPParseError?
    public private(set) var sequence = RTPSequenceTracker()
    public private(set) var jitter = RTPJitterEstimator()
    public private(set) var packetsFromStrangers: UInt64 = 0
    /// An address media came from instead of the expected one, while it proves itself.
    private var candidate: (source: SocketAddress, lastSequence: UInt16, count: Int)?
    /// The expected address has sent media: it is the peer, and nobody else can take over.
    private var heardExpected = false
    private var telephoneEventsSeen = false
    private var eventSSRC: UInt32?
    private var events = TelephoneEventReceiver()
    private var detector = GoertzelDTMFDetector()

    public init(configuration: Configuration? = nil) {
        self.configuration = configuration
    }

    /// Sets what the stream carries (at start and on every re-INVITE). A new expected
    /// remote address starts symmetric-RTP learning afresh.
    public mutating func configure(_ configuration: Configuration) {
        if configuration.expectedRemote != self.configuration?.expectedRemote {
            candidate = nil
            heardExpected = false
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
        guard accept(from: source, sequence: header.sequenceNumber, configuration, emit: emit) else { return }
        if header.payloadType == configuration.telephoneEventPayloadType {
            sequence.record(ssrc: header.ssrc, sequence: header.sequenceNumber)
            telephoneEventsSeen = true
            // `inband`: the packet is no audio and no key either.
            guard DTMFDetection.decide(mode: configuration.dtmfMode, offeredTelephoneEvent: true,
                                       telephoneEventSeen: true).telephoneEvents else { return }
            if header.ssrc != eventSSRC {
                // A new stream (the peer restarted its sender): its events are new presses.
                eventSSRC = header.ssrc
                events = TelephoneEventReceiver()
            }
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
        // Asked only where someone takes digits: a bridged B leg's packets skip it.
        let inband = configuration.inbandDetection
            && DTMFDetection.decide(mode: configuration.dtmfMode,
                                    offeredTelephoneEvent: configuration.telephoneEventPayloadType != nil,
                                    telephoneEventSeen: telephoneEventsSeen).inband
        guard inband || audio != nil else { return }
        let law = header.payloadType == configuration.payloadType
            ? configuration.law : G711Law(payloadType: header.payloadType)
        guard let law else { return }
        let payload = UnsafeRawBufferPointer(rebasing: datagram[header.payloadOffset..<(header.payloadOffset + header.payloadLength)])
        audio?(header, payload, law)
        guard inband else { return }
        detector.process(codeWords: payload, law) { emit(.digit($0, .inband)) }
    }

    /// Symmetric RTP: whether a packet from `source` is the peer's. From the expected
    /// address always; with `off` from anywhere (sending stays on the SDP address); with
    /// `learn` another source is adopted only after enough consecutive packets from it,
    /// and only while the expected address has sent nothing (a NAT rewrote it): once the
    /// peer is heard where it said it would be, strangers are dropped.
    private mutating func accept(from source: SocketAddress, sequence number: UInt16, _ configuration: Configuration,
                                 emit: (Event) -> Void) -> Bool {
        guard let expected = configuration.expectedRemote, source != expected else {
            candidate = nil
            heardExpected = true
            return true
        }
        guard case .learn(let needed) = configuration.symmetricRTP else { return true }
        guard !heardExpected else {
            packetsFromStrangers += 1
            return false
        }
        if let seen = candidate, seen.source == source, number == seen.lastSequence &+ 1 {
            candidate = (source, number, seen.count + 1)
        } else {
            candidate = (source, number, 1)
        }
        guard let proven = candidate, proven.count >= needed else {
            packetsFromStrangers += 1
            return false
        }
        candidate = nil
        heardExpected = true
        self.configuration?.expectedRemote = source
        emit(.remoteLearned(source))
        return true
    }
}
