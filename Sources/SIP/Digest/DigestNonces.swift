import Crypto
import Foundation

/// Stateless server nonces (RFC 7616 §3.3 suggests time-stamp + H(time-stamp ":" secret)):
/// `<seconds hex>.<salt hex>.<HMAC-SHA256(secret, seconds.salt) hex, 32 chars>`.
/// Any node holding the secret can check a nonce; no table of issued nonces is kept,
/// so replay within the lifetime is not detected (nc is not tracked).
public struct DigestNonces: Sendable {
    public enum Validity: Sendable, Hashable {
        case valid
        /// Genuine but older than the lifetime (answer 401 with stale=true).
        case expired
        /// Not made with our secret, or malformed.
        case invalid
    }

    private let secret: [UInt8]
    public let lifetime: TimeInterval

    public init(secret: [UInt8], lifetime: TimeInterval = 300) {
        self.secret = secret
        self.lifetime = lifetime
    }

    /// A fresh nonce issued at `now`; `salt` makes nonces issued in the same second differ.
    public func make(now: Date, salt: UInt64 = UInt64.random(in: .min ... .max)) -> String {
        let seconds = UInt64(max(0, now.timeIntervalSince1970))
        let body = "\(String(seconds, radix: 16)).\(String(salt, radix: 16))"
        return "\(body).\(mac(body))"
    }

    public func validity(of nonce: String, now: Date) -> Validity {
        let parts = nonce.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let seconds = UInt64(parts[0], radix: 16), UInt64(parts[1], radix: 16) != nil else { return .invalid }
        let body = "\(parts[0]).\(parts[1])"
        guard Digest.constantTimeEqual(mac(body), String(parts[2])) else { return .invalid }
        let issued = Date(timeIntervalSince1970: TimeInterval(seconds))
        let age = now.timeIntervalSince(issued)
        if age < -5 { return .invalid }  // from the future: not ours (beyond clock jitter)
        return age > lifetime ? .expired : .valid
    }

    private func mac(_ body: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: secret))
        return Digest.hex(Array(code).prefix(16))
    }
}
