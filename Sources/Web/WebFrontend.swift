import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Store
import Switchboard

/// The HTTP edge: health, metrics, the admin API, the HTTP API v1 (`/api/v1`) and the
/// pages at `/` (sign-in, call me back, my account, operator).
public enum WebFrontend {
    /// Every route of the edge, set up in one place: a new route family (e.g. SMS) adds
    /// its `add(to:)` call here.
    public static func makeRouter(server: SwitchbackServer, reloader: ConfigurationReloader, adminToken: String?,
                                  metrics: SwitchbackMetrics = SwitchbackMetrics()) -> Router<SwitchbackRequestContext> {
        let router = Router(context: SwitchbackRequestContext.self)
        router.get("healthz") { _, _ -> Response in
            let calls = (try? await server.activeCalls) ?? -1
            let body = #"{"status":"ok","version":"\#(SwitchbackVersion.current)","activeCalls":\#(calls)}"#
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("metrics") { _, _ -> Response in
            metrics.record(serverSnapshot: await server.metricsSnapshot())
            metrics.record(triggerLimitRefusals: server.triggerLimitRefusals)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        AdminRoutes.add(to: router, reloader: reloader, adminToken: adminToken)
        SMSRoutes.add(to: router, server: server)
        if let dependencies = apiDependencies(server: server, adminToken: adminToken, metrics: metrics) {
            APIv1.add(to: router, dependencies)
            // The pages at `/` work through the same services as the API.
            WebPages.add(to: router, dependencies, secureCookies: server.configuration.http.secureCookies)
        }
        return router
    }

    /// The API needs the store and the scheduler: a server without a store serves no API.
    static func apiDependencies(server: SwitchbackServer, adminToken: String?,
                                metrics: SwitchbackMetrics) -> APIDependencies? {
        guard let store = server.store, let scheduler = server.callbackScheduler else { return nil }
        let configuration = server.configuration
        return APIDependencies(store: store, scheduler: scheduler, webCampaign: configuration.callback.webCampaign,
                               lockout: PINLockoutPolicy(configuration.callback.pinLockout), adminToken: adminToken,
                               sipRealm: configuration.sip.domain,
                               activeCalls: { try? await server.activeCalls },
                               hangUpCallback: { await server.hangUpCallback($0) }, metrics: metrics)
    }

    /// The spool follower, when `spool:` is configured and the server has a store.
    static func spoolService(server: SwitchbackServer, metrics: SwitchbackMetrics, logger: Logger) -> SpoolService? {
        guard let spool = server.configuration.spool, let store = server.store,
              let scheduler = server.callbackScheduler else { return nil }
        let base = URL(fileURLWithPath: server.baseDirectory.path, isDirectory: true)
        let file = URL(fileURLWithPath: spool.file, relativeTo: base).standardizedFileURL
        let rejects = spool.rejects.map { URL(fileURLWithPath: $0, relativeTo: base).standardizedFileURL }
            ?? URL(fileURLWithPath: file.path + ".rejects")
        let campaign = server.configuration.callback.webCampaign
        let follower = SpoolFollower(file: file, rejects: rejects, pollInterval: spool.pollInterval, store: store,
                                     scheduler: scheduler, campaign: { campaign },
                                     outcome: { metrics.callbackRequest(trigger: "spool", outcome: $0) }, logger: logger)
        return SpoolService(follower: follower)
    }

    public static func makeApplication(server: SwitchbackServer, reloader: ConfigurationReloader, host: String, port: Int,
                                       logger: Logger) -> some ApplicationProtocol {
        let metrics = SwitchbackMetrics()
        var services: [any Service] = [TelephonyService(server: server) as any Service]
            + SMSReplyService.services(for: server, logger: logger)
        if let spool = spoolService(server: server, metrics: metrics, logger: logger) { services.append(spool) }
        return Application(router: makeRouter(server: server, reloader: reloader, adminToken: server.configuration.http.adminToken,
                                              metrics: metrics),
                           configuration: .init(address: .hostname(host, port: port), serverName: "switchback"),
                           services: services,
                           onServerRunning: { channel in
                               // The bound port matters when 0 asked for any free one.
                               logger.info("HTTP listening", metadata: ["listen": "\(host):\(channel.localAddress?.port ?? port)"])
                           },
                           logger: logger)
    }
}
