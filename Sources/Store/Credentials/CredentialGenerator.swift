import Foundation

/// Makes random logins, passwords and PINs for generated accounts (cards), from the
/// system's cryptographic random source.
public struct CredentialGenerator: Sendable {
    /// Letters and digits without look-alikes (0/O, 1/l/I), so printed cards read safely.
    static let passwordAlphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    public init() {}

    /// 16 characters from a 56-symbol alphabet: about 93 bits.
    public func password(length: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in Self.passwordAlphabet.randomElement(using: &generator)! })
    }

    /// A PIN of `length` digits (10 by default: PINs identify accounts, so they must be
    /// hard to hit by chance even among many cards).
    public func pin(length: Int = 10) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
    }

    /// `prefix` followed by `digits` random digits.
    public func login(prefix: String, digits: Int = 8) -> String {
        prefix + pin(length: digits)
    }
}
