import Foundation
import Logging
import Store
import Synchronization

/// Sends the outbox: every pending reply that is due goes to its gateway; one the gateway
/// did not accept stays pending with its next attempt per `SMSReplyRetryPolicy`. The outbox
/// is in the store, so replies written before a crash or during a gateway restart are sent
/// once both are back.
public final class SMSReplyDispatcher: Sendable {
    private let store: any SMSOutboxStore
    private let client: any SMSGatewayClient
    private let retry: Mutex<SMSReplyRetryPolicy>
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// The longest wait between looks at the outbox (a reply written by another process).
    private let poll: Duration
    /// Rung by `notify`: `run` looks at the outbox at once.
    private let doorbell = Doorbell()

    public init(store: any SMSOutboxStore, client: any SMSGatewayClient, retry: SMSReplyRetryPolicy,
                poll: Duration = .seconds(5), now: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "switchback.sms.outbox")) {
        self.store = store
        self.client = client
        self.retry = Mutex(retry)
        self.poll = poll
        self.now = now
        self.logger = logger
    }

    public func replaceRetryPolicy(_ policy: SMSReplyRetryPolicy) {
        retry.withLock { $0 = policy }
    }

    /// A reply was queued: look at the outbox now.
    public func notify() {
        doorbell.ring()
    }

    /// Sends what is due now; returns how many were sent. (`run` calls it; tests call it.)
    @discardableResult
    public func sendDue(limit: Int = 50) async -> Int {
        let due: [OutboundSMS]
        do {
            due = try store.dueSMS(at: now(), limit: limit)
        } catch {
            logger.error("SMS outbox unreadable", metadata: ["error": "\(error)"])
            return 0
        }
        var sent = 0
        for sms in due {
            guard let id = sms.id else { continue }
            do {
                try await client.send(sms)
                try store.markSMSSent(id: id, at: now())
                sent += 1
            } catch {
                let policy = retry.withLock { $0 }
                let delay = policy.delay(afterFailedAttempts: sms.attempts + 1)
                let retryAt = delay.map { now().addingTimeInterval($0.timeInterval) }
                logger.warning("SMS reply not accepted", metadata: [
                    "id": "\(id)", "to": "\(sms.recipient)", "attempt": "\(sms.attempts + 1)", "error": "\(error)",
                    "retry": "\(retryAt.map { "\($0)" } ?? "given up")"])
                do {
                    try store.markSMSAttemptFailed(id: id, error: "\(error)", retryAt: retryAt, at: now())
                } catch {
                    logger.error("SMS outbox not updated", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
        }
        return sent
    }

    /// Runs until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await sendDue()
            // Sleep until the next reply is due, a new one is queued, or the poll interval.
            await doorbell.sleep(for: waitUntilNextDue())
        }
    }

    private func waitUntilNextDue() -> Duration {
        guard let next = try? store.nextSMSDue() else { return poll }
        let seconds = next.timeIntervalSince(now())
        if seconds <= 0 { return .milliseconds(10) }
        return min(poll, .milliseconds(Int64(seconds * 1000) + 1))
    }
}
