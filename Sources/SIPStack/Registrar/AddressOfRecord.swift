import SIP

/// An address-of-record (RFC 3261 §10.1): the `sip:user@domain` a user is reached at,
/// in the canonical form of §10.3 step 5 — scheme `sip`, the user part unescaped and
/// case-sensitive, the domain lowercased, no port, no parameters.
public struct AddressOfRecord: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var user: String
    public var domain: String

    public init(user: String, domain: String) {
        self.user = user
        self.domain = domain.lowercased()
    }

    /// The AOR a To (or Request-) URI names; nil when it is not a SIP URI with a user
    /// part. A `sips:` URI names the same AOR as its `sip:` twin (§19.1.4 aside, the
    /// registrar keeps one table).
    public init?(_ uri: SIPURI) {
        guard uri.isSIP, let user = uri.user, !user.isEmpty, !uri.host.isEmpty else { return nil }
        self.init(user: user, domain: uri.host)
    }

    public var uri: SIPURI { SIPURI(scheme: "sip", user: user, host: domain) }

    public var description: String { uri.description }

    public static func < (lhs: AddressOfRecord, rhs: AddressOfRecord) -> Bool {
        (lhs.domain, lhs.user) < (rhs.domain, rhs.user)
    }
}
