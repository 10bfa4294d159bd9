/// Header-name knowledge: compact forms (RFC 3261 §7.3.3 and extensions), which
/// headers are comma-separated lists, and case-insensitive matching that does not
/// allocate.
enum SIPHeaderName {
    /// Compact form letter → long name, lowercased.
    static let compactForms: [UInt8: String] = [
        UInt8(ascii: "a"): "accept-contact",
        UInt8(ascii: "b"): "referred-by",
        UInt8(ascii: "c"): "content-type",
        UInt8(ascii: "d"): "request-disposition",
        UInt8(ascii: "e"): "content-encoding",
        UInt8(ascii: "f"): "from",
        UInt8(ascii: "i"): "call-id",
        UInt8(ascii: "j"): "reject-contact",
        UInt8(ascii: "k"): "supported",
        UInt8(ascii: "l"): "content-length",
        UInt8(ascii: "m"): "contact",
        UInt8(ascii: "n"): "identity-info",
        UInt8(ascii: "o"): "event",
        UInt8(ascii: "r"): "refer-to",
        UInt8(ascii: "s"): "subject",
        UInt8(ascii: "t"): "to",
        UInt8(ascii: "u"): "allow-events",
        UInt8(ascii: "v"): "via",
        UInt8(ascii: "x"): "session-expires",
        UInt8(ascii: "y"): "identity",
    ]

    /// Headers whose values are comma-separated lists (RFC 3261 §7.3.1 and §20).
    /// Not here on purpose: WWW-Authenticate, Authorization, Proxy-*, Date, and any
    /// header whose value legitimately contains commas.
    static let listHeaders: Set<String> = [
        "via", "contact", "route", "record-route", "allow", "supported", "require",
        "proxy-require", "unsupported", "accept", "accept-encoding", "accept-language",
        "allow-events", "content-encoding", "content-language", "in-reply-to",
        "alert-info", "call-info", "error-info", "warning", "path", "service-route",
        "p-asserted-identity", "p-preferred-identity", "reason", "security-client",
        "security-server", "security-verify", "history-info",
    ]

    /// The lowercased long name for `name` (expanding a compact form).
    static func canonical(_ name: String) -> String {
        let utf8 = name.utf8
        if utf8.count == 1, let b = utf8.first, let long = compactForms[b | 0x20] { return long }
        return name.lowercased()
    }

    /// The compact letter of a long, lowercased name, if it has one.
    static func compactLetter(of canonical: String) -> UInt8? { longToCompact[canonical] }

    private static let longToCompact: [String: UInt8] = Dictionary(uniqueKeysWithValues: compactForms.map { ($1, $0) })
}

/// A precomputed lookup key: the long name lowercased plus its compact letter, so
/// that matching a field name costs no allocation.
struct SIPHeaderKey {
    let canonical: String
    let compact: UInt8?
    let known: SIPKnownHeader

    init(_ name: String) {
        canonical = SIPHeaderName.canonical(name)
        compact = SIPHeaderName.compactLetter(of: canonical)
        known = SIPKnownHeader(canonical)
        isList = SIPHeaderName.listHeaders.contains(canonical)
    }

    /// Compares the recognised header when this key is a common one (one byte), the
    /// name's text otherwise.
    @inline(__always)
    func matches(_ field: SIPHeaderField) -> Bool {
        if known != .other { return field.known == known }
        return field.known == .other && matches(field.name)
    }

    @inline(__always)
    func matches(_ fieldName: String) -> Bool { matches(utf8: fieldName.utf8) }

    @inline(__always)
    func matches<C: Collection>(utf8: C) -> Bool where C.Element == UInt8 {
        let count = utf8.count
        if count == 1 {
            guard let compact, let b = utf8.first else { return false }
            return b | 0x20 == compact
        }
        // Lengths differ for almost every other header: no byte comparison needed.
        guard count == canonical.utf8.count else { return false }
        return utf8.elementsEqualIgnoringASCIICase(canonical.utf8)
    }

    /// Whether values are comma-separated lists (looked up once, at init).
    let isList: Bool
}

extension SIPHeaderKey {
    // Keys of the headers the typed accessors and the validator read on every message,
    // built once.
    static let via = SIPHeaderKey("Via")
    static let from = SIPHeaderKey("From")
    static let to = SIPHeaderKey("To")
    static let callID = SIPHeaderKey("Call-ID")
    static let cseq = SIPHeaderKey("CSeq")
    static let contact = SIPHeaderKey("Contact")
    static let maxForwards = SIPHeaderKey("Max-Forwards")
    static let route = SIPHeaderKey("Route")
    static let recordRoute = SIPHeaderKey("Record-Route")
    static let contentType = SIPHeaderKey("Content-Type")
    static let contentLength = SIPHeaderKey("Content-Length")
    static let contentEncoding = SIPHeaderKey("Content-Encoding")
    static let expires = SIPHeaderKey("Expires")
    static let require = SIPHeaderKey("Require")
    static let proxyRequire = SIPHeaderKey("Proxy-Require")
    static let supported = SIPHeaderKey("Supported")
    static let unsupported = SIPHeaderKey("Unsupported")
    static let allow = SIPHeaderKey("Allow")
    static let accept = SIPHeaderKey("Accept")
}
