import SIP

/// What a transaction state machine asks its edge to do. The state machines never
/// touch sockets or clocks; the endpoint carries these out.
public enum TransactionAction: Sendable, Equatable {
    /// Send (or re-send) this request on the transaction's transport.
    case sendRequest(SIPRequest)
    /// Send (or re-send) this response on the transaction's transport.
    case sendResponse(SIPResponse)
    /// Hand a response up to the transaction user (client transactions).
    case deliverResponse(SIPResponse)
    /// Hand an ACK for a 2xx, or for a non-2xx, up to the transaction user.
    case deliverACK(SIPRequest)
    /// Arm (or re-arm) a timer.
    case startTimer(TransactionTimer, Duration)
    /// Disarm a timer.
    case cancelTimer(TransactionTimer)
    /// The transaction gave up waiting (Timer B, F or H, or 2xx never ACKed).
    case timedOut
    /// The transaction is over; the edge forgets it.
    case terminate
}

/// Whether the transport retransmits for us (TCP) or not (UDP): it decides which
/// timers run (RFC 3261 §17.1.1.2, §17.1.2.2).
public enum TransportReliability: Sendable, Hashable {
    case reliable
    case unreliable
}
