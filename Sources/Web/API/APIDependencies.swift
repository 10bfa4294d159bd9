import Foundation
import Store
import Switchboard

/// What the API routes work with, passed in (no globals): the store through its
/// protocols, the one way into the callback queue, the settings they honour and a clock.
public struct APIDependencies: Sendable {
    public var store: any SwitchbackStore
    public var scheduler: CallbackScheduler
    public var document: OpenAPIDocument
    /// `callback.web-campaign`: the script run on the user's leg; nil refuses callbacks (503).
    public var webCampaign: String?
    /// Basic-auth failures lock a login and a client address out, as PIN failures do.
    public var lockout: PINLockoutPolicy
    public var adminToken: String?
    /// The digest realm of accounts the admin half opens (`sip.domain`).
    public var sipRealm: String
    /// Calls in progress, for the admin route; nil when the server is not running here.
    public var activeCalls: (@Sendable () async -> Int?)?
    /// Hangs up the live legs of a callback request (false: none is live); nil: no server here.
    public var hangUpCallback: (@Sendable (Int64) async -> Bool)?
    public var metrics: SwitchbackMetrics
    /// How often the event stream looks for new events.
    public var eventPollInterval: Duration
    public var now: @Sendable () -> Date

    public init(store: any SwitchbackStore, scheduler: CallbackScheduler, document: OpenAPIDocument = .embedded,
                webCampaign: String?, lockout: PINLockoutPolicy, adminToken: String?, sipRealm: String = "switchback.local",
                activeCalls: (@Sendable () async -> Int?)? = nil,
                hangUpCallback: (@Sendable (Int64) async -> Bool)? = nil, metrics: SwitchbackMetrics = SwitchbackMetrics(),
                eventPollInterval: Duration = .milliseconds(100), now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.scheduler = scheduler
        self.document = document
        self.webCampaign = webCampaign
        self.lockout = lockout
        self.adminToken = adminToken
        self.sipRealm = sipRealm
        self.activeCalls = activeCalls
        self.hangUpCallback = hangUpCallback
        self.metrics = metrics
        self.eventPollInterval = eventPollInterval
        self.now = now
    }
}
