import Foundation

/// A queued request to call someone back (table `callbackRequest`): the durable queue that
/// survives restarts. States follow the call (issue 6, "the callback queue"):
///
/// ```
/// queued ─claim→ calling-a ─answer→ a-answered ─dial→ calling-b ─answer→ connected
///   ↑  │            │  │                 ↑   │           │   │                │
///   │  cancelled    │  failed            │   └─completed─┴───┴──── (hang-up) ─┘
///   └──── retry ────┘                    └──── B over (#11, busy): back to the script
/// ```
///
/// `queued` and `calling-a` are the only states from which the user may be called again:
/// once the A leg was answered the request never goes back to the queue (a script may
/// have run, a forward may have been billed). `sourceKey` makes enqueueing idempotent.
public struct CallbackRequest: Codable, Sendable, Hashable, Identifiable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Waiting for `notBefore` (the callback delay, or a retry's back-off).
        case queued
        /// Claimed by a worker; the A leg (the user's phone) is being called.
        case callingA = "calling-a"
        /// The user answered; the campaign's script runs on the A leg.
        case aAnswered = "a-answered"
        /// The script's `dial` is calling the destination (the B leg).
        case callingB = "calling-b"
        /// Both legs are up and bridged.
        case connected
        case completed
        case failed
        case cancelled

        /// The states a worker holds a claim in (the call is in progress).
        public static let active: [State] = [.callingA, .aAnswered, .callingB, .connected]
        /// Final states: nothing moves a request out of them.
        public static let terminal: [State] = [.completed, .failed, .cancelled]

        /// The states this one may move to (`SQLiteStore.advanceCallback` enforces them).
        public var successors: Set<State> {
            switch self {
            case .queued: return [.callingA, .cancelled]
            // Back to queued: a retry after busy/no-answer, or postponed by a limit.
            case .callingA: return [.aAnswered, .queued, .failed, .cancelled, .completed]
            case .aAnswered: return [.callingB, .completed, .failed]
            // Back to a-answered: the B leg was busy or ended (#11) and the script goes on.
            case .callingB: return [.connected, .aAnswered, .completed, .failed]
            case .connected: return [.aAnswered, .completed, .failed]
            case .completed, .failed, .cancelled: return []
            }
        }

        /// Old names (migration "v4 callback states" renamed them in the database).
        @available(*, deprecated, renamed: "callingA")
        public static var claimed: State { .callingA }
        @available(*, deprecated, renamed: "completed")
        public static var done: State { .completed }
    }

    public var id: Int64?
    /// The idempotency key: a second request with the same key while the first is in
    /// progress, or within the idempotency window, is the first one.
    public var sourceKey: String?
    public var accountID: Int64?
    public var campaign: String
    public var trigger: CallTrigger
    /// The number to call first (the user's own leg), if known.
    public var originNumber: String?
    /// Numbers to connect once the origin answers: one is a bridge, several a conference.
    public var destinations: [String]
    /// The caller ID presented to the user on the A leg (`callbackcallernumber`).
    public var callerID: String?
    /// The number dialled that triggered the callback (an access number, a personal DID):
    /// the callback leg's `$dnis`.
    public var accessNumber: String?
    /// Where the callback leg's script starts, when the trigger named it (a `callback`
    /// verb's `script`/`node`); nil: the campaign's script from its start.
    public var script: String?
    public var node: String?
    /// Not to be placed before this time (the callback delay, or a retry's back-off).
    public var notBefore: Date
    public var state: State
    /// Attempts to call the A leg so far (a claim is an attempt).
    public var attempts: Int
    public var claimedBy: String?
    public var claimedAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// What to enqueue.
public struct NewCallbackRequest: Sendable, Hashable {
    public var sourceKey: String?
    public var accountID: Int64?
    public var campaign: String
    public var trigger: CallTrigger
    public var originNumber: String?
    public var destinations: [String]
    public var callerID: String?
    public var accessNumber: String?
    public var script: String?
    public var node: String?
    public var notBefore: Date

    public init(sourceKey: String? = nil, accountID: Int64?, campaign: String, trigger: CallTrigger,
                originNumber: String?, destinations: [String], callerID: String? = nil, accessNumber: String? = nil,
                script: String? = nil, node: String? = nil, notBefore: Date) {
        self.sourceKey = sourceKey
        self.accountID = accountID
        self.campaign = campaign
        self.trigger = trigger
        self.originNumber = originNumber
        self.destinations = destinations
        self.callerID = callerID
        self.accessNumber = accessNumber
        self.script = script
        self.node = node
        self.notBefore = notBefore
    }
}

/// How many callbacks an account has going, for the per-account limits.
public struct CallbackCounts: Sendable, Hashable {
    /// Requests in progress (calling-a through connected).
    public var active: Int
    /// Requests created in the window asked about (cancelled ones included: they were asked for).
    public var recent: Int

    public init(active: Int, recent: Int) {
        self.active = active
        self.recent = recent
    }
}

/// What start-up recovery did with the requests a dead process had claimed.
public struct CallbackRecovery: Sendable, Hashable {
    /// Never answered (calling-a): back in the queue, due at once.
    public var requeued: [Int64]
    /// Answered before the crash (a-answered, calling-b, connected): failed "interrupted".
    public var interrupted: [Int64]

    public init(requeued: [Int64], interrupted: [Int64]) {
        self.requeued = requeued
        self.interrupted = interrupted
    }
}
