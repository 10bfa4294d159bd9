import NIOCore

/// How many warnings about what peers sent (a message that does not parse, a request
/// without a usable Via, a refused request) the endpoint writes. Anyone who can send a
/// datagram can cause one, so a garbage flood must not become a log flood: one `write(2)`
/// per line on the SIP loop, and a disk filled by a stranger.
///
/// Each source (an IP address: ports are free to change) may have `perSource.burst` lines
/// at once, then one per `perSource.interval`; all sources together `overall.burst`, then
/// one per `overall.interval`, because spoofed sources each arrive with a full budget. A
/// broken phone that sends one bad REGISTER a minute is logged every time. A line that is
/// written says how many warnings were held back since the line before it, so the log
/// still accounts for every one (the `switchback_sip_malformed_total` and
/// `switchback_sip_rejected_total` counters count them all).
///
/// Budgets are GCRA (a token bucket kept as one deadline): a budget allows a line when its
/// "theoretical arrival time" is at most `(burst - 1) × interval` ahead of now.
struct PeerWarningThrottle {
    struct Budget: Equatable {
        var burst: Int
        var interval: TimeAmount
    }

    static let defaultPerSource = Budget(burst: 20, interval: .seconds(1))
    static let defaultOverall = Budget(burst: 100, interval: .milliseconds(100))
    /// Sources remembered at once. Beyond it (a spoofed flood), a new source is held to the
    /// overall budget alone until a sweep frees room.
    static let defaultTrackedSources = 4096

    let perSource: Budget
    let overall: Budget
    let trackedSources: Int
    private var sourceArrivals: [String: NIODeadline] = [:]
    private var overallArrival: NIODeadline?
    private var lastSweep: NIODeadline?
    private var heldBack = 0

    init(perSource: Budget = defaultPerSource, overall: Budget = defaultOverall,
         trackedSources: Int = defaultTrackedSources) {
        precondition(perSource.burst >= 1 && overall.burst >= 1 && trackedSources >= 1)
        self.perSource = perSource
        self.overall = overall
        self.trackedSources = trackedSources
    }

    /// Sources remembered: each one logged about since the last sweep (an entry whose
    /// deadline has passed is a full budget, the same as none, and goes at the next sweep).
    var rememberedSources: Int { sourceArrivals.count }

    /// Whether a warning about `source` is written now: `nil` holds it back (and counts it);
    /// otherwise how many were held back since the last line written.
    mutating func admit(source: String, now: NIODeadline) -> Int? {
        let sourceArrival = sourceArrivals[source]
        guard Self.allows(sourceArrival, budget: perSource, now: now),
              Self.allows(overallArrival, budget: overall, now: now) else {
            heldBack += 1
            return nil
        }
        overallArrival = Self.next(after: overallArrival, budget: overall, now: now)
        if sourceArrival != nil || makeRoom(now: now) {
            sourceArrivals[source] = Self.next(after: sourceArrival, budget: perSource, now: now)
        }
        defer { heldBack = 0 }
        return heldBack
    }

    private static func allows(_ arrival: NIODeadline?, budget: Budget, now: NIODeadline) -> Bool {
        guard let arrival else { return true }
        return arrival <= now + budget.interval * Int64(budget.burst - 1)
    }

    private static func next(after arrival: NIODeadline?, budget: Budget, now: NIODeadline) -> NIODeadline {
        max(arrival ?? now, now) + budget.interval
    }

    /// Room for one more source: forget those whose budget is full again (an entry in the
    /// past is the same as no entry). Sweeps at most once per source interval, so that a
    /// flood from ever-new addresses does not sweep on every datagram.
    private mutating func makeRoom(now: NIODeadline) -> Bool {
        if sourceArrivals.count < trackedSources { return true }
        if let lastSweep, now < lastSweep + perSource.interval { return false }
        lastSweep = now
        sourceArrivals = sourceArrivals.filter { $0.value > now }
        return sourceArrivals.count < trackedSources
    }
}
