import _CryptoExtras
import Crypto
import Foundation

/// Hashes PINs so that a PIN alone can find its account (calling cards and PIN callback ask
/// for nothing else), without storing PINs in clear.
///
/// A per-password random salt would make that lookup impossible, so the salt is one random
/// value per database (`setting.pinSalt`, made by the first migration): the hash is
/// deterministic within a database, indexed and unique. PBKDF2-HMAC-SHA256 with 10,000
/// rounds slows offline guessing of a stolen database; PINs are short, so the real defence
/// is the IVR's attempt limit and lockout.
public struct PINHasher: Sendable {
    public static let rounds = 10_000
    public var salt: String

    public init(salt: String) { self.salt = salt }

    public func hash(_ pin: String) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(pin.utf8), salt: Array(salt.utf8), using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: Self.rounds)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
