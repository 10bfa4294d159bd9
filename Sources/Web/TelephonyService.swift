import ServiceLifecycle
import Switchboard

/// Runs the SIP/RTP side inside the HTTP application's service group, so both stop
/// together on SIGTERM/SIGINT.
public struct TelephonyService: Service {
    let server: SwitchbackServer

    public init(server: SwitchbackServer) {
        self.server = server
    }

    public func run() async throws {
        try await server.start()
        try? await gracefulShutdown()
        try await server.stop()
    }
}
