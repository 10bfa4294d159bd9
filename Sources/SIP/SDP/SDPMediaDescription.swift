/// One `m=` section (RFC 4566 §5.14) with its i=, c=, b=, k= and a= lines.
public struct SDPMediaDescription: Hashable, Sendable {
    /// `audio`, `video`, `application`...
    public var media: String
    /// 0 means the stream is rejected or disabled (RFC 3264 §6).
    public var port: Int
    public var portCount: Int?
    /// `RTP/AVP`, `RTP/SAVP`, `udp`...
    public var proto: String
    /// Payload types (for RTP) or other format tokens, in preference order.
    public var formats: [String]
    public var information: String?
    public var connection: SDPConnection?
    public var bandwidths: [String]
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]

    public init(media: String = "audio", port: Int, proto: String = "RTP/AVP", formats: [String], connection: SDPConnection? = nil, attributes: [SDPAttribute] = []) {
        self.media = media
        self.port = port
        self.portCount = nil
        self.proto = proto
        self.formats = formats
        self.information = nil
        self.connection = connection
        self.bandwidths = []
        self.encryptionKey = nil
        self.attributes = attributes
    }

    public func attribute(_ name: String) -> SDPAttribute? { attributes.first { $0.name == name } }

    /// All `a=rtpmap` entries that parse.
    public var rtpmaps: [SDPRtpMap] {
        attributes.compactMap { $0.name == "rtpmap" ? $0.value.flatMap(SDPRtpMap.init(attributeValue:)) : nil }
    }

    public func rtpmap(for payloadType: UInt8) -> SDPRtpMap? { rtpmaps.first { $0.payloadType == payloadType } }

    /// `a=fmtp:<pt> <params>` by payload type.
    public var fmtp: [UInt8: String] {
        var result = [UInt8: String]()
        for a in attributes where a.name == "fmtp" {
            guard let v = a.value else { continue }
            let parts = v.split(separator: " ", maxSplits: 1)
            if let pt = parts.first.flatMap({ UInt8($0) }) { result[pt] = parts.count > 1 ? String(parts[1]) : "" }
        }
        return result
    }

    /// The direction attribute of this section, nil when it has none (then the
    /// session-level one, or sendrecv, applies).
    public var direction: SDPDirection? {
        for a in attributes where a.value == nil {
            if let d = SDPDirection(rawValue: a.name) { return d }
        }
        return nil
    }

    /// Sets (or replaces) the direction attribute.
    public mutating func setDirection(_ direction: SDPDirection) {
        attributes.removeAll { $0.value == nil && SDPDirection(rawValue: $0.name) != nil }
        attributes.append(SDPAttribute(name: direction.rawValue))
    }

    /// `a=ptime` in milliseconds.
    public var ptime: Int? { attribute("ptime")?.value.flatMap { Int($0.sipTrimmed) } }

    init(parsing value: Substring, line: Int) throws(SDPParseError) {
        // m=<media> <port>[/<number of ports>] <proto> <fmt> ...
        let f = SDPText.fields(value)
        guard f.count >= 3 else { throw SDPParseError(line: line, reason: "m= needs media, port and proto") }
        media = String(f[0])
        let portParts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard let port = Int(portParts[0]), (0...65535).contains(port) else {
            throw SDPParseError(line: line, reason: "m= port \"\(f[1])\" is not 0-65535")
        }
        self.port = port
        if portParts.count > 1 {
            guard portParts.count == 2, let n = Int(portParts[1]), n > 0 else { throw SDPParseError(line: line, reason: "m= bad number of ports") }
            portCount = n
        } else {
            portCount = nil
        }
        proto = String(f[2])
        formats = f.dropFirst(3).map(String.init)
        information = nil
        connection = nil
        bandwidths = []
        encryptionKey = nil
        attributes = []
    }

    func lines(into out: inout String) {
        out += "m=\(media) \(port)"
        if let portCount { out += "/\(portCount)" }
        out += " \(proto)"
        for f in formats { out += " \(f)" }
        out += "\r\n"
        if let information { out += "i=\(information)\r\n" }
        if let connection { out += "c=\(connection)\r\n" }
        for b in bandwidths { out += "b=\(b)\r\n" }
        if let encryptionKey { out += "k=\(encryptionKey)\r\n" }
        for a in attributes { out += "a=\(a)\r\n" }
    }
}
