import ServiceLifecycle
import Switchboard

/// Runs the spool follower in the application's service group: it stops with the server
/// (graceful shutdown cancels its polling loop).
public struct SpoolService: Service {
    let follower: SpoolFollower

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await follower.run()
        }
    }
}
