/// An SDP session description (RFC 4566): parse with `init(parsing:)`, serialise with
/// `description` (CRLF line ends, fields in the §5 order).
public struct SessionDescription: Hashable, Sendable, CustomStringConvertible {
    public var version: Int
    public var origin: SDPOrigin
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String]
    public var phones: [String]
    public var connection: SDPConnection?
    public var bandwidths: [String]
    /// `t=` lines; `(0, 0)` is an unbounded session.
    public var timings: [SDPTiming]
    /// `r=` lines, kept as written.
    public var repeatTimes: [String]
    public var timeZones: String?
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]
    public var media: [SDPMediaDescription]

    public init(origin: SDPOrigin, sessionName: String = "-", connection: SDPConnection? = nil, timings: [SDPTiming] = [SDPTiming(start: 0, stop: 0)], attributes: [SDPAttribute] = [], media: [SDPMediaDescription] = []) {
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName
        self.information = nil
        self.uri = nil
        self.emails = []
        self.phones = []
        self.connection = connection
        self.bandwidths = []
        self.timings = timings
        self.repeatTimes = []
        self.timeZones = nil
        self.encryptionKey = nil
        self.attributes = attributes
        self.media = media
    }

    /// The session-level direction attribute, if any.
    public var direction: SDPDirection? {
        for a in attributes where a.value == nil {
            if let d = SDPDirection(rawValue: a.name) { return d }
        }
        return nil
    }

    /// The direction that applies to a media section (media level, else session level, else sendrecv).
    public func effectiveDirection(of media: SDPMediaDescription) -> SDPDirection {
        media.direction ?? direction ?? .sendrecv
    }

    /// The connection address that applies to a media section.
    public func effectiveConnection(of media: SDPMediaDescription) -> SDPConnection? {
        media.connection ?? connection
    }

    public init(parsing text: String) throws(SDPParseError) {
        var version: Int?
        var origin: SDPOrigin?
        var sessionName: String?
        var information: String?, uri: String?, timeZones: String?, key: String?
        var emails = [String](), phones = [String](), bandwidths = [String](), repeats = [String]()
        var connection: SDPConnection?
        var timings = [SDPTiming]()
        var attributes = [SDPAttribute]()
        var media = [SDPMediaDescription]()

        // Lines are found on the UTF-8 bytes (CRLF or LF); each becomes one String.
        let bytes = Array(text.utf8)
        var lineNumber = 0
        var next = 0
        while next < bytes.count {
            let start = next
            var end = start
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            next = end + 1
            if end > start, bytes[end - 1] == 13 { end -= 1 }
            lineNumber += 1
            if end == start { continue }  // tolerate blank lines (e.g. a trailing CRLF)
            guard end - start >= 2, bytes[start + 1] == UInt8(ascii: "=") else {
                throw SDPParseError(line: lineNumber, reason: "expected <type>=<value>, got \"\(String(decoding: bytes[start..<min(end, start + 40)], as: UTF8.self))\"")
            }
            let type = Character(Unicode.Scalar(bytes[start]))
            let value = String(decoding: bytes[(start + 2)..<end], as: UTF8.self)[...]
            if version == nil && type != "v" { throw SDPParseError(line: lineNumber, reason: "the first line must be v=") }
            if !media.isEmpty {
                let m = media.count - 1
                switch type {
                case "m": media.append(try SDPMediaDescription(parsing: value, line: lineNumber))
                case "i": media[m].information = String(value)
                case "c": media[m].connection = try SDPConnection(parsing: value, line: lineNumber)
                case "b": media[m].bandwidths.append(String(value))
                case "k": media[m].encryptionKey = String(value)
                case "a": media[m].attributes.append(SDPAttribute(parsing: value))
                default: throw SDPParseError(line: lineNumber, reason: "\(type)= is not allowed in a media section")
                }
                continue
            }
            switch type {
            case "v":
                guard version == nil else { throw SDPParseError(line: lineNumber, reason: "v= appears twice") }
                guard value == "0" else { throw SDPParseError(line: lineNumber, reason: "unsupported SDP version \"\(value)\"") }
                version = 0
            case "o": origin = try SDPOrigin(parsing: value, line: lineNumber)
            // An empty s= is written back as "-" (RFC 4566 §5.3); read it so (fuzz finding).
            case "s": sessionName = value.isEmpty ? "-" : String(value)
            case "i": information = String(value)
            case "u": uri = String(value)
            case "e": emails.append(String(value))
            case "p": phones.append(String(value))
            case "c": connection = try SDPConnection(parsing: value, line: lineNumber)
            case "b": bandwidths.append(String(value))
            case "t": timings.append(try SDPTiming(parsing: value, line: lineNumber))
            case "r": repeats.append(String(value))
            case "z": timeZones = String(value)
            case "k": key = String(value)
            case "a": attributes.append(SDPAttribute(parsing: value))
            case "m":
                guard origin != nil else { throw SDPParseError(line: lineNumber, reason: "m= before o=") }
                media.append(try SDPMediaDescription(parsing: value, line: lineNumber))
            default: throw SDPParseError(line: lineNumber, reason: "unknown type \(type)=")
            }
        }
        guard version != nil else { throw SDPParseError(line: max(lineNumber, 1), reason: "missing v=") }
        guard let origin else { throw SDPParseError(line: lineNumber, reason: "missing o=") }
        self.version = 0
        self.origin = origin
        // s= is mandatory (§5.3) but some endpoints omit it; "-" is its neutral value.
        self.sessionName = sessionName ?? "-"
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings.isEmpty ? [SDPTiming(start: 0, stop: 0)] : timings
        self.repeatTimes = repeats
        self.timeZones = timeZones
        self.encryptionKey = key
        self.attributes = attributes
        self.media = media
    }

    public var description: String {
        var out = "v=\(version)\r\no=\(origin)\r\ns=\(sessionName.isEmpty ? "-" : sessionName)\r\n"
        if let information { out += "i=\(information)\r\n" }
        if let uri { out += "u=\(uri)\r\n" }
        for e in emails { out += "e=\(e)\r\n" }
        for p in phones { out += "p=\(p)\r\n" }
        if let connection { out += "c=\(connection)\r\n" }
        for b in bandwidths { out += "b=\(b)\r\n" }
        for t in timings { out += "t=\(t.start) \(t.stop)\r\n" }
        for r in repeatTimes { out += "r=\(r)\r\n" }
        if let timeZones { out += "z=\(timeZones)\r\n" }
        if let encryptionKey { out += "k=\(encryptionKey)\r\n" }
        for a in attributes { out += "a=\(a)\r\n" }
        for m in media { m.lines(into: &out) }
        return out
    }

    /// The description as a message body.
    public var bytes: [UInt8] { Array(description.utf8) }
}
