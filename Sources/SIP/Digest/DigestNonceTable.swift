import Foundation

/// The nonces a server issued, each with the source address it was issued to and the
/// highest nonce count (`nc`) accepted with it (RFC 7616 §3.3: "the server MAY ... use
/// the nonce count to detect replays"; §5.4 replay attacks). Pure: the time comes in.
///
/// A nonce is good for one source and only with a strictly increasing `nc`, so a captured
/// request cannot be replayed, from the same address or another. Credentials without
/// `qop` (RFC 2069, no `nc`) are accepted once per nonce. The table is bounded: expired
/// nonces go first, then the oldest.
public struct DigestNonceTable: Sendable {
    /// What a nonce is worth for one request.
    public enum Check: Sendable, Hashable {
        /// Issued to this source, within its lifetime, `nc` higher than any before.
        case fresh
        /// Issued to this source but older than the lifetime: challenge with stale=true.
        case stale
        /// `nc` not above the highest seen (or missing twice): a replay.
        case replayed
        /// Issued to another source address.
        case wrongSource
        /// Never issued here (or forgotten).
        case unknown
    }

    struct Entry: Sendable {
        var issuedAt: Date
        var source: String
        /// 0: not used yet.
        var highestCount: UInt64
    }

    public let lifetime: TimeInterval
    public let capacity: Int
    private var entries: [String: Entry] = [:]
    /// Issue order, for eviction; `head` is the oldest still possibly present.
    private var order: [String] = []
    private var head = 0

    public init(lifetime: TimeInterval = 300, capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    public var count: Int { entries.count }

    /// Remembers `nonce` as issued to `source` at `now`.
    public mutating func issue(_ nonce: String, source: String, now: Date) {
        if entries.count >= capacity { evict(now: now) }
        entries[nonce] = Entry(issuedAt: now, source: source, highestCount: 0)
        order.append(nonce)
    }

    /// What `nonce` with `nonceCount` (8 hex digits, nil without qop) from `source` is
    /// worth, without using it up: call `accept` once the response is verified, so a wrong
    /// response cannot raise the count a legitimate client continues with.
    public func check(_ nonce: String, nonceCount: String?, source: String, now: Date) -> Check {
        guard let entry = entries[nonce] else { return .unknown }
        guard entry.source == source else { return .wrongSource }
        guard let count = Self.count(nonceCount) else { return .replayed }
        if count <= entry.highestCount { return .replayed }
        return now.timeIntervalSince(entry.issuedAt) > lifetime ? .stale : .fresh
    }

    /// Records that `nonceCount` was accepted with `nonce`.
    public mutating func accept(_ nonce: String, nonceCount: String?) {
        guard var entry = entries[nonce], let count = Self.count(nonceCount) else { return }
        entry.highestCount = max(entry.highestCount, count)
        entries[nonce] = entry
    }

    /// Forgets nonces older than the lifetime (a stale one is still told apart from an
    /// unknown one until twice the lifetime, so clients get stale=true). Returns how many.
    @discardableResult
    public mutating func prune(now: Date) -> Int {
        let before = entries.count
        while head < order.count {
            let nonce = order[head]
            if let entry = entries[nonce], now.timeIntervalSince(entry.issuedAt) <= 2 * lifetime { break }
            entries[nonce] = nil
            head += 1
        }
        compact()
        return before - entries.count
    }

    private mutating func evict(now: Date) {
        prune(now: now)
        while entries.count >= capacity, head < order.count {
            entries[order[head]] = nil
            head += 1
        }
        compact()
    }

    private mutating func compact() {
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// `nc` as a number; a missing one (RFC 2069 credentials) counts as 1, so it is
    /// accepted once. Malformed: nil (treated as a replay).
    static func count(_ nonceCount: String?) -> UInt64? {
        guard let nonceCount else { return 1 }
        guard !nonceCount.isEmpty, nonceCount.count <= 8, let value = UInt64(nonceCount, radix: 16), value > 0 else { return nil }
        return value
    }
}
