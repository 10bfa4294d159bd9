import SIP

/// One Contact of a REGISTER, as the location service takes it: the URI, the
/// registration interval the registrar granted (0 removes the binding), and what else
/// the binding keeps.
public struct ContactRegistration: Sendable, Hashable {
    public var contact: SIPURI
    /// Seconds from `now`; 0 removes the binding (RFC 3261 §10.2.2).
    public var expiresIn: Int
    public var q: QValue?
    public var source: SIPDestination?
    public var userAgent: String?
    /// The REGISTER's Path (RFC 3327), first hop first.
    public var path: [SIPURI]

    public init(contact: SIPURI, expiresIn: Int, q: QValue? = nil, source: SIPDestination? = nil, userAgent: String? = nil,
                path: [SIPURI] = []) {
        self.contact = contact
        self.expiresIn = expiresIn
        self.q = q
        self.source = source
        self.userAgent = userAgent
        self.path = path
    }
}
