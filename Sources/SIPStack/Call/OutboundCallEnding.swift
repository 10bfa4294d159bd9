/// How an outbound call ended: the outcome the call flow acts on, the final status of
/// the INVITE (the "SIP cause" of the CDR), and a sentence for logs.
public struct OutboundCallEnding: Sendable, Hashable, CustomStringConvertible {
    public enum Side: String, Sendable, Hashable {
        case local, remote
    }

    public var outcome: OutboundCallOutcome
    /// The INVITE's final status (200 for an answered call); nil when none came
    /// (time-out, transport failure, cancelled before any final).
    public var status: Int?
    /// Who sent the BYE, for answered calls (`.ended`, and `.cancelled` after a 2xx).
    public var hungUpBy: Side?
    public var reason: String

    public init(outcome: OutboundCallOutcome, status: Int?, hungUpBy: Side? = nil, reason: String) {
        self.outcome = outcome
        self.status = status
        self.hungUpBy = hungUpBy
        self.reason = reason
    }

    public var description: String {
        var s = outcome.rawValue
        if let status { s += " (\(status))" }
        if let hungUpBy { s += ", hung up by \(hungUpBy.rawValue)" }
        return s + ": " + reason
    }
}
