import SIP

public struct SIPEndpointConfiguration: Sendable {
    public var listen: [SIPListenAddress]
    /// The host put in Via, Contact and SDP when the listen host is a wildcard.
    public var advertisedHost: String?
    public var timers: SIPTimerSettings
    public var validator: SIPRequestValidator
    public var userAgent: String

    public init(listen: [SIPListenAddress], advertisedHost: String? = nil, timers: SIPTimerSettings = .rfc3261,
                validator: SIPRequestValidator = SIPRequestValidator(), userAgent: String = "Switchback") {
        self.listen = listen
        self.advertisedHost = advertisedHost
        self.timers = timers
        self.validator = validator
        self.userAgent = userAgent
    }
}
