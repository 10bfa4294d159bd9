import Foundation
import Hummingbird
import NIOCore
import Store
import Switchboard

/// HTTP Basic (RFC 7617) with an account's login and password, locked out as the PIN is
/// (`callback.pin-lockout`): failures are counted per client address (caller ID key
/// `http:<address>`) and per account, and once either reaches the limit every attempt is
/// refused with 429 until the oldest failure ages out, right password or not.
struct AccountAuthenticator: Sendable {
    let store: any SwitchbackStore
    let lockout: PINLockoutPolicy
    let now: @Sendable () -> Date
    /// Basic sends the password with every request; PBKDF2 runs once a minute per pair.
    let verified: VerifiedPasswordCache

    static let challenge = #"Basic realm="switchback", charset="UTF-8""#

    func authenticate(_ request: Request, remoteAddress: SocketAddress?) throws -> Account {
        guard let (login, password) = Self.credentials(request.headers[.authorization]) else {
            throw Self.unauthorised("this needs HTTP Basic credentials: the account's login and password")
        }
        let client = "http:\(remoteAddress?.ipAddress ?? "unknown")"
        let time = now()
        let known = try store.account(login: login)
        let verdict = try lockout.check(store, callerID: client, account: known?.id, now: time)
        if verdict.isLocked {
            var problem = APIProblem(status: .tooManyRequests, slug: "locked-out",
                                     detail: "too many failed logins from this address or for this account; try again later",
                                     field: "Authorization")
            problem.headers["Retry-After"] = String(Int(lockout.period))
            throw problem
        }
        if let id = verified.account(login: login, password: password, now: time), let account = known, account.id == id,
           account.state == .active {
            return account
        }
        switch try store.authenticate(login: login, password: password) {
        case .authenticated(let account):
            try store.clearPINFailures(callerID: client, account: account.id)
            verified.remember(login: login, password: password, account: account.id!, now: time)
            return account
        case .locked:
            throw APIProblem(status: .forbidden, slug: "account-locked", detail: "the account is locked", field: "Authorization")
        case .rejected:
            try store.recordPINFailure(callerID: client, account: known?.id, at: time)
            throw Self.unauthorised("wrong login or password")
        }
    }

    static func unauthorised(_ detail: String) -> APIProblem {
        var problem = APIProblem(status: .unauthorized, slug: "unauthorised", detail: detail, field: "Authorization")
        problem.headers["WWW-Authenticate"] = challenge
        return problem
    }

    /// `Basic base64(login:password)`; the scheme is case-insensitive (RFC 7235 §2.1).
    static func credentials(_ header: String?) -> (String, String)? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        let login = String(text[..<colon])
        guard !login.isEmpty else { return nil }
        return (login, String(text[text.index(after: colon)...]))
    }
}
