import Foundation

/// One text as a gateway delivered it (Kannel's `%p`, `%P`, `%a`, `%t`).
public struct InboundSMS: Sendable, Equatable {
    /// The gateway (`sms.gateways[].name`) that delivered it and proved itself.
    public var gateway: String
    /// The phone that sent it.
    public var sender: String
    /// The service number it was sent to: picks the campaign.
    public var receiver: String
    public var text: String
    /// When the network says it was sent, if the gateway told.
    public var sentAt: Date?

    public init(gateway: String, sender: String, receiver: String, text: String, sentAt: Date? = nil) {
        self.gateway = gateway
        self.sender = sender
        self.receiver = receiver
        self.text = text
        self.sentAt = sentAt
    }
}
