import Foundation
import SIP

/// SIP digest authentication of INVITEs to access numbers, for softphones (RFC 3261
/// §22.3: a proxy-style challenge, 407 with Proxy-Authenticate; RFC 7616 digest). Pure:
/// the request, the number's policy, what the store said and the time in; a verdict out.
///
/// `auto` challenges only an INVITE whose From user is an account login (a softphone of
/// ours), so PSTN callers are let in unchallenged; `always` challenges every INVITE.
public struct InviteDigestGate: Sendable {
    public enum Verdict: Sendable, Hashable {
        /// Let the call in without digest authentication.
        case pass
        /// Answer 407 with this Proxy-Authenticate value.
        case challenge(String)
        /// The credentials are right: the call is authenticated as this login.
        case authenticated(login: String)
        /// Refuse (403 wrong credentials, 400 unreadable ones).
        case refuse(status: Int, reason: String)
    }

    public var realm: String
    public var nonces: DigestNonces
    public var algorithm: DigestAlgorithm

    public init(realm: String, nonces: DigestNonces, algorithm: DigestAlgorithm = .md5) {
        self.realm = realm
        self.nonces = nonces
        self.algorithm = algorithm
    }

    /// Whose HA1 `verdict` will need: the Proxy-Authorization username for our realm.
    public func credentials(in request: SIPRequest) -> DigestCredentials? {
        request.headers.values("Proxy-Authorization")
            .compactMap { try? DigestCredentials(parsing: $0) }
            .first { $0.realm == realm }
    }

    /// - Parameters:
    ///   - fromIsKnownLogin: the From user is an account login (asked of the store).
    ///   - ha1: the stored HA1 of the credentials' username, nil for no such user.
    public func verdict(for request: SIPRequest, policy: SwitchbackConfiguration.SIPDigestPolicy,
                        fromIsKnownLogin: Bool, ha1: String?, now: Date) -> Verdict {
        if policy == .never { return .pass }
        guard let credentials = credentials(in: request), credentials.algorithm == algorithm else {
            return policy == .always || fromIsKnownLogin ? challenge(stale: false, now: now) : .pass
        }
        guard let ha1 else { return .refuse(status: 403, reason: "unknown user or wrong password") }
        switch DigestVerifier(nonces: nonces, realm: realm).verify(credentials: credentials, method: "INVITE", ha1: ha1, now: now) {
        case .ok: return .authenticated(login: credentials.username)
        case .stale: return challenge(stale: true, now: now)
        case .badNonce: return challenge(stale: false, now: now)
        case .wrongResponse: return .refuse(status: 403, reason: "unknown user or wrong password")
        case .malformed(let why): return .refuse(status: 400, reason: "credentials: \(why)")
        }
    }

    private func challenge(stale: Bool, now: Date) -> Verdict {
        .challenge(DigestChallenge(realm: realm, nonce: nonces.make(now: now), stale: stale, algorithm: algorithm,
                                   qop: ["auth"]).description)
    }
}
