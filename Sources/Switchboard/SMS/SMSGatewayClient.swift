import Store

/// Sends one reply through its gateway (Kannel's sendsms). Throws when the gateway did not
/// accept it (down, restarting, refused): the outbox keeps it and tries again.
public protocol SMSGatewayClient: Sendable {
    func send(_ sms: OutboundSMS) async throws
}
