import SIP

extension SIPRequest {
    /// The CANCEL for a pending INVITE, built as RFC 3261 §9.1 says: the same
    /// Request-URI, Call-ID, To, From (tags included), CSeq number and Route headers,
    /// and one Via — the INVITE's top Via, so that the CANCEL reaches the same server
    /// transaction (same branch). `invite` must be the request as sent (with its Via).
    public init(cancelling invite: SIPRequest) {
        var headers = SIPHeaders()
        if let via = invite.headers.values("Via").first { headers.add("Via", via) }
        for route in invite.headers.values("Route") { headers.add("Route", route) }
        if let from = invite.headers["From"] { headers.add("From", from) }
        if let to = invite.headers["To"] { headers.add("To", to) }
        if let callID = invite.headers["Call-ID"] { headers.add("Call-ID", callID) }
        headers.add("CSeq", "\(invite.cseq?.sequence ?? 1) CANCEL")
        headers.add("Max-Forwards", "70")
        self.init(method: .cancel, uri: invite.uri, headers: headers)
    }
}

extension SIPEndpoint {
    /// Cancels a pending INVITE we sent (RFC 3261 §9.1). The CANCEL is a client
    /// transaction of its own (method CANCEL, the INVITE's branch) sent to the same
    /// destination, on the same flow. The caller is responsible for §9.1's rule that a
    /// CANCEL goes out only after a provisional response arrived.
    @discardableResult
    public func sendCancel(for invite: ClientTransaction, handler: @escaping (ClientTransactionEvent) -> Void) -> ClientTransaction {
        eventLoop.preconditionInEventLoop()
        let cancel = SIPRequest(cancelling: invite.request)
        let key = TransactionKey.client(for: cancel)!
        let transaction = ClientTransaction(request: cancel, destination: invite.destination, key: key,
                                            settings: configuration.timers, handler: handler)
        transaction.flow = invite.flow
        clientTransactions[key] = transaction
        perform(transaction.start(), for: transaction)
        return transaction
    }
}
