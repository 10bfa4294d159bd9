/// The headers the parser, the typed accessors and the serialiser look up on every
/// message, recognised once per field (long or compact name, any case) so that a
/// lookup compares one byte instead of the name's text.
enum SIPKnownHeader: UInt8, Sendable {
    case other
    case via, from, to, callID, cseq, contact, maxForwards, route, recordRoute
    case contentType, contentLength, contentEncoding, expires, require, proxyRequire
    case supported, unsupported, allow, accept, timestamp

    init(_ name: String) {
        var n = name
        self = n.withUTF8 { Self(utf8: $0) }
    }

    /// Same answer as `SIPHeaderKey(long name).matches(name)` for each case.
    init<C: Collection>(utf8 name: C) where C.Element == UInt8 {
        let count = name.count
        guard let first = name.first else { self = .other; return }
        let f = first | 0x20
        if count == 1 {
            switch f {
            case UInt8(ascii: "v"): self = .via
            case UInt8(ascii: "f"): self = .from
            case UInt8(ascii: "t"): self = .to
            case UInt8(ascii: "i"): self = .callID
            case UInt8(ascii: "m"): self = .contact
            case UInt8(ascii: "c"): self = .contentType
            case UInt8(ascii: "l"): self = .contentLength
            case UInt8(ascii: "e"): self = .contentEncoding
            case UInt8(ascii: "k"): self = .supported
            default: self = .other
            }
            return
        }
        // `long` is lowercase and as long as `name` (the switch below checks the count).
        func named(_ long: StaticString, _ header: SIPKnownHeader) -> SIPKnownHeader {
            let lit = long.utf8Start
            var k = 0
            for c in name {
                let lower = c >= 65 && c <= 90 ? c | 0x20 : c
                if lower != lit[k] { return .other }
                k += 1
            }
            return header
        }
        // Length and first letter pick at most one candidate.
        switch (count, f) {
        case (2, UInt8(ascii: "t")): self = named("to", .to)
        case (3, UInt8(ascii: "v")): self = named("via", .via)
        case (4, UInt8(ascii: "f")): self = named("from", .from)
        case (4, UInt8(ascii: "c")): self = named("cseq", .cseq)
        case (5, UInt8(ascii: "r")): self = named("route", .route)
        case (5, UInt8(ascii: "a")): self = named("allow", .allow)
        case (6, UInt8(ascii: "a")): self = named("accept", .accept)
        case (7, UInt8(ascii: "c")):
            let s = named("call-id", .callID)
            self = s == .other ? named("contact", .contact) : s
        case (7, UInt8(ascii: "e")): self = named("expires", .expires)
        case (7, UInt8(ascii: "r")): self = named("require", .require)
        case (9, UInt8(ascii: "s")): self = named("supported", .supported)
        case (9, UInt8(ascii: "t")): self = named("timestamp", .timestamp)
        case (11, UInt8(ascii: "u")): self = named("unsupported", .unsupported)
        case (12, UInt8(ascii: "m")): self = named("max-forwards", .maxForwards)
        case (12, UInt8(ascii: "r")): self = named("record-route", .recordRoute)
        case (12, UInt8(ascii: "c")): self = named("content-type", .contentType)
        case (13, UInt8(ascii: "p")): self = named("proxy-require", .proxyRequire)
        case (14, UInt8(ascii: "c")): self = named("content-length", .contentLength)
        case (16, UInt8(ascii: "c")): self = named("content-encoding", .contentEncoding)
        default: self = .other
        }
    }
}
