import Billing
import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOPosix
import SIPStack
import Store

/// The telephony side of `switchback serve`: one SIP endpoint on one event loop, media
/// spread over all loops, the router and its script catalog.
public final class SwitchbackServer: @unchecked Sendable {
    public let configuration: SwitchbackConfiguration
    public let group: any EventLoopGroup
    public let endpoint: SIPEndpoint
    private let router: CallRouter
    private let logger: Logger
    /// Where relative paths in the configuration start (the spool file's too).
    public let baseDirectory: URL
    /// Prompts play from here for the server's lifetime; reloads validate against it.
    private let soundsRoot: URL
    /// Accounts, money and CDRs; nil for a server that runs scripts without accounts.
    /// The HTTP API and the spool (Web) read and write it through its protocols.
    public let store: (any SwitchbackStore)?
    /// Places queued callbacks (with a store only: the queue lives there).
    public let callbackWorker: CallbackWorker?
    private let callbackDialer: OutboundScriptedCall?
    /// Queues every callback (trigger calls, scripts, and later the API, web, SMS, spool).
    public let callbackScheduler: CallbackScheduler?

    /// - Parameters:
    ///   - baseDirectory: where relative paths in the configuration (scripts, sounds) start.
    ///   - store: accounts, rates and billing. With it, scripts' service requests are
    ///     answered by a `StoreServiceDesk` (unless `serviceDesk` is given), calls bill their
    ///     access leg, and `start()` first settles what a crash left open.
    ///   - serviceDesk: answers service requests; default: the store's, else none.
    ///   - outboundLegBilling: told of every B leg a `dial` placed, to rate and settle it.
    ///   - sipCredentials: the HA1s REGISTER is checked against; default: the store's accounts.
    ///     With neither, REGISTER is answered 405.
    /// - Throws: `ScriptCatalogError` when a campaign script fails validation (the server
    ///   must not start on a script it would refuse to reload), a listen address error, or
    ///   `TrunkSelectionError` for a trunk that cannot be used.
    public init(configuration: SwitchbackConfiguration, baseDirectory: URL, group: any EventLoopGroup,
                store: (any SwitchbackStore)? = nil, serviceDesk: (any ServiceDesk)? = nil,
                outboundLegBilling: (any OutboundLegBilling)? = nil, sipCredentials: (any SIPCredentialsLookup)? = nil,
                callbackQueue: CallbackQueueSettings? = nil, logger: Logger) throws {
        self.configuration = configuration
        self.store = store
        self.group = group
        self.logger = logger
        self.baseDirectory = baseDirectory
        let listen = try configuration.sip.listen.map { try SIPListenAddress(parsing: $0) }
        let sipLoop = group.next()
        endpoint = SIPEndpoint(eventLoop: sipLoop,
                               configuration: SIPEndpointConfiguration(listen: listen, advertisedHost: configuration.sip.advertise),
                               logger: logger)
        let soundsRoot = ScriptCatalog.soundsRoot(of: configuration, baseDirectory: baseDirectory)
        self.soundsRoot = soundsRoot
        let promptCatalog = PromptCatalog.scan(soundsRoot: soundsRoot)
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: baseDirectory, promptCatalog: promptCatalog)
        Self.log(warnings: catalog.warnings, logger: logger)
        let prompts = PromptLibrary(root: soundsRoot)
        let mediaEngine = MediaEngine(group: group, bindHost: configuration.media.bind,
                                      portRange: configuration.media.rtpPorts, logger: logger)
        let loops = Array(group.makeIterator())
        let advertised = configuration.sip.advertise
            ?? (SIPEndpoint.isWildcard(configuration.media.bind) ? Self.firstListenHost(listen) : configuration.media.bind)
        let services = CallServices(logger: logger, mediaEngine: mediaEngine, mediaLoops: loops, prompts: prompts,
                                    promptCatalog: promptCatalog, mediaAddress: advertised,
                                    serviceDesk: serviceDesk ?? store.map {
                                        StoreServiceDesk(store: $0, lockout: PINLockoutPolicy(configuration.callback.pinLockout))
                                    } ?? UnavailableServiceDesk(),
                                    billingStore: store)
        router = CallRouter(endpoint: endpoint, catalog: catalog, services: services, logger: logger)
        // REGISTER with Digest against the accounts' HA1 (realm = the SIP domain).
        if let credentials = sipCredentials ?? store.map({ AccountCredentials(store: $0) }) {
            router.registrations = RegistrationService(domain: configuration.sip.domain, credentials: credentials,
                                                       eventLoop: sipLoop, logger: logger)
        }
        // Access numbers that call back (or challenge INVITEs) look callers up in the store;
        // every callback, whatever asked for it, is queued through one scheduler.
        if let store {
            let scheduler = CallbackScheduler(store: store, catalog: catalog)
            callbackScheduler = scheduler
            services.callbackScheduler = scheduler
            var triggers = CallbackTriggerDesk(
                store: store, credentials: sipCredentials ?? AccountCredentials(store: store), realm: configuration.sip.domain)
            triggers.scheduler = scheduler
            router.callbackTriggers = triggers
        } else {
            callbackScheduler = nil
        }
        // `dial` rings registered users' phones, else places B legs through the configured
        // trunks (both fixed for the process's lifetime).
        router.dialPlan = DialPlan(trunks: try TrunkSelector(configuration: configuration.trunks),
                                   domain: configuration.sip.domain, billing: outboundLegBilling,
                                   registrations: router.registrations,
                                   forwarding: store.map { AccountForwardSettings(store: $0) },
                                   callerIDRules: configuration.campaigns.mapValues {
                                       CallerIDRule(campaignCallerID: $0.callerID, forwardCallerID: $0.forwardCallerID)
                                   },
                                   maxParticipants: configuration.callback.maxParticipants)
        endpoint.user = router
        // The callback queue: a worker places each due request's A leg and runs its script.
        if let store {
            let settings = callbackQueue ?? CallbackQueueSettings(configuration: configuration.callback)
            let dialer = OutboundScriptedCall(router: router, services: services, catalog: catalog, accounts: store,
                                              settings: .init(callerNumber: settings.callerNumber,
                                                              ringTimeout: settings.ringTimeout))
            callbackDialer = dialer
            let worker = CallbackWorker(store: store, dialer: dialer, retry: settings.retry, limits: settings.limits,
                                        name: settings.workerName, pollInterval: settings.pollInterval, logger: logger)
            callbackWorker = worker
            callbackScheduler?.whenQueued { worker.notify() }
        } else {
            callbackDialer = nil
            callbackWorker = nil
        }
    }

    private static func firstListenHost(_ listen: [SIPListenAddress]) -> String {
        let host = listen.first?.host ?? "127.0.0.1"
        return SIPEndpoint.isWildcard(host) ? "127.0.0.1" : host
    }

    public func start() async throws {
        // Before any call can open a leg: whatever is still open was left by a previous process.
        if let store { try recoverOpenLegs(store) }
        try await endpoint.start().get()
        // After the endpoint: a recovered request may be placed at once.
        try await callbackWorker?.start()
        let numbers = try await scriptNumbers()
        logger.info("access numbers ready", metadata: ["numbers": "\(numbers)"])
    }

    /// Settles the reservations a crash (kill -9, power loss) left open, billing each open
    /// leg up to its last heartbeat, and logs what was settled.
    private func recoverOpenLegs(_ store: any SwitchbackStore) throws {
        let settlements = try store.recoverOpenLegs(at: Date())
        for settlement in settlements {
            for leg in settlement.legs {
                logger.notice("recovered open leg", metadata: [
                    "reservation": "\(settlement.reservation.id ?? 0)", "leg": "\(leg.id ?? 0)",
                    "account": "\(leg.accountID ?? 0)", "to": "\(leg.toNumber)", "billed-seconds": "\(leg.billedSeconds)",
                    "cost": "\(leg.cost)", "disposition": "\(leg.disposition.rawValue)",
                ])
            }
            logger.notice("recovered reservation", metadata: [
                "reservation": "\(settlement.reservation.id ?? 0)", "charged": "\(settlement.charged)",
                "released": "\(settlement.reservation.amount - settlement.charged)", "balance": "\(settlement.balanceAfter)",
            ])
        }
        logger.info("billing recovery done", metadata: ["reservations": "\(settlements.count)"])
    }

    private func scriptNumbers() async throws -> String {
        try await endpoint.eventLoop.submit { self.router.catalogAccessNumbers.joined(separator: ",") }.get()
    }

    /// Loads and validates the campaigns, access numbers and scripts of `configuration`
    /// and puts them in service; calls in progress keep the version they started with.
    /// Any validation error throws `ScriptCatalogError` and the running catalog stays.
    /// Only `campaigns` and `access-numbers` take effect; the other sections (listen
    /// addresses, media, sounds, database) are fixed for the process's lifetime.
    /// - Returns: the access numbers now served.
    @discardableResult
    public func reloadScripts(configuration: SwitchbackConfiguration) async throws -> [String] {
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: baseDirectory,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: soundsRoot))
        Self.log(warnings: catalog.warnings, logger: logger)
        try await endpoint.eventLoop.submit { self.router.replaceCatalog(catalog) }.get()
        callbackDialer?.replaceCatalog(catalog)
        callbackScheduler?.replaceCatalog(catalog)
        return catalog.accessNumbers
    }

    private static func log(warnings: [Diagnostic], logger: Logger) {
        for warning in warnings {
            logger.warning("\(warning)", metadata: ["file": "\(warning.location.file)"])
        }
    }

    public var activeCalls: Int {
        get async throws { try await endpoint.eventLoop.submit { self.router.activeCalls }.get() }
    }

    public func stop() async throws {
        await callbackWorker?.stop()
        try await endpoint.stop().get()
    }
}

extension SwitchbackServer {
    /// (name, help, value) triples for /metrics.
    public func metricsSnapshot() async -> [(String, String, Int)] {
        let values = try? await endpoint.eventLoop.submit { () -> (SIPEndpoint.Statistics, Int) in
            (self.endpoint.statistics, self.router.activeCalls)
        }.get()
        guard let (stats, calls) = values else { return [] }
        return [
            ("switchback_active_calls", "Calls in progress.", calls),
            ("switchback_sip_messages_received_total", "SIP messages received.", stats.messagesReceived),
            ("switchback_sip_messages_sent_total", "SIP messages sent.", stats.messagesSent),
            ("switchback_sip_malformed_total", "SIP messages dropped or answered 400 as malformed.", stats.malformedMessages),
            ("switchback_sip_rejected_total", "SIP requests rejected by RFC 3261 checks.", stats.requestsRejected),
        ]
    }
}
