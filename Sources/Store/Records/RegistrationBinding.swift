import Foundation

/// One registered contact of a SIP user (table `registrationBinding`), kept so a
/// restart does not forget the phones: the address-of-record (`user@domain`), the
/// Contact URI as text, the absolute expiry, and what the registrar needs to keep
/// applying RFC 3261 §10.3 to later REGISTERs (Call-ID, CSeq, q). `source*` is where
/// the REGISTER came from (the way back to a phone behind NAT), nil when unknown.
public struct RegistrationBinding: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var user: String
    public var domain: String
    public var contact: String
    public var expiresAt: Date
    /// The Contact's q in thousandths (0...1000); nil: none given.
    public var qThousandths: Int?
    public var callID: String
    public var cseq: Int64
    public var registeredAt: Date
    /// `UDP` or `TCP`.
    public var sourceTransport: String?
    public var sourceHost: String?
    public var sourcePort: Int?
    public var userAgent: String?
    /// The REGISTER's Path (RFC 3327) as Route values, comma-separated, first hop first
    /// (`<sip:edge.example;lr>, <sip:...>`); nil: none (the phone is reached directly).
    public var path: String?

    public init(id: Int64? = nil, user: String, domain: String, contact: String, expiresAt: Date, qThousandths: Int? = nil,
                callID: String, cseq: Int64, registeredAt: Date, sourceTransport: String? = nil, sourceHost: String? = nil,
                sourcePort: Int? = nil, userAgent: String? = nil, path: String? = nil) {
        self.id = id
        self.user = user
        self.domain = domain
        self.contact = contact
        self.expiresAt = expiresAt
        self.qThousandths = qThousandths
        self.callID = callID
        self.cseq = cseq
        self.registeredAt = registeredAt
        self.sourceTransport = sourceTransport
        self.sourceHost = sourceHost
        self.sourcePort = sourcePort
        self.userAgent = userAgent
        self.path = path
    }
}
