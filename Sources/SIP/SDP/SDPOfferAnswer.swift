/// RFC 3264 offer/answer for one G.711 audio stream plus RFC 4733 telephone-events.
public enum SDPOfferAnswer {
    /// The `telephone-event` encoding name (RFC 4733 §7.1.1).
    static let telephoneEvent = "telephone-event"
    static let defaultPtime = 20

    /// Answers an offer (RFC 3264 §6): accepts the first audio RTP/AVP stream that has
    /// a codec in `preferred` (choosing the offerer's first such codec), echoes the
    /// offer's telephone-event payload type, mirrors the direction, and rejects every
    /// other stream with port 0. Throws when no audio stream can be accepted (the UAS
    /// then answers 488).
    public static func answer(to offer: SessionDescription, localAddress: String, localPort: Int, preferred: [SDPAudioCodec] = [.pcmu, .pcma], sessionID: UInt64, sessionVersion: UInt64) throws(SDPNegotiationError) -> (answer: SessionDescription, media: NegotiatedAudio) {
        var answerMedia = [SDPMediaDescription]()
        var negotiated: NegotiatedAudio?
        var offeredAudioCodecs = [String]()
        var sawAudio = false
        var missingConnection = false
        for m in offer.media {
            if negotiated == nil, m.media == "audio", m.port != 0, m.proto.uppercased() == "RTP/AVP" {
                sawAudio = true
                if let choice = chooseCodec(in: m, among: preferred) {
                    guard let connection = offer.effectiveConnection(of: m) else {
                        missingConnection = true
                        answerMedia.append(rejected(m))
                        continue
                    }
                    let te = telephoneEventPayloadType(in: m)
                    let ptime = m.ptime ?? defaultPtime
                    let direction = offer.effectiveDirection(of: m).mirrored
                    var a = SDPMediaDescription(media: "audio", port: localPort, proto: m.proto, formats: [String(choice.payloadType)])
                    a.attributes.append(SDPAttribute(name: "rtpmap", value: "\(choice.payloadType) \(choice.codec.encodingName)/8000"))
                    if let te {
                        a.formats.append(String(te))
                        a.attributes.append(SDPAttribute(name: "rtpmap", value: "\(te) telephone-event/8000"))
                        a.attributes.append(SDPAttribute(name: "fmtp", value: "\(te) \(m.fmtp[te] ?? "0-15")"))
                    }
                    a.attributes.append(SDPAttribute(name: "ptime", value: String(ptime)))
                    a.setDirection(direction)
                    answerMedia.append(a)
                    negotiated = NegotiatedAudio(remoteAddress: connection.host, remotePort: m.port, codec: choice.codec, payloadType: choice.payloadType, telephoneEventPayloadType: te, ptimeMilliseconds: ptime, direction: direction)
                    continue
                }
                let maps = rtpmapsByPayloadType(m)
                offeredAudioCodecs += m.formats.map { pt in maps[UInt8(pt) ?? 255].map { "\($0.encodingName)/\($0.clockRate)" } ?? pt }
            }
            answerMedia.append(rejected(m))
        }
        guard let negotiated else {
            if missingConnection { throw .missingConnection }
            throw sawAudio ? .noCommonCodec(offered: offeredAudioCodecs) : .noAudioStream
        }
        let answer = SessionDescription(
            origin: SDPOrigin(sessionID: sessionID, sessionVersion: sessionVersion, addressType: addressType(localAddress), address: localAddress),
            connection: SDPConnection(address: localAddress),
            media: answerMedia)
        return (answer, negotiated)
    }

    /// An offer for one audio stream with `codecs` (in preference order) and
    /// telephone-events (RFC 4733) at `telephoneEventPayloadType`, sendrecv, 20 ms.
    public static func offer(localAddress: String, localPort: Int, codecs: [SDPAudioCodec] = [.pcmu, .pcma], telephoneEventPayloadType: UInt8 = 101, sessionID: UInt64, sessionVersion: UInt64, direction: SDPDirection = .sendrecv) -> SessionDescription {
        var m = SDPMediaDescription(media: "audio", port: localPort, proto: "RTP/AVP", formats: codecs.map { String($0.payloadType) } + [String(telephoneEventPayloadType)])
        for c in codecs { m.attributes.append(SDPAttribute(name: "rtpmap", value: "\(c.payloadType) \(c.encodingName)/8000")) }
        m.attributes.append(SDPAttribute(name: "rtpmap", value: "\(telephoneEventPayloadType) telephone-event/8000"))
        m.attributes.append(SDPAttribute(name: "fmtp", value: "\(telephoneEventPayloadType) 0-16"))
        m.attributes.append(SDPAttribute(name: "ptime", value: String(defaultPtime)))
        m.setDirection(direction)
        return SessionDescription(
            origin: SDPOrigin(sessionID: sessionID, sessionVersion: sessionVersion, addressType: addressType(localAddress), address: localAddress),
            connection: SDPConnection(address: localAddress),
            media: [m])
    }

    /// Reads the answer to an offer we made (RFC 3264 §7): the answer must have as many
    /// m= lines as the offer; our audio stream must be accepted with a codec we offered.
    public static func accept(answer: SessionDescription, to offer: SessionDescription) throws(SDPNegotiationError) -> NegotiatedAudio {
        guard answer.media.count == offer.media.count else {
            throw .answerDoesNotMatchOffer("\(answer.media.count) m= lines for \(offer.media.count) offered")
        }
        // The offered live RTP/AVP audio streams; the answerer takes one and may reject
        // (port 0) those before it it cannot use, as `answer(to:)` does: the stream is the
        // first one the answer keeps. (Fuzzing found an offer answered on its second
        // audio line that this side then read from the first.)
        let live = offer.media.indices.filter {
            offer.media[$0].media == "audio" && offer.media[$0].port != 0 && offer.media[$0].proto.uppercased() == "RTP/AVP"
        }
        guard let firstLive = live.first else { throw .noAudioStream }
        let index = live.first { answer.media[$0].port != 0 } ?? firstLive
        let offered = offer.media[index]
        let m = answer.media[index]
        guard m.media == "audio" else { throw .answerDoesNotMatchOffer("m= line \(index + 1) is \(m.media), offered audio") }
        guard m.port != 0 else { throw .audioRejected }
        let offeredMaps = rtpmapsByPayloadType(offered)
        let offeredCodecs = offered.formats.compactMap { UInt8($0) }.compactMap { pt in codec(for: pt, maps: offeredMaps) }
        guard let choice = chooseCodec(in: m, among: offeredCodecs) else {
            throw .noCommonCodec(offered: m.formats)
        }
        guard let connection = answer.effectiveConnection(of: m) else { throw .missingConnection }
        let te = telephoneEventPayloadType(in: m)
        return NegotiatedAudio(remoteAddress: connection.host, remotePort: m.port, codec: choice.codec, payloadType: choice.payloadType,
                               telephoneEventPayloadType: te, ptimeMilliseconds: m.ptime ?? offered.ptime ?? defaultPtime,
                               direction: answer.effectiveDirection(of: m).mirrored)
    }

    /// A rejected copy of a media section (RFC 3264 §6: port 0, same media and proto,
    /// at least one format).
    static func rejected(_ m: SDPMediaDescription) -> SDPMediaDescription {
        SDPMediaDescription(media: m.media, port: 0, proto: m.proto, formats: m.formats.isEmpty ? ["0"] : [m.formats[0]])
    }

    /// What codec a payload type means in a media section: its rtpmap when present,
    /// else the static assignment (RFC 3551: 0 PCMU, 8 PCMA).
    static func codec(for pt: UInt8, in m: SDPMediaDescription) -> SDPAudioCodec? {
        codec(for: pt, maps: rtpmapsByPayloadType(m))
    }

    static func rtpmapsByPayloadType(_ m: SDPMediaDescription) -> [UInt8: SDPRtpMap] {
        var maps = [UInt8: SDPRtpMap]()
        for map in m.rtpmaps where maps[map.payloadType] == nil { maps[map.payloadType] = map }
        return maps
    }

    static func codec(for pt: UInt8, maps: [UInt8: SDPRtpMap]) -> SDPAudioCodec? {
        if let map = maps[pt] { return SDPAudioCodec(encodingName: map.encodingName, clockRate: map.clockRate) }
        switch pt {
        case 0: return .pcmu
        case 8: return .pcma
        default: return nil
        }
    }

    /// The first format of `m` (its owner's preference order) whose codec is in `supported`.
    static func chooseCodec(in m: SDPMediaDescription, among supported: [SDPAudioCodec]) -> (codec: SDPAudioCodec, payloadType: UInt8)? {
        let maps = rtpmapsByPayloadType(m)
        for f in m.formats {
            guard let pt = UInt8(f), let c = codec(for: pt, maps: maps), supported.contains(c) else { continue }
            return (c, pt)
        }
        return nil
    }

    static func telephoneEventPayloadType(in m: SDPMediaDescription) -> UInt8? {
        for map in m.rtpmaps where map.encodingName.lowercased() == telephoneEvent && map.clockRate == 8000 {
            if m.formats.contains(String(map.payloadType)) { return map.payloadType }
        }
        return nil
    }

    static func addressType(_ address: String) -> String { address.contains(":") ? "IP6" : "IP4" }
}
