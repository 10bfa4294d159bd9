import Crypto
import Foundation
import Synchronization

/// Remembers, for a short while, which login/password pairs were verified, so an edge that
/// is sent the same credentials on every request (HTTP Basic, the spool's lines) does not
/// pay PBKDF2's 210,000 rounds each time. It holds a SHA-256 of the pair, never the
/// password; an entry lasts `lifetime` and a password change is seen once it expires.
public final class VerifiedPasswordCache: Sendable {
    private let lifetime: TimeInterval
    private let entries = Mutex<[Data: (account: Int64, until: Date)]>([:])
    /// Beyond this many, the cache is emptied rather than grown (a flood of distinct pairs).
    private let capacity: Int

    public init(lifetime: TimeInterval = 60, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The account verified for this pair within the lifetime, if any.
    public func account(login: String, password: String, now: Date) -> Int64? {
        let key = Self.key(login, password)
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.until > now else {
                entries[key] = nil
                return nil
            }
            return entry.account
        }
    }

    public func remember(login: String, password: String, account: Int64, now: Date) {
        let key = Self.key(login, password)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = (account, now.addingTimeInterval(lifetime))
        }
    }

    static func key(_ login: String, _ password: String) -> Data {
        // The length prefix keeps "a:b" + "c" apart from "a" + "b:c".
        Data(SHA256.hash(data: Data("\(login.utf8.count):\(login):\(password)".utf8)))
    }
}
