import SIP

public struct SIPEndpointConfiguration: Sendable {
    public var listen: [SIPListenAddress]
    /// The host put in Via, Contact and SDP when the listen host is a wildcard.
    public var advertisedHost: String?
    public var timers: SIPTimerSettings
    public var validator: SIPRequestValidator
    public var userAgent: String
    /// Caps on accepted TCP connections and their idle timeout.
    public var connections: SIPConnectionTable.Limits
    /// The largest header section and message a connection may send.
    public var streamLimits: SIPStreamFramer.Limits

    public init(listen: [SIPListenAddress], advertisedHost: String? = nil, timers: SIPTimerSettings = .rfc3261,
                validator: SIPRequestValidator = SIPRequestValidator(), userAgent: String = "Switchback",
                connections: SIPConnectionTable.Limits = .default, streamLimits: SIPStreamFramer.Limits = .default) {
        self.listen = listen
        self.advertisedHost = advertisedHost
        self.timers = timers
        self.validator = validator
        self.userAgent = userAgent
        self.connections = connections
        self.streamLimits = streamLimits
    }
}
