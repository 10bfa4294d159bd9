import Foundation

/// What the server knows about a caller before answering: the facts the access-number
/// decision takes, gathered from the INVITE and the Store (no policy here: whether a
/// known caller ID counts is `anumberhandling`'s to say, in `CallbackDecision`).
public struct CallerStanding: Sendable, Hashable {
    /// How the call identified an account, if it did.
    public enum Identification: Sendable, Hashable {
        /// Nothing matched.
        case unknown
        /// The caller ID is on this account's authorised list (ANI: can be spoofed).
        case knownCallerID(account: Int64)
        /// The dialled number is this account's personal DID (DID callback).
        case personalDID(account: Int64)
        /// The INVITE carried valid Digest credentials of this account (RFC 7616).
        case sipDigest(account: Int64)
    }

    public var identification: Identification
    /// The caller ID can be called back (present, not `anonymous`).
    public var callerIDPresent: Bool
    /// Where the INVITE came from: only a trusted source's caller ID and dialled DID
    /// may authenticate (`CallbackDecision.authenticatedAccount`).
    public var trust: CallerTrust

    public init(_ identification: Identification, callerIDPresent: Bool = true, trust: CallerTrust = .untrusted) {
        self.identification = identification
        self.callerIDPresent = callerIDPresent
        self.trust = trust
    }

    /// Whether the From user is a number we could call back: not withheld.
    public static func isCallable(callerID: String) -> Bool {
        let lowered = callerID.lowercased()
        return !callerID.isEmpty && lowered != "anonymous" && lowered != "restricted" && lowered != "unknown"
            && callerID.contains(where: \.isNumber)
    }
}
