import Foundation

/// Failed authentications (Digest 401/403, PIN) counted per account, per caller ID and per
/// source address, so a guesser is locked out after `limit` failures within `period`
/// whichever of the three it rotates (issue 11, "Digest done right"). Pure: time comes in.
///
/// A withheld caller ID (empty, `anonymous`...) is one bucket: sending none does not
/// escape the count. An account is keyed by the username tried, known or not, so a locked
/// unknown user and a locked real one answer alike.
public struct AuthenticationFailureCounter: Sendable {
    public enum Key: Sendable, Hashable, CustomStringConvertible {
        case account(String)
        case callerID(String)
        case source(String)

        public var description: String {
            switch self {
            case .account(let v): return "account \(v)"
            case .callerID(let v): return "caller ID \(v)"
            case .source(let v): return "source \(v)"
            }
        }
    }

    /// The bucket of every caller without a usable caller ID.
    public static let anonymousCallerID = "anonymous"

    public let limit: Int
    public let period: TimeInterval
    /// Keys kept at most; beyond it old failures are pruned first, then the fullest keys win.
    public let capacity: Int
    private var failures: [Key: [Date]] = [:]

    public init(limit: Int = 10, period: TimeInterval = 900, capacity: Int = 100_000) {
        self.limit = max(1, limit)
        self.period = period
        self.capacity = max(1, capacity)
    }

    /// The keys of one attempt: the username tried, the caller ID (or the anonymous
    /// bucket) and the source address.
    public static func keys(account: String?, callerID: String?, source: String?) -> [Key] {
        var keys: [Key] = []
        if let account, !account.isEmpty { keys.append(.account(account)) }
        keys.append(.callerID(normalisedCallerID(callerID)))
        if let source, !source.isEmpty { keys.append(.source(source)) }
        return keys
    }

    /// The caller ID as counted: withheld ones share one bucket.
    public static func normalisedCallerID(_ callerID: String?) -> String {
        let value = (callerID ?? "").trimmingCharacters(in: .whitespaces)
        switch value.lowercased() {
        case "", "anonymous", "restricted", "unknown", "unavailable", "private": return anonymousCallerID
        default: return value
        }
    }

    /// The keys among `keys` that reached the limit within the period ending at `now`.
    public func lockedKeys(_ keys: [Key], now: Date) -> [Key] {
        let since = now.addingTimeInterval(-period)
        return keys.filter { key in (failures[key]?.filter { $0 > since }.count ?? 0) >= limit }
    }

    public func isLocked(_ keys: [Key], now: Date) -> Bool { !lockedKeys(keys, now: now).isEmpty }

    /// Failures of `key` within the period ending at `now`.
    public func count(_ key: Key, now: Date) -> Int {
        let since = now.addingTimeInterval(-period)
        return failures[key]?.filter { $0 > since }.count ?? 0
    }

    /// Counts one failure against every key.
    public mutating func record(_ keys: [Key], now: Date) {
        if failures.count + keys.count > capacity { prune(now: now) }
        let since = now.addingTimeInterval(-period)
        for key in keys {
            var times = failures[key, default: []].filter { $0 > since }
            times.append(now)
            // More than the limit changes nothing: keep the newest `limit`.
            if times.count > limit { times.removeFirst(times.count - limit) }
            failures[key] = times
        }
        if failures.count > capacity {
            // Still full of live keys: drop those with the fewest failures (least telling).
            let sorted = failures.sorted { $0.value.count < $1.value.count }
            for (key, _) in sorted.prefix(failures.count - capacity) { failures[key] = nil }
        }
    }

    /// Forgets `key`'s failures (an account after its own success; never a source or a
    /// caller ID, which a guesser could reset with an account of its own).
    public mutating func clear(_ key: Key) {
        failures[key] = nil
    }

    /// Drops failures older than the period; returns how many keys went.
    @discardableResult
    public mutating func prune(now: Date) -> Int {
        let since = now.addingTimeInterval(-period)
        let before = failures.count
        failures = failures.compactMapValues { times in
            let live = times.filter { $0 > since }
            return live.isEmpty ? nil : live
        }
        return before - failures.count
    }

    public var trackedKeys: Int { failures.count }
}
