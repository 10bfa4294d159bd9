import Foundation
import SIP

/// One contact registered for an address-of-record (RFC 3261 §10.3): where the user's
/// phone can be reached, until when, with what preference, and which REGISTER
/// (Call-ID, CSeq) last touched it.
public struct LocationBinding: Sendable, Hashable {
    public var contact: SIPURI
    /// Absolute expiry; the binding is gone from this instant on.
    public var expires: Date
    public var q: QValue?
    public var callID: String
    public var cseq: UInt32
    /// When the binding was last refreshed (ties between equal q go to the freshest).
    public var registeredAt: Date
    /// Where the REGISTER came from (transport, source address and port): the way to
    /// reach a phone behind NAT whose Contact names a private address.
    public var source: SIPDestination?
    public var userAgent: String?
    /// The Path of the REGISTER (RFC 3327): the proxies between us and the phone, first
    /// hop first. A request to the phone carries them as its route set (Route headers)
    /// and goes to the first of them — through the edge (Kamailio) that reached us,
    /// which is the only way to a phone behind it, and on any node of a cluster.
    public var path: [SIPURI]

    public init(contact: SIPURI, expires: Date, q: QValue? = nil, callID: String, cseq: UInt32, registeredAt: Date,
                source: SIPDestination? = nil, userAgent: String? = nil, path: [SIPURI] = []) {
        self.contact = contact
        self.expires = expires
        self.q = q
        self.callID = callID
        self.cseq = cseq
        self.registeredAt = registeredAt
        self.source = source
        self.userAgent = userAgent
        self.path = path
    }

    public func isLive(at now: Date) -> Bool { expires > now }

    /// Where to send a request for this contact (the Request-URI stays `contact`): the
    /// first hop of its Path when it has one (RFC 3327 §5.4: the route set is the Path);
    /// else the address the REGISTER came from when known — a phone behind NAT is reachable
    /// there, not at the private address of its Contact, and over TCP that address is
    /// its open connection — else the contact's host, port and transport.
    public var destination: SIPDestination {
        if let hop = path.first { return Self.destination(of: hop) }
        if let source { return source }
        return Self.destination(of: contact)
    }

    /// The Route header values a request to this contact carries: its Path, in order.
    public var routeSet: [String] { path.map { "<\($0)>" } }

    /// Host, port and transport of a URI (RFC 3263 without DNS: the URI's own port or
    /// the scheme's default, `transport=tcp` or UDP).
    static func destination(of uri: SIPURI) -> SIPDestination {
        let transport: SIPTransportKind = uri.parameter("transport")?.value?.lowercased() == "tcp" ? .tcp : .udp
        return SIPDestination(transport: transport, host: uri.host, port: uri.port ?? (uri.scheme == "sips" ? 5061 : 5060))
    }

    /// Whole seconds left at `now`, rounded up so a live binding never shows 0.
    public func remainingSeconds(at now: Date) -> Int {
        max(0, Int(expires.timeIntervalSince(now).rounded(.up)))
    }

    /// Whether two contact URIs name the same binding, by the rules of RFC 3261 §19.1.4
    /// that matter for contacts: scheme, user and password exactly; host without case;
    /// the port as written (an absent port differs from an explicit 5060); `transport`,
    /// `user`, `ttl`, `method` and `maddr` must agree when either has them; any other
    /// parameter only when both have it.
    public static func sameContact(_ a: SIPURI, _ b: SIPURI) -> Bool {
        guard a.scheme == b.scheme, a.user == b.user, a.password == b.password,
              a.host.lowercased() == b.host.lowercased(), a.port == b.port else { return false }
        for name in ["transport", "user", "ttl", "method", "maddr"] {
            let left = a.parameter(name).map { $0.value?.lowercased() ?? "" }
            let right = b.parameter(name).map { $0.value?.lowercased() ?? "" }
            if left != right { return false }
        }
        for parameter in a.parameters {
            guard let other = b.parameter(parameter.name) else { continue }
            if parameter.value?.lowercased() != other.value?.lowercased() { return false }
        }
        return true
    }
}
