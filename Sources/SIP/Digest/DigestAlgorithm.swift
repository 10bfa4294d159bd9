import Crypto

/// Digest hash algorithms (RFC 7616 §3.3, RFC 8760 for SIP).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case md5 = "MD5"
    case md5Session = "MD5-sess"
    case sha256 = "SHA-256"
    case sha256Session = "SHA-256-sess"

    /// Case-insensitive (RFC 7616 §3.3 tokens); nil for unknown algorithms.
    public init?(token: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == token.lowercased() }) else { return nil }
        self = match
    }

    public var isSession: Bool { self == .md5Session || self == .sha256Session }

    /// The hex hash of `text` with this algorithm's hash function.
    public func hash(_ text: String) -> String {
        switch self {
        case .md5, .md5Session: Digest.hex(Insecure.MD5.hash(data: Array(text.utf8)))
        case .sha256, .sha256Session: Digest.hex(SHA256.hash(data: Array(text.utf8)))
        }
    }
}
