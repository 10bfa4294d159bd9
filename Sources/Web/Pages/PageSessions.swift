import Foundation
import Synchronization

/// The pages' sessions, kept in memory on the server (the cookie holds only a random id):
/// a restart signs everyone out, which for a callback page is fine. Each session carries
/// its CSRF token (OWASP's synchroniser-token pattern): every form posts it back, and a
/// post without the token of the cookie's session is refused.
final class PageSessions: Sendable {
    enum Holder: Sendable, Equatable {
        /// A visitor who has not signed in yet: holds a CSRF token for the sign-in form.
        case visitor
        case account(Int64)
        /// Signed in with the admin token (the operator pages' own cookie).
        case operatorToken
    }

    struct Session: Sendable, Equatable {
        var holder: Holder
        var csrf: String
        var expires: Date
    }

    /// Idle time after which a session ends.
    let idleTimeout: TimeInterval
    /// Every page view without a cookie starts a visitor session: past this many sessions
    /// the visitors closest to expiry make room, so a flood of cookie-less requests cannot
    /// grow the table without bound (nor push out the signed-in).
    let capacity: Int
    private let table = Mutex<[String: Session]>([:])

    init(idleTimeout: TimeInterval = 30 * 60, capacity: Int = 20_000) {
        self.idleTimeout = idleTimeout
        self.capacity = capacity
    }

    /// A new session; the caller sets its id as the cookie.
    func start(_ holder: Holder, now: Date) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(holder: holder, csrf: Self.randomToken(), expires: now.addingTimeInterval(idleTimeout))
        table.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity {
                let visitors = sessions.filter { $0.value.holder == .visitor }.sorted { $0.value.expires < $1.value.expires }
                for (old, _) in visitors.prefix(sessions.count - capacity + 1) { sessions[old] = nil }
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session of `id`, its expiry pushed back (sliding), or nil.
    func session(_ id: String?, now: Date) -> Session? {
        guard let id else { return nil }
        return table.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            session.expires = now.addingTimeInterval(idleTimeout)
            sessions[id] = session
            return session
        }
    }

    func end(_ id: String?) {
        guard let id else { return }
        _ = table.withLock { $0.removeValue(forKey: id) }
    }

    var count: Int { table.withLock { $0.count } }

    /// 32 bytes from the system's CSPRNG (getrandom on Linux), as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
