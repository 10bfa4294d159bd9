import _CryptoExtras
import Crypto
import Foundation

/// Hashes PINs so that a PIN alone can find its account (calling cards and PIN callback ask
/// for nothing else) without storing PINs in clear, and without a table a stolen database
/// alone can be searched with (issue 11).
///
/// Each account has its own random salt (`account.pinSalt`); the hash is
/// PBKDF2-HMAC-SHA256(pin, salt: pepper ‖ account salt), 10,000 rounds, where the
/// pepper is a server secret kept outside the database (`PINPepper`). To find an account
/// by PIN without hashing the PIN once per account, each account also keeps a 16-bit
/// bucket, the first four hex digits of HMAC-SHA256(pepper, pin): the lookup verifies only
/// the few accounts of that bucket, and the bucket tells a thief with the database ~16
/// bits of nothing (without the pepper) and not the PIN (with it).
///
/// Hashes made before migration `v6-pin-salt` used one salt per database (`legacySalt`,
/// `setting.pinSalt`); they stay verifiable and are replaced by salted ones at the next
/// successful login.
public struct PINHasher: Sendable {
    public static let rounds = 10_000
    /// Hex digits of the lookup bucket (16 bits).
    public static let bucketDigits = 4
    /// The database-wide salt of pre-v6 hashes.
    public var legacySalt: String
    /// The server's PIN pepper (empty only in tests that do not care).
    public var pepper: [UInt8]

    public init(salt: String, pepper: [UInt8] = []) {
        legacySalt = salt
        self.pepper = pepper
    }

    /// The pre-v6 hash: the database-wide salt, no pepper.
    public func hash(_ pin: String) throws -> String {
        try Self.pbkdf2(pin, salt: Array(legacySalt.utf8))
    }

    /// The hash of `pin` for an account with `accountSalt`.
    public func hash(_ pin: String, accountSalt: String) throws -> String {
        try Self.pbkdf2(pin, salt: pepper + Array(accountSalt.utf8))
    }

    /// The lookup bucket of `pin`.
    public func bucket(_ pin: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(pin.utf8), using: SymmetricKey(data: pepper.isEmpty ? [0] : pepper))
        return String(Array(code).prefix(Self.bucketDigits / 2).map { String(format: "%02x", $0) }.joined())
    }

    /// Whether `pin` matches an account's stored `hash` made with `accountSalt`.
    public func verify(_ pin: String, accountSalt: String, hash stored: String) throws -> Bool {
        PasswordHasher.constantTimeEquals(Data(try hash(pin, accountSalt: accountSalt).utf8), Data(stored.utf8))
    }

    /// A fresh random account salt (128 bits, hex).
    public static func makeSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func pbkdf2(_ pin: String, salt: [UInt8]) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(pin.utf8), salt: salt, using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
