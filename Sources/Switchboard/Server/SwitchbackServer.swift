import Billing
import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOPosix
import SIPStack
import Store

/// The telephony side of `switchback serve`: the SIP side on `sip.event-loops` event
/// loops (one endpoint and call router on each, calls spread by Call-ID), media spread
/// over all loops, the script catalog, the registrar and the callback queue they share.
public final class SwitchbackServer: @unchecked Sendable {
    public let configuration: SwitchbackConfiguration
    public let group: any EventLoopGroup
    /// The primary endpoint (the TCP listeners; with one SIP loop, the only one).
    public var endpoint: SIPEndpoint { endpoints[0] }
    /// One endpoint per SIP event loop, in loop order.
    public let endpoints: [SIPEndpoint]
    /// RTP port pairs for every leg's media (their use is on /metrics).
    public let mediaEngine: MediaEngine
    /// One router per endpoint (same order): each runs the calls whose Call-ID is its loop's.
    private let routers: [CallRouter]
    /// The first router: places the queued callbacks and answers what is asked of the server.
    private var router: CallRouter { routers[0] }
    private let logger: Logger
    /// Where relative paths in the configuration start (the spool file's too).
    public let baseDirectory: URL
    /// Prompts play from here for the server's lifetime; reloads validate against it.
    private let soundsRoot: URL
    /// Accounts, money and CDRs; nil for a server that runs scripts without accounts.
    /// The HTTP API and the spool (Web) read and write it through its protocols.
    public let store: (any SwitchbackStore)?
    /// This node's lease on the store, renewed before recovery and on a timer after.
    public let heartbeat: NodeHeartbeat?
    /// Places queued callbacks (with a store only: the queue lives there).
    public let callbackWorker: CallbackWorker?
    /// PIN lockouts and failures, refused triggers (issue 11), for /metrics.
    public let securityCounters: SecurityCounters
    /// One callback dialer per router; queued callbacks are spread over them.
    private let callbackDialers: [OutboundScriptedCall]
    /// Queues every callback (trigger calls, scripts, and later the API, web, SMS, spool).
    public let callbackScheduler: CallbackScheduler?
    /// Carries out SMS commands (with a store that keeps the SMS outbox only).
    public let smsDesk: SMSCommandDesk?
    /// The SMS outbox, for the edge that sends its replies.
    public var smsOutbox: (any SMSOutboxStore)? { store as? any SMSOutboxStore }

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
        let securityCounters = SecurityCounters()
        self.securityCounters = securityCounters
        let listen = try configuration.sip.listen.map { try SIPListenAddress(parsing: $0) }
        let loops = Array(group.makeIterator())
        let sipLoops = Self.sipLoops(configuration.sip.eventLoops, of: group, loops: loops, logger: logger)
        let endpointConfiguration = SIPEndpointConfiguration(
            listen: listen, advertisedHost: configuration.sip.advertise, userAgent: SwitchbackVersion.productToken,
            connections: SIPConnectionTable.Limits(
                maximumConnections: configuration.sip.tcpMaxConnections,
                maximumConnectionsPerSource: configuration.sip.tcpMaxConnectionsPerSource,
                idleTimeout: configuration.sip.tcpIdleTimeout))
        // With several SIP loops, every line a loop's endpoint and calls log names the loop.
        let loopLoggers = sipLoops.indices.map { index in
            var loopLogger = logger
            if sipLoops.count > 1 { loopLogger[metadataKey: "sip-loop"] = "\(index)" }
            return loopLogger
        }
        let endpoints = sipLoops.indices.map {
            SIPEndpoint(eventLoop: sipLoops[$0], configuration: endpointConfiguration, logger: loopLoggers[$0])
        }
        SIPEndpoint.share(endpoints)
        self.endpoints = endpoints
        let soundsRoot = ScriptCatalog.soundsRoot(of: configuration, baseDirectory: baseDirectory)
        self.soundsRoot = soundsRoot
        let promptCatalog = PromptCatalog.scan(soundsRoot: soundsRoot)
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: baseDirectory, promptCatalog: promptCatalog)
        Self.log(warnings: catalog.warnings, logger: logger)
        let prompts = PromptLibrary(root: soundsRoot)
        let mediaEngine = MediaEngine(group: group, bindHost: configuration.media.bind,
                                      portRange: configuration.media.rtpPorts, symmetricRTP: configuration.media.symmetricRTP,
                                      logger: logger)
        self.mediaEngine = mediaEngine
        let advertised = configuration.sip.advertise
            ?? (SIPEndpoint.isWildcard(configuration.media.bind) ? Self.firstListenHost(listen) : configuration.media.bind)
        let desk = serviceDesk ?? store.map {
            StoreServiceDesk(store: $0, lockout: PINLockoutPolicy(configuration.callback.pinLockout),
                             anumberhandling: configuration.callback.anumberhandling, counters: securityCounters)
        } ?? UnavailableServiceDesk()
        // Each router's calls take their media on its own loop and the loops after it that
        // no SIP loop has (with one SIP loop: every loop, in turn).
        let servicesPerRouter = endpoints.indices.map { index in
            CallServices(logger: loopLoggers[index], mediaEngine: mediaEngine,
                         mediaLoops: Self.mediaLoops(of: index, sipLoops: sipLoops, all: loops),
                         prompts: prompts, promptCatalog: promptCatalog, mediaAddress: advertised, serviceDesk: desk,
                         billingStore: store, mediaTimeout: configuration.media.rtpTimeout.map(TimeAmount.init))
        }
        let routers = endpoints.indices.map { index in
            CallRouter(endpoint: endpoints[index], catalog: catalog, services: servicesPerRouter[index],
                       logger: loopLoggers[index])
        }
        self.routers = routers
        // REGISTER with Digest against the accounts' HA1 (realm = the SIP domain); one
        // registrar for every loop.
        let registrations = (sipCredentials ?? store.map { AccountCredentials(store: $0) }).map { credentials in
            RegistrationService(domain: configuration.sip.domain, credentials: credentials, logger: logger,
                                lockout: configuration.sip.digestLockout,
                                persistence: store.map { store in
                                    StoreLocationBindings(store: store) { problem in
                                        logger.error("registration binding skipped", metadata: ["problem": "\(problem)"])
                                    }
                                })
        }
        // Access numbers that call back (or challenge INVITEs) look callers up in the store;
        // every callback, whatever asked for it, is queued through one scheduler.
        var triggers: CallbackTriggerDesk?
        if let store {
            let scheduler = CallbackScheduler(store: store, catalog: catalog, counters: securityCounters)
            callbackScheduler = scheduler
            for services in servicesPerRouter { services.callbackScheduler = scheduler }
            var desk = CallbackTriggerDesk(
                store: store, credentials: sipCredentials ?? AccountCredentials(store: store), realm: configuration.sip.domain,
                trustedSources: TrustedSources(configuration: configuration), lockout: configuration.sip.digestLockout)
            desk.counters = securityCounters
            desk.scheduler = scheduler
            triggers = desk
        } else {
            callbackScheduler = nil
        }
        if let callbackScheduler, let smsStore = store as? any SMSCommandDesk.Backend {
            smsDesk = SMSCommandDesk(store: smsStore, scheduler: callbackScheduler,
                                     settings: SMSCommandDesk.Settings(configuration), logger: logger)
        } else {
            smsDesk = nil
        }
        // `dial` rings registered users' phones, else places B legs through the configured
        // trunks (both fixed for the process's lifetime).
        let dialPlan = DialPlan(trunks: try TrunkSelector(configuration: configuration.trunks),
                                domain: configuration.sip.domain, billing: outboundLegBilling,
                                unbilledLegs: store.map { store in
                                    UnbilledLegRecorder(store: store) { message, fields in
                                        logger.error("\(message)", metadata: fields.mapValues { .string($0) })
                                    }
                                },
                                registrations: registrations,
                                forwarding: store.map { AccountForwardSettings(store: $0) },
                                callerIDRules: Self.callerIDRules(configuration),
                                maxParticipants: configuration.callback.maxParticipants)
        let edgeProxies = EdgeProxies(configuration.sip.edgeProxies)
        let inboundTrunkDTMF = InboundTrunkDTMF(configuration: configuration)
        for (router, endpoint) in zip(routers, endpoints) {
            router.edgeProxies = edgeProxies
            router.inboundTrunkDTMF = inboundTrunkDTMF
            router.registrations = registrations
            // A copy per router; the digest gate and counters inside are shared (locked).
            router.callbackTriggers = triggers
            router.dialPlan = dialPlan
            endpoint.user = router
        }
        // The callback queue: a worker places each due request's A leg and runs its script.
        heartbeat = store.map { NodeHeartbeat(store: $0, lease: configuration.node.lease, logger: logger) }
        if let store {
            var settings = callbackQueue ?? CallbackQueueSettings(configuration: configuration.callback)
            // Claims show the worker's name: one per node, so two nodes on one host differ.
            if callbackQueue == nil { settings.workerName = "switchback@\(store.node)" }
            let dialerSettings = OutboundScriptedCall.Settings(
                callerNumber: settings.callerNumber, ringTimeout: settings.ringTimeout,
                houseAccount: configuration.callback.freeAccessUser,
                shares: .init(account: max(1, configuration.callback.limits.concurrentPerAccount),
                              house: max(1, configuration.callback.limits.concurrentUnauthenticated)))
            let dialers = routers.indices.map { index in
                OutboundScriptedCall(router: routers[index], services: servicesPerRouter[index], catalog: catalog,
                                     accounts: store, settings: dialerSettings)
            }
            callbackDialers = dialers
            let worker = CallbackWorker(store: store, dialer: SpreadCallbackDialer(dialers: dialers), retry: settings.retry,
                                        limits: settings.limits,
                                        name: settings.workerName, pollInterval: settings.pollInterval, logger: logger)
            callbackWorker = worker
            callbackScheduler?.whenQueued { worker.notify() }
        } else {
            callbackDialers = []
            callbackWorker = nil
        }
    }

    /// The loops the SIP side runs on: `requested` of the group's (at most all of them), or
    /// with `auto` (nil) one per CPU the process may run on; one loop is the group's next,
    /// as before there were several.
    private static func sipLoops(_ requested: Int?, of group: any EventLoopGroup, loops: [any EventLoop],
                                 logger: Logger) -> [any EventLoop] {
        let wanted = requested ?? min(CPUAffinity.allowedCPUs() ?? 1, loops.count)
        guard wanted > 1, loops.count > 1 else { return [group.next()] }
        if let requested, requested > loops.count {
            logger.warning("fewer event loops than sip.event-loops asks for: using all of them",
                           metadata: ["sip.event-loops": "\(requested)", "loops": "\(loops.count)"])
        }
        return Array(loops.prefix(wanted))
    }

    /// The media loops of router `index`: its own SIP loop first, then every loop that is
    /// no SIP loop and falls to it (round robin over the routers). One SIP loop: all loops.
    static func mediaLoops(of index: Int, sipLoops: [any EventLoop], all loops: [any EventLoop]) -> [any EventLoop] {
        guard sipLoops.count > 1 else { return loops }
        let others = loops.filter { loop in !sipLoops.contains { $0 === loop } }
        return [sipLoops[index]] + others.enumerated().filter { $0.offset % sipLoops.count == index }.map(\.element)
    }

    private static func firstListenHost(_ listen: [SIPListenAddress]) -> String {
        let host = listen.first?.host ?? "127.0.0.1"
        return SIPEndpoint.isWildcard(host) ? "127.0.0.1" : host
    }

    public func start() async throws {
        // Alive before recovering: with several nodes, recovery takes this node's work and
        // that of nodes whose lease ran out, and the others must not take this one for dead.
        try heartbeat?.start()
        // Before any call can open a leg: whatever is still open was left by a previous process.
        if let store { try recoverOpenLegs(store) }
        // Before REGISTERs arrive: the phones registered with the previous process.
        try router.registrations?.restoreBindings()
        try await endpoint.start().get()
        // The other SIP loops' sockets on the primary's UDP ports (resolved: port 0 was
        // an ephemeral one); they advertise the primary's addresses.
        let primary = endpoint
        let addresses = try await primary.eventLoop.submit { primary.boundAddresses }.get()
        for sibling in endpoints.dropFirst() {
            try await sibling.eventLoop.flatSubmit { sibling.start(siblingOf: addresses) }.get()
        }
        logger.info("SIP event loops", metadata: [
            "loops": "\(endpoints.count)", "sip.event-loops": "\(configuration.sip.eventLoops.map(String.init) ?? "auto")",
        ])
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
    /// `campaigns`, `access-numbers`, the callback policy (trigger rate limits included)
    /// and the trunks' and DID providers' `trusted-sources` take effect; the other sections
    /// (listen addresses, trunks' routes, media, sounds, database) are fixed for the
    /// process's lifetime.
    /// - Returns: the access numbers now served.
    @discardableResult
    public func reloadScripts(configuration: SwitchbackConfiguration) async throws -> [String] {
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: baseDirectory,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: soundsRoot))
        Self.log(warnings: catalog.warnings, logger: logger)
        let rules = Self.callerIDRules(configuration)
        let trusted = TrustedSources(configuration: configuration)
        let edgeProxies = EdgeProxies(configuration.sip.edgeProxies)
        let inboundDTMF = InboundTrunkDTMF(configuration: configuration)
        for router in routers {
            try await router.endpoint.eventLoop.submit {
                router.replaceCatalog(catalog)
                // Campaigns' caller-ID settings follow the reload, as their scripts do.
                router.dialPlan?.callerIDRules = rules
                // So do the trusted sources: whose caller ID a call from now on may carry.
                router.callbackTriggers?.trustedSources = trusted
                // And the edge proxies whose X-Switchback-Source is believed.
                router.edgeProxies = edgeProxies
                // And the trunks' `dtmf:` for calls arriving from them.
                router.inboundTrunkDTMF = inboundDTMF
            }.get()
        }
        for dialer in callbackDialers { dialer.replaceCatalog(catalog) }
        callbackScheduler?.replaceCatalog(catalog)
        smsDesk?.replaceSettings(SMSCommandDesk.Settings(configuration))
        return catalog.accessNumbers
    }

    /// Each campaign's caller-ID rule for its forwards (`caller-id`, `forward-caller-id`).
    static func callerIDRules(_ configuration: SwitchbackConfiguration) -> [String: CallerIDRule] {
        configuration.campaigns.mapValues { CallerIDRule(campaignCallerID: $0.callerID, forwardCallerID: $0.forwardCallerID) }
    }

    private static func log(warnings: [Diagnostic], logger: Logger) {
        for warning in warnings {
            logger.warning("\(warning)", metadata: ["file": "\(warning.location.file)"])
        }
    }

    public var activeCalls: Int {
        get async throws {
            var calls = 0
            for router in routers { calls += try await router.endpoint.eventLoop.submit { router.activeCalls }.get() }
            return calls
        }
    }

    /// Hangs up the live user leg of callback request `id` (and what it dialled), as
    /// `DELETE /api/v1/callbacks/{id}` asks. False: no live leg runs that request.
    public func hangUpCallback(_ id: Int64) async -> Bool {
        for router in routers {
            let hungUp = try? await router.endpoint.eventLoop.submit {
                router.legs.live.hangUp(callbackRequest: id, reason: "callback request \(id) cancelled")
            }.get()
            if hungUp == true { return true }
        }
        return false
    }

    /// How long a graceful stop waits for the legs it hung up to settle their billing.
    public static let settleTimeout: Duration = .seconds(5)

    /// A graceful stop (SIGTERM, SIGINT): hangs up every leg (BYE with a normal cause; the
    /// scripts hear a hang-up), waits — at most `settleTimeout` — until each leg's billing
    /// settled and wrote its CDR, then stops the callback worker and the endpoint. A leg
    /// still open after the wait is settled by the next start's recovery.
    public func stop() async throws {
        for router in routers {
            try await router.endpoint.eventLoop.submit { router.legs.live.hangUpAll(reason: "server stopping") }.get()
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.settleTimeout)
        var open = try await activeCalls
        while open > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            open = try await activeCalls
        }
        if open > 0 {
            logger.warning("stopping with legs not settled", metadata: ["legs": "\(open)"])
        } else {
            logger.info("every leg settled before the stop")
        }
        await callbackWorker?.stop()
        await heartbeat?.stop()
        // The BYEs went out; their 200s (or retransmissions) need no one once we stop.
        for endpoint in endpoints { try await endpoint.stop().get() }
    }
}

extension SwitchbackServer {
    /// Callback triggers refused by each kind of `callback.limits` since the start, for
    /// `switchback_trigger_limited_total{kind=…}` in /metrics.
    public var triggerLimitRefusals: [(kind: String, refusals: Int)] {
        TriggerRateLimiter.Kind.allCases.map { ($0.rawValue, securityCounters.triggersLimited($0)) }
    }

    /// (name, help, value) triples for /metrics.
    public func metricsSnapshot() async -> [(String, String, Int)] {
        typealias Counters = (lockouts: Int, failures: Int)
        let values = try? await endpoint.eventLoop.submit { () -> (Counters, Counters, Int) in
            (self.router.registrations?.digestCounters ?? (0, 0), self.router.callbackTriggers?.digestCounters ?? (0, 0),
             self.endpoint.openConnections)
        }.get()
        guard let (register, invite, connections) = values else { return [] }
        var stats = SIPEndpoint.Statistics()
        var calls = 0
        for router in routers {
            guard let (loopStats, loopCalls) = try? await router.endpoint.eventLoop.submit({
                (router.endpoint.statistics, router.activeCalls)
            }).get() else { return [] }
            stats.add(loopStats)
            calls += loopCalls
        }
        return [
            ("switchback_digest_lockouts_total", "SIP requests (REGISTER, INVITE) refused by the digest failure lockout.",
             register.lockouts + invite.lockouts),
            ("switchback_digest_failures_total", "Digest authentication failures counted (REGISTER, INVITE).",
             register.failures + invite.failures),
            ("switchback_pin_lockouts_total", "PIN or password entries refused by the lockout.", securityCounters.pinLockouts),
            ("switchback_pin_failures_total", "PIN or password entries that failed.", securityCounters.pinFailures),
            ("switchback_refused_triggers_total",
             "Calls to access numbers refused before a script or callback (dropped, digest refused, callback not queued).",
             securityCounters.refusedTriggers),
            ("switchback_active_calls", "Calls in progress.", calls),
            ("switchback_sip_messages_received_total", "SIP messages received.", stats.messagesReceived),
            ("switchback_sip_messages_sent_total", "SIP messages sent.", stats.messagesSent),
            ("switchback_sip_malformed_total", "SIP messages dropped or answered 400 as malformed.", stats.malformedMessages),
            ("switchback_sip_rejected_total", "SIP requests rejected by RFC 3261 checks.", stats.requestsRejected),
            ("switchback_sip_tcp_connections", "SIP TCP connections accepted and open now.", connections),
            ("switchback_sip_tcp_connections_refused_total",
             "SIP TCP connections accepted and closed at once: over tcp-max-connections or tcp-max-connections-per-source.",
             stats.connectionsRefused),
            ("switchback_sip_tcp_connections_idle_closed_total", "SIP TCP connections closed after tcp-idle-timeout.",
             stats.connectionsClosedIdle),
            ("switchback_sip_tcp_streams_refused_total",
             "SIP TCP streams answered 400/513 (no or bad Content-Length, too large) and closed.", stats.streamsRefused),
            ("switchback_sip_accept_failures_total", "TCP accepts that failed (out of descriptors or memory).",
             stats.acceptFailures),
            ("switchback_rtp_ports_in_use", "RTP/RTCP port pairs held by open media sessions.", mediaEngine.portsInUse),
            ("switchback_rtp_ports_capacity", "RTP port pairs the configured range holds.", mediaEngine.portCapacity),
        ]
    }
}
