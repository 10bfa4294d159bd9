import Foundation
import Logging
import Store

/// Works the callback queue (issue 6, "the callback queue"): at start it recovers what a
/// dead process left claimed, then it claims each request when it falls due, checks the
/// account's limits, has the A leg placed by a `CallbackDialer`, records every state the
/// call passes through, and after a busy or unanswered A leg queues the request again
/// with back-off, or fails it for good.
///
/// It wakes when the next request falls due (so a callback starts on time, not on a poll
/// tick), when `notify()` says something was queued, and at least every `pollInterval`
/// (requests queued by another process — the CLI, a second node — are seen that way).
/// Nothing lives only here: every decision is written to the store before it is acted on.
public actor CallbackWorker {
    /// The queue, and the accounts whose allow-lists a requested number is checked against.
    public typealias Backend = CallbackQueueStore & AccountStore & CallerIDStore

    private let store: any Backend
    private let dialer: any CallbackDialer
    private let retry: CallbackRetryPolicy
    private let limits: CallbackLimits
    /// The claim's owner in the queue (`claimedBy`).
    public nonisolated let name: String
    private let pollInterval: Duration
    /// Callbacks in progress at once from this worker, all accounts together.
    private let maximumInFlight: Int
    private let now: @Sendable () -> Date
    private let logger: Logger

    private var loop: Task<Void, Never>?
    private let doorbell = Doorbell()
    private var inFlight = 0

    public init(store: any Backend, dialer: any CallbackDialer, retry: CallbackRetryPolicy = CallbackRetryPolicy(),
                limits: CallbackLimits = CallbackLimits(), name: String = "switchback",
                pollInterval: Duration = .milliseconds(250), maximumInFlight: Int = 500,
                now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.store = store
        self.dialer = dialer
        self.retry = retry
        self.limits = limits
        self.name = name
        self.pollInterval = pollInterval
        self.maximumInFlight = max(1, maximumInFlight)
        self.now = now
        self.logger = logger
    }

    /// Recovers the requests a previous process left claimed (see
    /// `SQLiteStore.recoverInterruptedCallbacks` for the rule), then starts working the queue.
    @discardableResult
    public func start() throws -> CallbackRecovery {
        // A single-node store: whatever is claimed at start was claimed by a process now dead.
        let recovery = try store.recoverInterruptedCallbacks(worker: nil, at: now())
        for id in recovery.requeued {
            logger.notice("callback requeued after restart", metadata: ["request": "\(id)"])
        }
        for id in recovery.interrupted {
            logger.notice("callback interrupted by restart", metadata: ["request": "\(id)"])
        }
        guard loop == nil else { return recovery }
        loop = Task { await self.run() }
        return recovery
    }

    /// Stops claiming. Calls in progress go on until they end (a process that exits
    /// leaves them to the next start's recovery).
    public func stop() async {
        let running = loop
        loop = nil
        running?.cancel()
        await running?.value
    }

    /// Something was queued: look at the queue now rather than at the next poll.
    public nonisolated func notify() {
        doorbell.ring()
    }

    /// Callbacks this worker has in progress.
    public var callbacksInProgress: Int { inFlight }

    // MARK: - The loop

    private func run() async {
        logger.info("callback worker started", metadata: ["worker": "\(name)"])
        while !Task.isCancelled {
            let nextDue = claimDueRequests()
            var wait = pollInterval
            if let nextDue, inFlight < maximumInFlight {
                let until = nextDue.timeIntervalSince(now())
                wait = min(wait, .milliseconds(Int64(max(0, until) * 1000)))
            }
            await doorbell.sleep(for: wait)
        }
        logger.info("callback worker stopped", metadata: ["worker": "\(name)"])
    }

    /// Claims and starts every due request (up to the in-flight bound); returns when the
    /// next queued one falls due.
    private func claimDueRequests() -> Date? {
        do {
            while inFlight < maximumInFlight {
                // A read first: most looks at the queue find nothing due, and need no write.
                guard let due = try store.nextCallbackDue() else { return nil }
                guard due <= now() else { return due }
                let claimed = try store.claimDueCallbacks(worker: name, limit: min(Self.claimBatch, maximumInFlight - inFlight),
                                                          at: now())
                guard !claimed.isEmpty else { return nil }
                // Requests of the batch not begun yet are claimed (active in the store) but
                // not in progress: the concurrency limit must not count them.
                var notYetBegun: [Int64: Int] = [:]
                for request in claimed { if let account = request.accountID { notYetBegun[account, default: 0] += 1 } }
                for request in claimed {
                    var peers = 0
                    if let account = request.accountID {
                        notYetBegun[account, default: 1] -= 1
                        peers = notYetBegun[account] ?? 0
                    }
                    begin(request, claimedAlongside: peers)
                }
            }
            return try store.nextCallbackDue()
        } catch {
            logger.error("callback queue unavailable", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// - Parameter claimedAlongside: the account's requests claimed in the same batch and
    ///   not begun yet.
    private func begin(_ request: CallbackRequest, claimedAlongside: Int) {
        guard let id = request.id else { return }
        do {
            if case .refused(let reason) = try originVerdict(request) {
                try store.failCallback(id: id, error: reason, retryAt: nil, at: now())
                logger.notice("callback refused", metadata: ["request": "\(id)", "reason": "\(reason)"])
                return
            }
            if let account = request.accountID {
                let hourAgo = request.createdAt.addingTimeInterval(-3600)
                let createdBefore = try store.callbacksCreated(account: account, before: id, since: hourAgo)
                let others = max(0, try store.callbackCounts(account: account, since: now()).active - 1 - claimedAlongside)
                switch limits.decide(othersActive: others, createdBefore: createdBefore) {
                case .proceed:
                    break
                case .postpone(let wait):
                    try store.postponeCallback(id: id, until: now().addingTimeInterval(wait.timeInterval),
                                               reason: "postponed: account \(account) has \(others) callbacks in progress",
                                               at: now())
                    logger.info("callback postponed", metadata: ["request": "\(id)", "account": "\(account)"])
                    return
                case .refuse(let reason):
                    try store.failCallback(id: id, error: reason, retryAt: nil, at: now())
                    logger.notice("callback refused", metadata: ["request": "\(id)", "reason": "\(reason)"])
                    return
                }
            }
        } catch {
            logger.error("callback limits not checked", metadata: ["request": "\(id)", "reason": "\(error)"])
            return
        }
        inFlight += 1
        logger.info("callback placing", metadata: [
            "request": "\(id)", "attempt": "\(request.attempts)", "to": "\(request.originNumber ?? "")",
            "trigger": "\(request.trigger)", "campaign": "\(request.campaign)",
        ])
        let (events, continuation) = AsyncStream.makeStream(of: CallbackLegEvent.self)
        dialer.placeCallback(request, events: CallbackLegReporter(continuation))
        Task {
            var final = false
            for await event in events {
                final = self.record(event, of: request)
            }
            self.finished(request, reportedFinal: final)
        }
    }

    /// The fraud guard on the number to call (`CallbackOriginPolicy`).
    private func originVerdict(_ request: CallbackRequest) throws -> CallbackOriginPolicy.Verdict {
        guard request.trigger.numbersAreRequesterChosen else { return .allowed }
        let account = try request.accountID.flatMap { try store.account(id: $0) }
        var allowList = try account?.id.map { try store.callerIDs(account: $0).map(\.number) } ?? []
        if let forward = account?.forwardNumber { allowList.append(forward) }
        return CallbackOriginPolicy.verdict(trigger: request.trigger, origin: request.originNumber,
                                            account: account?.login, allowList: allowList)
    }

    /// Writes what happened to the queue; true for a final event.
    private func record(_ event: CallbackLegEvent, of request: CallbackRequest) -> Bool {
        let id = request.id!
        let time = now()
        do {
            switch event {
            case .answered:
                try store.advanceCallback(id: id, to: .aAnswered, error: nil, at: time)
            case .callingB:
                try store.advanceCallback(id: id, to: .callingB, error: nil, at: time)
            case .connected:
                try store.advanceCallback(id: id, to: .connected, error: nil, at: time)
                logger.info("callback connected", metadata: ["request": "\(id)"])
            case .bLegEnded:
                try store.advanceCallback(id: id, to: .aAnswered, error: nil, at: time)
            case .ended:
                try store.completeCallback(id: id, at: time)
                logger.info("callback completed", metadata: ["request": "\(id)"])
                return true
            case .unanswered(let failure, let reason):
                let error = "\(failure.rawValue): \(reason)"
                switch retry.decide(after: failure, attemptsMade: request.attempts) {
                case .retry(let wait):
                    let at = time.addingTimeInterval(wait.timeInterval)
                    try store.failCallback(id: id, error: error, retryAt: at, at: time)
                    logger.info("callback retry queued", metadata: [
                        "request": "\(id)", "outcome": "\(failure.rawValue)", "attempt": "\(request.attempts)",
                        "retry-in-ms": "\(Int(wait.timeInterval * 1000))",
                    ])
                case .giveUp(let why):
                    try store.failCallback(id: id, error: "\(error) (\(why))", retryAt: nil, at: time)
                    // The leg's own reason too: a callback refused before its INVITE (no rate,
                    // a blocked prefix, nobody to pay, no credit) says why here.
                    logger.notice("callback failed", metadata: ["request": "\(id)", "outcome": "\(failure.rawValue)",
                                                                "reason": "\(why)", "error": "\(reason)"])
                }
                return true
            }
            logger.info("callback state", metadata: ["request": "\(id)", "event": "\(event)"])
        } catch StoreError.invalidCallbackTransition(_, from: .cancelled, _) {
            // Cancelled while its leg was being placed (DELETE /api/v1/callbacks/{id}): it stays so.
            logger.info("callback cancelled", metadata: ["request": "\(id)", "event": "\(event)"])
            if case .ended = event { return true }
            if case .unanswered = event { return true }
        } catch {
            logger.error("callback state not recorded", metadata: ["request": "\(id)", "event": "\(event)",
                                                                   "reason": "\(error)"])
            if case .ended = event { return true }
            if case .unanswered = event { return true }
        }
        return false
    }

    private func finished(_ request: CallbackRequest, reportedFinal: Bool) {
        inFlight -= 1
        if !reportedFinal, let id = request.id {
            // A dialer that ends without an outcome must not leave the request claimed forever.
            try? store.failCallback(id: id, error: "the A leg ended without an outcome", retryAt: nil, at: now())
        }
        doorbell.ring()
    }

    /// Requests claimed in one transaction at most.
    static let claimBatch = 25
}
