import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Switchboard

/// The HTTP edge: health, metrics and the admin API; the callback page and JSON API grow here.
public enum WebFrontend {
    public static func makeRouter(server: SwitchbackServer, reloader: ConfigurationReloader,
                                  adminToken: String?) -> Router<SwitchbackRequestContext> {
        let router = Router(context: SwitchbackRequestContext.self)
        router.get("healthz") { _, _ -> Response in
            let calls = (try? await server.activeCalls) ?? -1
            let body = #"{"status":"ok","version":"\#(SwitchbackVersion.current)","activeCalls":\#(calls)}"#
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("metrics") { _, _ -> Response in
            let snapshot = await server.metricsSnapshot()
            var text = ""
            for (name, help, value) in snapshot {
                text += "# HELP \(name) \(help)\n# TYPE \(name) \(name.hasSuffix("_total") ? "counter" : "gauge")\n\(name) \(value)\n"
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        AdminRoutes.add(to: router, reloader: reloader, adminToken: adminToken)
        SMSRoutes.add(to: router, server: server)
        return router
    }

    public static func makeApplication(server: SwitchbackServer, reloader: ConfigurationReloader, host: String, port: Int,
                                       logger: Logger) -> some ApplicationProtocol {
        Application(router: makeRouter(server: server, reloader: reloader, adminToken: server.configuration.http.adminToken),
                    configuration: .init(address: .hostname(host, port: port), serverName: "switchback"),
                    services: [TelephonyService(server: server) as any Service] + SMSReplyService.services(for: server, logger: logger),
                    onServerRunning: { channel in
                        // The bound port matters when 0 asked for any free one.
                        logger.info("HTTP listening", metadata: ["listen": "\(host):\(channel.localAddress?.port ?? port)"])
                    },
                    logger: logger)
    }
}
