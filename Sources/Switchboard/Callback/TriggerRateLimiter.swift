import Foundation

/// `callback.limits`: how many callback triggers are admitted per minute per caller ID, per
/// source address and from everyone together, and how many callbacks nobody authenticated
/// (PIN callbacks: they cost the house account money before the PIN is typed) may be open
/// at once. Rotating the caller ID escapes the first count, not the source's; rotating
/// both escapes neither the global count nor the concurrent cap.
///
/// A sliding window: a trigger is admitted when fewer than the limit were admitted in the
/// `window` before it; only admitted triggers are remembered, so memory stays bounded by
/// the global limit however many are refused. Pure: time and the number of open
/// unauthenticated callbacks are inputs, the verdict the output (tested as a table).
public struct TriggerRateLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        public var perMinutePerCallerID: Int
        public var perMinutePerSource: Int
        public var perMinuteGlobal: Int
        /// Open (queued or in progress) callbacks for no authenticated account; 0: none.
        public var concurrentUnauthenticated: Int

        public init(perMinutePerCallerID: Int = 3, perMinutePerSource: Int = 30, perMinuteGlobal: Int = 60,
                    concurrentUnauthenticated: Int = 5) {
            self.perMinutePerCallerID = perMinutePerCallerID
            self.perMinutePerSource = perMinutePerSource
            self.perMinuteGlobal = perMinuteGlobal
            self.concurrentUnauthenticated = concurrentUnauthenticated
        }

        public init(_ configuration: SwitchbackConfiguration.Callback.Limits) {
            self.init(perMinutePerCallerID: configuration.perMinutePerCallerID,
                      perMinutePerSource: configuration.perMinutePerSource, perMinuteGlobal: configuration.perMinuteGlobal,
                      concurrentUnauthenticated: configuration.concurrentUnauthenticated)
        }
    }

    /// Which limit refused a trigger (the `kind` label of `/metrics`).
    public enum Kind: String, Sendable, CaseIterable {
        case callerID = "caller-id"
        case source
        case global
        case concurrentUnauthenticated = "concurrent-unauthenticated"
    }

    public enum Verdict: Sendable, Equatable {
        case admitted
        /// Refused by `kind`; try again in `retryAfter` seconds (when the oldest counted
        /// trigger leaves the window; for the concurrent cap, one window).
        case limited(Kind, retryAfter: Int)
    }

    /// Withheld caller IDs ("", anonymous, restricted…) are one caller.
    static let withheldBucket = "anonymous"

    public var limits: Limits
    public let window: TimeInterval
    private var byCallerID: [String: [Date]] = [:]
    private var bySource: [String: [Date]] = [:]
    private var everyone: [Date] = []

    public init(limits: Limits = Limits(), window: TimeInterval = 60) {
        self.limits = limits
        self.window = window
    }

    /// Decides on one trigger at `now` and, when admitted, counts it. `openUnauthenticated`
    /// is the number of open callbacks for no account when this trigger is one of them,
    /// nil when its requester was authenticated (the cap does not apply).
    public mutating func admit(_ requester: TriggerRequester, openUnauthenticated: Int?, now: Date) -> Verdict {
        if requester.isExempt { return .admitted }
        if let open = openUnauthenticated, open >= limits.concurrentUnauthenticated {
            return .limited(.concurrentUnauthenticated, retryAfter: Int(window.rounded(.up)))
        }
        let start = now.addingTimeInterval(-window)
        everyone.removeAll { $0 <= start }
        if everyone.count >= limits.perMinuteGlobal { return .limited(.global, retryAfter: retryAfter(everyone, now)) }
        let source = requester.source.map(Self.sourceKey)
        if let source, let times = Self.recent(&bySource, source, after: start), times.count >= limits.perMinutePerSource {
            return .limited(.source, retryAfter: retryAfter(times, now))
        }
        let caller = requester.callerID.map(Self.callerKey)
        if let caller, let times = Self.recent(&byCallerID, caller, after: start), times.count >= limits.perMinutePerCallerID {
            return .limited(.callerID, retryAfter: retryAfter(times, now))
        }
        everyone.append(now)
        if let source { bySource[source, default: []].append(now) }
        if let caller { byCallerID[caller, default: []].append(now) }
        forgetIdle(before: start)
        return .admitted
    }

    /// The times of `key` still in the window (older ones dropped); nil when it has none.
    /// A key is only ever added by an admitted trigger, so refusals cost no memory.
    private static func recent(_ buckets: inout [String: [Date]], _ key: String, after start: Date) -> [Date]? {
        guard var times = buckets[key] else { return nil }
        times.removeAll { $0 <= start }
        buckets[key] = times.isEmpty ? nil : times
        return times.isEmpty ? nil : times
    }

    /// Seconds until the oldest of `times` leaves the window (at least 1).
    private func retryAfter(_ times: [Date], _ now: Date) -> Int {
        guard let oldest = times.first else { return 1 }
        return max(1, Int(oldest.addingTimeInterval(window).timeIntervalSince(now).rounded(.up)))
    }

    /// Drops the buckets whose triggers all left the window, once there are more of them
    /// than the global limit can keep alive: memory is bounded by what was admitted.
    private mutating func forgetIdle(before start: Date) {
        let bound = 2 * max(limits.perMinuteGlobal, 16)
        if byCallerID.count > bound { byCallerID = byCallerID.filter { ($0.value.last ?? start) > start } }
        if bySource.count > bound { bySource = bySource.filter { ($0.value.last ?? start) > start } }
    }

    /// Buckets kept now (tests check that memory stays bounded).
    var bucketCount: Int { byCallerID.count + bySource.count }

    /// `+4930…` and `4930…` are one caller; every withheld form is one caller.
    static func callerKey(_ callerID: String) -> String {
        guard CallerStanding.isCallable(callerID: callerID) else { return withheldBucket }
        return callerID.hasPrefix("+") ? String(callerID.dropFirst()) : callerID
    }

    /// The address without a port or IPv6 brackets (a new port is the same source).
    static func sourceKey(_ source: String) -> String {
        var host = source
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end]).lowercased()
        }
        if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") { host = String(host[..<colon]) }
        return host.lowercased()
    }
}
