import SIP

/// The outbound calls an endpoint's transaction user knows, by Call-ID, so that what
/// the endpoint hands the TU for them finds them: in-dialog requests (BYE, re-INVITE,
/// INFO), the ACK of a 2xx we gave to a re-INVITE, and stray 2xx retransmissions that
/// must be ACKed again (RFC 3261 §13.2.2.4). Confined to the endpoint's event loop.
///
/// A call files itself in `start()` and leaves 64·T1 after its end. The TU's part:
///
/// ```swift
/// func endpoint(_ e: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
///     if request.to?.tag != nil, outboundCalls.handle(request, in: transaction) { return }
///     ...   // inbound calls, then 481
/// }
/// func endpoint(_ e: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
///     if outboundCalls.handleACK(ack) { return }
///     ...
/// }
/// func endpoint(_ e: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {
///     _ = outboundCalls.handleStray(response)
/// }
/// ```
public final class OutboundCallRegistry: @unchecked Sendable {
    private var calls: [String: OutboundCall] = [:]

    public init() {}

    /// Calls filed (in progress, or ended less than 64·T1 ago).
    public var count: Int { calls.count }

    public func call(callID: String) -> OutboundCall? { calls[callID] }

    func add(_ call: OutboundCall) {
        calls[call.callID] = call
    }

    func remove(_ call: OutboundCall) {
        if calls[call.callID] === call { calls[call.callID] = nil }
    }

    /// Passes an in-dialog request to the outbound call it belongs to (our tag in To).
    /// True when it was ours (and is answered); false: the TU handles it.
    public func handle(_ request: SIPRequest, in transaction: ServerTransaction) -> Bool {
        guard let call = owner(of: request) else { return false }
        call.receive(request, in: transaction)
        return true
    }

    /// True when the ACK belongs to one of our calls (the ACK of a 2xx we sent to a
    /// re-INVITE): nothing more to do with it.
    public func handleACK(_ ack: SIPRequest) -> Bool {
        owner(of: ack) != nil
    }

    /// A response that matched no client transaction: a retransmitted 2xx to one of our
    /// INVITEs gets its ACK again. True when it was ours.
    public func handleStray(_ response: SIPResponse) -> Bool {
        guard let callID = response.callID, let call = calls[callID] else { return false }
        return call.receiveStray(response)
    }

    private func owner(of request: SIPRequest) -> OutboundCall? {
        guard let callID = request.callID, let call = calls[callID], request.to?.tag == call.localTag else { return nil }
        return call
    }
}
