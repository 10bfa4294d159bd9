import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOPosix
import SIPStack

/// The telephony side of `switchback serve`: one SIP endpoint on one event loop, media
/// spread over all loops, the router and its script catalog.
public final class SwitchbackServer: @unchecked Sendable {
    public let configuration: SwitchbackConfiguration
    public let group: any EventLoopGroup
    public let endpoint: SIPEndpoint
    private let router: CallRouter
    private let logger: Logger
    private let baseDirectory: URL
    /// Prompts play from here for the server's lifetime; reloads validate against it.
    private let soundsRoot: URL

    /// - Parameters:
    ///   - baseDirectory: where relative paths in the configuration (scripts, sounds) start.
    /// - Throws: `ScriptCatalogError` when a campaign script fails validation (the server
    ///   must not start on a script it would refuse to reload), or a listen address error.
    public init(configuration: SwitchbackConfiguration, baseDirectory: URL, group: any EventLoopGroup,
                serviceDesk: any ServiceDesk = UnavailableServiceDesk(), logger: Logger) throws {
        self.configuration = configuration
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
                                    promptCatalog: promptCatalog, mediaAddress: advertised, serviceDesk: serviceDesk)
        router = CallRouter(endpoint: endpoint, catalog: catalog, services: services, logger: logger)
        endpoint.user = router
    }

    private static func firstListenHost(_ listen: [SIPListenAddress]) -> String {
        let host = listen.first?.host ?? "127.0.0.1"
        return SIPEndpoint.isWildcard(host) ? "127.0.0.1" : host
    }

    public func start() async throws {
        try await endpoint.start().get()
        let numbers = try await scriptNumbers()
        logger.info("access numbers ready", metadata: ["numbers": "\(numbers)"])
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
