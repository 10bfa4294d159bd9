import _CryptoExtras
import Crypto
import Foundation

/// Hashes and verifies account passwords with PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) and a
/// random 16-byte salt.
///
/// The stored form is self-describing, `pbkdf2-sha256$<rounds>$<salt b64>$<hash b64>`, so
/// the round count can be raised later without breaking existing hashes. The default of
/// 210,000 rounds follows OWASP's 2023 guidance for PBKDF2-HMAC-SHA256; tests may use fewer.
public struct PasswordHasher: Sendable {
    public static let scheme = "pbkdf2-sha256"
    public static let standardRounds = 210_000
    public var rounds: Int

    public init(rounds: Int = PasswordHasher.standardRounds) {
        precondition(rounds >= 1)
        self.rounds = rounds
    }

    public static let standard = PasswordHasher()

    public func hash(_ password: String) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let derived = try derive(password, salt: salt, rounds: rounds)
        return "\(Self.scheme)$\(rounds)$\(Data(salt).base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// True when `password` matches `stored`. A malformed stored hash never matches.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.scheme, let rounds = Int(parts[1]), rounds >= 1,
              let salt = Data(base64Encoded: String(parts[2])),
              let expected = Data(base64Encoded: String(parts[3])),
              let derived = try? derive(password, salt: Array(salt), rounds: rounds)
        else { return false }
        return Self.constantTimeEquals(derived, expected)
    }

    private func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> Data {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Data($0) }
    }

    static func constantTimeEquals(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}
