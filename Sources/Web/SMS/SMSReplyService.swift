import AsyncHTTPClient
import Logging
import ServiceLifecycle
import Switchboard

/// Sends the SMS outbox for as long as the application runs (with a store and a desk only).
public struct SMSReplyService: Service {
    let dispatcher: SMSReplyDispatcher
    let http: HTTPClient

    /// The service for `server`, or none when it has no SMS desk (no store).
    public static func services(for server: SwitchbackServer, logger: Logger) -> [any Service] {
        guard let desk = server.smsDesk, let outbox = server.smsOutbox else { return [] }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = KannelSendSMSClient(http: http, gateways: { desk.currentSettings.sms })
        let dispatcher = SMSReplyDispatcher(store: outbox, client: client,
                                            retry: SMSReplyRetryPolicy(desk.currentSettings.sms.replyRetry), logger: logger)
        desk.whenReplyQueued { dispatcher.notify() }
        return [SMSReplyService(dispatcher: dispatcher, http: http)]
    }

    public func run() async throws {
        let sending = Task { await dispatcher.run() }
        try? await gracefulShutdown()
        sending.cancel()
        await sending.value
        try await http.shutdown()
    }
}
