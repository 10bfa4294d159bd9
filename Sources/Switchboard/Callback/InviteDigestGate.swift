import Foundation
import SIP

/// SIP digest authentication of INVITEs to access numbers, for softphones (RFC 3261
/// §22.3: a proxy-style challenge, 407 with Proxy-Authenticate; RFC 7616 digest with the
/// nonce table, `uri` check and failure lockout of `DigestAuthority`). Pure: the request,
/// the number's policy, the caller's trust, the stored HA1 and the time in; a verdict out.
///
/// `auto` challenges every INVITE that does not come from a trusted source (a declared
/// trunk or DID provider), whoever it claims to be, and lets trusted sources' calls in
/// unchallenged; `always` challenges every INVITE. No policy looks at the From user, so
/// the answer never tells whether a login exists (no oracle).
public struct InviteDigestGate: Sendable {
    public enum Verdict: Sendable, Hashable {
        /// Let the call in without digest authentication.
        case pass
        /// Answer 407 with this Proxy-Authenticate value.
        case challenge(String)
        /// The credentials are right: the call is authenticated as this login.
        case authenticated(login: String)
        /// Refuse (403 wrong credentials or locked out, 400 unreadable ones): one phrase for all.
        case refuse(status: Int, reason: String)
    }

    public var authority: DigestAuthority
    public var realm: String { authority.realm }
    /// When expired nonces and old failures were last forgotten.
    private var lastPrune = Date.distantPast

    public init(realm: String, nonces: DigestNonces, algorithm: DigestAlgorithm = .md5,
                failures: AuthenticationFailureCounter = AuthenticationFailureCounter()) {
        authority = DigestAuthority(realm: realm, nonces: nonces, algorithm: algorithm, failures: failures)
    }

    /// Whose HA1 `verdict` will need: the Proxy-Authorization username for our realm.
    public func credentials(in request: SIPRequest) -> DigestCredentials? {
        request.headers.values("Proxy-Authorization")
            .compactMap { try? DigestCredentials(parsing: $0) }
            .first { $0.realm == realm }
    }

    /// Whether `verdict` will check credentials (and so needs their HA1) or challenge.
    public func wantsAuthentication(_ request: SIPRequest, policy: SwitchbackConfiguration.SIPDigestPolicy,
                                    trustedSource: Bool) -> Bool {
        switch policy {
        case .never: return false
        case .always: return true
        case .auto: return !trustedSource || credentials(in: request) != nil
        }
    }

    /// - Parameters:
    ///   - trustedSource: the INVITE came from a declared trusted source (`CallerTrust`).
    ///   - ha1: the stored HA1 of the credentials' username, nil for no such user.
    ///   - source: the INVITE's transport source address (nonces are bound to it).
    public mutating func verdict(for request: SIPRequest, policy: SwitchbackConfiguration.SIPDigestPolicy,
                                 trustedSource: Bool, ha1: String?, source: String, now: Date) -> Verdict {
        if now.timeIntervalSince(lastPrune) > 60 {
            authority.prune(now: now)
            lastPrune = now
        }
        guard wantsAuthentication(request, policy: policy, trustedSource: trustedSource) else { return .pass }
        switch authority.authenticate(credentials(in: request), method: "INVITE", requestURI: request.uri, ha1: ha1,
                                      callerID: request.from?.uri.user, source: source, now: now) {
        case .authenticated(let username): return .authenticated(login: username)
        case .challenge(let challenge): return .challenge(challenge.description)
        case .refuse(let status, let reason, _): return .refuse(status: status, reason: reason)
        }
    }
}
