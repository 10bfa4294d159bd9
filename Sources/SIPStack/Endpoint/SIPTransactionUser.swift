import SIP

/// The layer above transactions (RFC 3261 §8, the UA core): what the endpoint tells it.
/// All calls arrive on the endpoint's event loop.
public protocol SIPTransactionUser: AnyObject, Sendable {
    /// A new request in its own server transaction (never ACK or CANCEL: those are below).
    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction)
    /// The ACK for a 2xx we sent (it forms no transaction of its own, §17.1.1.3).
    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow)
    /// A CANCEL matched this INVITE; the CANCEL itself has been answered 200 (§9.2).
    /// The user should answer the INVITE with 487 unless it already answered.
    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction)
    /// The INVITE we answered was never acknowledged (Timer H, or no ACK for our 2xx).
    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction)
    /// A response that matches no client transaction: typically a retransmitted 2xx to
    /// an INVITE whose ACK got lost, which the UAC core must ACK again (§13.2.2.4).
    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow)
}
