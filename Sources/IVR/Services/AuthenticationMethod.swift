import Foundation

/// How `authenticate` may identify the caller's account (DESIGN.md, calling card).
public enum AuthenticationMethod: String, Sendable, Hashable, CaseIterable {
    /// The INVITE carried valid digest credentials (RFC 7616); the edge knows the user.
    case sipDigest = "sip-digest"
    /// The caller ID is registered for an account. Can be spoofed: `validate` warns.
    case ani
    /// A PIN the caller types.
    case pin
    /// The dialled number is an account's personal DID.
    case did
    /// Account number and password typed as digits.
    case password
}
