import Foundation
import NIOConcurrencyHelpers
import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// Blocks the calling thread until the future completes, from any thread, the server's
    /// event loops included. NIO's `wait()` refuses every event-loop thread (a precondition,
    /// in release builds too), but the Store protocols are synchronous and the SIP side calls
    /// them on its loops; the pool's connections run on a group of their own
    /// (`PostgresConnectionPool`), so waiting for them never blocks the loop that completes
    /// the future — only waiting on that very loop could deadlock, and that is refused.
    func blockingResult() throws -> Value {
        precondition(!eventLoop.inEventLoop, "a PostgreSQL future waited for on its own event loop")
        let done = DispatchSemaphore(value: 0)
        let result = NIOLockedValueBox<Result<Value, any Error>?>(nil)
        whenComplete { completed in
            result.withLockedValue { $0 = completed }
            done.signal()
        }
        done.wait()
        return try result.withLockedValue { $0 }!.get()
    }
}
