import Foundation
import IVR
import Store
import Synchronization

/// The one way into the callback queue. Access-number modes (ANI, PIN, DID), a script's
/// `callback` verb on a live call, and the API, web, SMS and spool triggers all describe
/// what they want as an `Order`; the scheduler fills in the access number's settings
/// (delay, presented caller ID, idempotency window), holds the number to call against the
/// fraud guard (`CallbackOriginPolicy`), holds the requester to the trigger rate limits and
/// the cap on open unauthenticated callbacks (`TriggerRateLimiter`, `callback.limits`) and
/// writes the durable request the worker places. Being the one way in, no trigger path
/// can pass the limits by.
///
/// Safe from any thread: the catalog it reads settings from is swapped on reload.
public final class CallbackScheduler: Sendable {
    public typealias Backend = AccountStore & CallerIDStore & CallbackQueueStore

    /// What a trigger asks for.
    public struct Order: Sendable, Equatable {
        public var trigger: CallTrigger
        /// The account the callback is for; nil: none is known yet (a PIN callback).
        public var account: Int64?
        /// The number called first (the user's own leg).
        public var number: String
        /// Where the caller's number came from: the network (a SIP trigger's caller ID or
        /// the account's forward number), the operator (a number written in a script), or
        /// the requester (anything typed, posted or texted), which the allow-list checks.
        public var numberSource: NumberSource
        /// Whose trigger rate budget the order spends (caller ID, source address), or the
        /// operator's spool, which spends none.
        public var requester: TriggerRequester
        /// Numbers to connect once the user answers (API, web, SMS); empty: the script asks.
        public var destinations: [String]
        /// The caller ID shown to the user; nil: the access number's `callback.caller-number`.
        public var callerID: String?
        /// The number that was called or named (access number, personal DID): the
        /// callback leg's `$dnis` and where its settings come from.
        public var dialled: String
        public var campaign: String
        /// Where the callback leg's script starts; nil: the campaign's script from its start.
        public var script: String?
        public var node: String?
        /// nil: the access number's `callback.delay`.
        public var delay: Duration?
        /// A repeat with the same key within the idempotency window is the first request.
        public var idempotencyKey: String?

        public init(trigger: CallTrigger, account: Int64?, number: String, numberSource: NumberSource,
                    requester: TriggerRequester, destinations: [String] = [], callerID: String? = nil, dialled: String, campaign: String,
                    script: String? = nil, node: String? = nil, delay: Duration? = nil, idempotencyKey: String? = nil) {
            self.trigger = trigger
            self.account = account
            self.number = number
            self.numberSource = numberSource
            self.requester = requester
            self.destinations = destinations
            self.callerID = callerID
            self.dialled = dialled
            self.campaign = campaign
            self.script = script
            self.node = node
            self.delay = delay
            self.idempotencyKey = idempotencyKey
        }
    }

    public enum NumberSource: Sendable, Equatable {
        case network
        case operatorScript
        case requester
    }

    /// A queued (or already queued) request.
    public struct Queued: Sendable {
        public var request: CallbackRequest
        /// False when the idempotency key matched a request queued earlier in the window.
        public var isNew: Bool
    }

    public enum ScheduleError: Error, Equatable, CustomStringConvertible {
        case noNumber(CallTrigger)
        case refused(String)
        /// Over a trigger rate limit or the concurrent unauthenticated cap: try again in
        /// `retryAfter` seconds.
        case limited(TriggerRateLimiter.Kind, retryAfter: Int)
        case store(String)

        public var description: String {
            switch self {
            case .noNumber(let trigger): return "a \(trigger) callback names no number to call"
            case .refused(let reason): return reason
            case .limited(let kind, let retryAfter):
                return "too many callback requests (\(kind.rawValue) limit): try again in \(retryAfter) s"
            case .store(let error): return "callback queue: \(error)"
            }
        }
    }

    private let store: any Backend
    private let now: @Sendable () -> Date
    private let catalog: Mutex<ScriptCatalog>
    private let onQueued: Mutex<(@Sendable () -> Void)?> = Mutex(nil)
    /// The triggers admitted in the last minute. Held while an order is counted and
    /// queued, so the concurrent cap counts the request queued just before.
    private let limiter: Mutex<TriggerRateLimiter>
    /// Refusals by limit kind, for /metrics.
    public let counters: SecurityCounters

    public init(store: any Backend, catalog: ScriptCatalog, counters: SecurityCounters = SecurityCounters(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.catalog = Mutex(catalog)
        self.now = now
        self.counters = counters
        limiter = Mutex(TriggerRateLimiter(limits: TriggerRateLimiter.Limits(catalog.callbackSettings.limits)))
    }

    /// The reloaded settings, for requests scheduled from now on.
    public func replaceCatalog(_ catalog: ScriptCatalog) {
        self.catalog.withLock { $0 = catalog }
    }

    /// Told after a new request is queued (the worker's `notify`), so it plans its wake-up
    /// for the request's due time instead of finding it at its next poll.
    public func whenQueued(_ action: @escaping @Sendable () -> Void) {
        onQueued.withLock { $0 = action }
    }

    /// Where a spool line ends: its request and the file's read position are written in
    /// one transaction, so each line is queued exactly once across restarts.
    public struct SpoolPosition: Sendable, Equatable {
        public var path: String
        public var offsetAfter: Int64

        public init(path: String, offsetAfter: Int64) {
            self.path = path
            self.offsetAfter = offsetAfter
        }
    }

    /// The most numbers a request may connect (`callback.max-participants`, the user's own
    /// leg included).
    public var maxParticipants: Int {
        catalog.withLock { $0.callbackSettings.maxParticipants }
    }

    /// Queues `order`, or says why not. With `spool`, the spool file's offset moves past the
    /// line in the same transaction.
    public func schedule(_ order: Order, spool: SpoolPosition? = nil) throws(ScheduleError) -> Queued {
        guard !order.number.isEmpty else { throw .noNumber(order.trigger) }
        try checkNumber(order)
        let (policy, limits) = catalog.withLock {
            ($0.callbackPolicy(forDialled: order.dialled), TriggerRateLimiter.Limits($0.callbackSettings.limits))
        }
        let at = now()
        if order.requester.isExempt { return try enqueue(order, policy: policy, spool: spool, at: at) }
        return try limiter.withLock { (limiter: inout TriggerRateLimiter) throws(ScheduleError) -> Queued in
            limiter.limits = limits   // a reload's limits hold from the next trigger on
            // No account: nobody authenticated the requester (a PIN callback), and the house pays.
            let open = order.account == nil ? try openUnauthenticatedCallbacks() : nil
            if case .limited(let kind, let retryAfter) = limiter.admit(order.requester, openUnauthenticated: open, now: at) {
                counters.triggerLimited(kind)
                throw .limited(kind, retryAfter: retryAfter)
            }
            return try enqueue(order, policy: policy, spool: spool, at: at)
        }
    }

    /// Callbacks for no account queued or in progress.
    private func openUnauthenticatedCallbacks() throws(ScheduleError) -> Int {
        do {
            return try store.openUnauthenticatedCallbackCount()
        } catch {
            throw .store("\(error)")
        }
    }

    private func enqueue(_ order: Order, policy: ScriptCatalog.AccessPolicy, spool: SpoolPosition?,
                         at: Date) throws(ScheduleError) -> Queued {
        let delay = order.delay ?? policy.callback.delay
        let request = NewCallbackRequest(
            sourceKey: order.idempotencyKey, accountID: order.account, campaign: order.campaign, trigger: order.trigger,
            originNumber: order.number, destinations: order.destinations,
            callerID: order.callerID ?? (policy.callbackCallerNumber.isEmpty ? order.dialled : policy.callbackCallerNumber),
            accessNumber: order.dialled, script: order.script, node: order.node,
            notBefore: at.addingTimeInterval(delay.timeInterval))
        let queued: CallbackRequest
        do {
            if let spool {
                queued = try store.enqueueCallback(request, spool: spool.path, offsetAfter: spool.offsetAfter, at: at)
            } else {
                queued = try store.enqueueCallback(request, idempotencyWindow: policy.callback.idempotencyWindow.timeInterval,
                                                   at: at)
            }
        } catch {
            throw .store("\(error)")
        }
        // The store returns the earlier request for a key in its window; ours was created just now.
        let isNew = abs(queued.createdAt.timeIntervalSince(at)) < 0.001
        if isNew { onQueued.withLock { $0 }?() }
        return Queued(request: queued, isNew: isNew)
    }

    /// The fraud guard: a number the requester chose must be one of the account's own.
    private func checkNumber(_ order: Order) throws(ScheduleError) {
        guard order.numberSource == .requester else { return }
        let verdict: CallbackOriginPolicy.Verdict
        do {
            let account = try order.account.flatMap { try store.account(id: $0) }
            var allowList = try account?.id.map { try store.callerIDs(account: $0).map(\.number) } ?? []
            if let forward = account?.forwardNumber { allowList.append(forward) }
            verdict = CallbackOriginPolicy.verdict(trigger: order.trigger, origin: order.number, account: account?.login,
                                                   allowList: allowList)
        } catch {
            throw .store("\(error)")
        }
        if case .refused(let reason) = verdict { throw .refused(reason) }
    }
}

extension CallbackScheduler {
    /// A script's `callback` verb on a live call (pin-callback.yaml): the number is the
    /// operator's when the script wrote it, the network's when it is the caller's own
    /// number, else the requester's; the account is the one the call bound (`$account`).
    public func schedule(_ verb: IVR.CallbackRequest, context: IVR.CallContext) throws(ScheduleError) -> Queued {
        var account: Int64?
        if let login = context.value(at: VariablePath(["account", "login"]))?.text, !login.isEmpty {
            do {
                account = try store.account(login: login)?.id
            } catch {
                throw .store("\(error)")
            }
        }
        let source: NumberSource
        if verb.toIsLiteral {
            source = .operatorScript
        } else if !context.caller.isEmpty, verb.to == context.caller {
            source = .network
        } else {
            source = .requester
        }
        let campaign = context["campaign"]?.text ?? ""
        // The caller of the live call spends its own budget, from the address its call came from.
        let address = context[CallerTrust.sourceVariable]?.text ?? ""
        let requester = TriggerRequester(callerID: context.caller, source: address.isEmpty ? nil : address)
        let order = Order(
            trigger: .script, account: account, number: verb.to, numberSource: source, requester: requester,
            callerID: verb.callerID,
            dialled: context.dnis, campaign: campaign, script: verb.script, node: verb.node,
            delay: verb.delaySeconds.map { .seconds($0) },
            // As the SIP triggers' keys: the same caller asking again on the same number within
            // the window (or a script looping back to its `callback` node) queues nothing new.
            idempotencyKey: "script:\(context.caller):\(verb.to):\(context.dnis)")
        return try schedule(order)
    }
}
