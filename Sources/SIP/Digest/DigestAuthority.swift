import Foundation

/// The server side of Digest authentication with memory (RFC 7616 §3.3-3.4, §5): nonces
/// issued per source address and tracked with their `nc` (replays refused), the
/// credentials' `uri` compared with the Request-URI, stale nonces answered with
/// stale=true, failures counted per username, caller ID and source address and locked out
/// after `failures.limit` within `failures.period`. Pure: requests' facts, the stored HA1
/// and the time in; an outcome out. The REGISTER registrar and the INVITE gate each keep one.
///
/// Every refusal has the same status and phrase whether the user exists, the password is
/// wrong or the caller is locked out, so answers tell a guesser nothing (no oracle).
public struct DigestAuthority: Sendable {
    public enum Outcome: Sendable, Hashable {
        /// The credentials are right and fresh: the request is this user's.
        case authenticated(username: String)
        /// Challenge (401/407) with this value; `stale`: the password was right.
        case challenge(DigestChallenge)
        /// 403 (wrong, unknown or locked out: one answer) or 400 (unreadable credentials).
        case refuse(status: Int, reason: String, lockedOut: Bool)
    }

    /// The one phrase of every refused credential.
    public static let refusal = "unknown user or wrong password"

    public let realm: String
    public let algorithm: DigestAlgorithm
    public let nonces: DigestNonces
    public private(set) var table: DigestNonceTable
    public private(set) var failures: AuthenticationFailureCounter
    /// Requests refused because a key was locked out (for /metrics).
    public private(set) var lockoutRefusals = 0
    /// Failures counted (wrong password, unknown user, wrong uri, unreadable credentials).
    public private(set) var failuresCounted = 0

    public init(realm: String, nonces: DigestNonces, algorithm: DigestAlgorithm = .md5,
                failures: AuthenticationFailureCounter = AuthenticationFailureCounter(), tableCapacity: Int = 50_000) {
        self.realm = realm
        self.nonces = nonces
        self.algorithm = algorithm
        self.failures = failures
        table = DigestNonceTable(lifetime: nonces.lifetime, capacity: tableCapacity)
    }

    /// A fresh challenge for `source` (its nonce is good from that address only).
    public mutating func challenge(source: String, stale: Bool = false, now: Date) -> DigestChallenge {
        let nonce = nonces.make(now: now)
        table.issue(nonce, source: source, now: now)
        return DigestChallenge(realm: realm, nonce: nonce, stale: stale, algorithm: algorithm, qop: ["auth"])
    }

    /// - Parameters:
    ///   - credentials: the request's credentials for our realm, nil for none.
    ///   - requestURI: the request's Request-URI (the credentials' `uri` must name it).
    ///   - ha1: the stored HA1 of `credentials.username`; nil: no such user.
    ///   - callerID: the From user (counted; a withheld one is the anonymous bucket).
    ///   - source: the transport source address (IP) of the request.
    public mutating func authenticate(_ credentials: DigestCredentials?, method: String, requestURI: SIPURI,
                                      ha1: String?, callerID: String?, source: String, now: Date) -> Outcome {
        guard let credentials, credentials.algorithm == algorithm else {
            return .challenge(challenge(source: source, now: now))
        }
        let keys = AuthenticationFailureCounter.keys(account: credentials.username, callerID: callerID, source: source)
        if failures.isLocked(keys, now: now) {
            lockoutRefusals += 1
            return .refuse(status: 403, reason: Self.refusal, lockedOut: true)
        }
        func failed(status: Int = 403, _ reason: String = Self.refusal) -> Outcome {
            failures.record(keys, now: now)
            failuresCounted += 1
            return .refuse(status: status, reason: reason, lockedOut: false)
        }
        guard let ha1 else { return failed() }
        let verdict = DigestVerifier(nonces: nonces, realm: realm)
            .verify(credentials: credentials, method: method, requestURI: requestURI, ha1: ha1, now: now)
        switch verdict {
        case .ok: break
        case .stale: return .challenge(challenge(source: source, stale: true, now: now))
        case .badNonce: return .challenge(challenge(source: source, now: now))
        case .wrongResponse, .wrongURI: return failed()
        case .malformed(let why): return failed(status: 400, "credentials: \(why)")
        }
        // The response is right: is the nonce still good for this source and count?
        switch table.check(credentials.nonce, nonceCount: credentials.nonceCount, source: source, now: now) {
        case .fresh:
            table.accept(credentials.nonce, nonceCount: credentials.nonceCount)
            failures.clear(.account(credentials.username))
            return .authenticated(username: credentials.username)
        case .stale, .unknown:
            // Ours (the MAC says so) but expired or forgotten: retry without a new password.
            return .challenge(challenge(source: source, stale: true, now: now))
        case .replayed, .wrongSource:
            // A captured request sent again, or from elsewhere: a new challenge, nothing more.
            return .challenge(challenge(source: source, now: now))
        }
    }

    /// Housekeeping: forgets expired nonces and old failures.
    public mutating func prune(now: Date) {
        table.prune(now: now)
        failures.prune(now: now)
    }
}
