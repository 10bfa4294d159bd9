/// The RFC 3261 §17.1.1.1 base timer values. Every transaction timer (A–K, and
/// L/M of RFC 6026) is derived from these, so tests can shrink them.
public struct SIPTimerSettings: Sendable, Hashable {
    /// RTT estimate (default 500 ms).
    public var t1: Duration
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    public var t2: Duration
    /// Maximum time a message stays in the network (default 5 s).
    public var t4: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    public static let rfc3261 = SIPTimerSettings()

    /// 64·T1: timers B, F, H, J (unreliable), L and M.
    public var transactionTimeout: Duration { t1 * 64 }
}

/// The named transaction timers. A firing is an input event to the state machine;
/// arming one is an action the edge carries out on its clock.
public enum TransactionTimer: String, Sendable, Hashable, CaseIterable {
    /// INVITE client retransmit (unreliable transports).
    case a = "A"
    /// INVITE client transaction timeout.
    case b = "B"
    /// Wait time for response retransmissions (INVITE client, completed).
    case d = "D"
    /// Non-INVITE client retransmit.
    case e = "E"
    /// Non-INVITE client transaction timeout.
    case f = "F"
    /// INVITE server final-response retransmit.
    case g = "G"
    /// Wait time for ACK receipt.
    case h = "H"
    /// Wait time for ACK retransmissions.
    case i = "I"
    /// Wait time for non-INVITE request retransmissions.
    case j = "J"
    /// Wait time for non-INVITE response retransmissions.
    case k = "K"
    /// RFC 6026: INVITE server waits in Accepted for retransmitted INVITEs.
    case l = "L"
    /// RFC 6026: INVITE client waits in Accepted for retransmitted 2xx.
    case m = "M"
    /// RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx until the ACK arrives.
    case answerRetransmit = "2xx"
}
