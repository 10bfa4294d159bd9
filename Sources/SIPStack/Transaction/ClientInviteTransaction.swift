import SIP

/// RFC 3261 §17.1.1 INVITE client transaction, with the Accepted state of RFC 6026
/// so that retransmitted 2xx responses still reach the transaction user.
///
/// Inputs are the request, responses from the wire and timer firings; outputs are
/// `TransactionAction`s. No clock, no socket.
public struct ClientInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case calling, proceeding, accepted, completed, terminated
    }

    public private(set) var state: State = .calling
    public let request: SIPRequest
    private let settings: SIPTimerSettings
    private let reliability: TransportReliability
    private var timerAInterval: Duration

    public init(request: SIPRequest, reliability: TransportReliability, settings: SIPTimerSettings = .rfc3261) {
        self.request = request
        self.reliability = reliability
        self.settings = settings
        self.timerAInterval = settings.t1
    }

    /// Sends the INVITE and arms timers A (unreliable only) and B.
    public mutating func start() -> [TransactionAction] {
        var actions: [TransactionAction] = [.sendRequest(request)]
        if reliability == .unreliable { actions.append(.startTimer(.a, timerAInterval)) }
        actions.append(.startTimer(.b, settings.transactionTimeout))
        return actions
    }

    public mutating func receive(_ response: SIPResponse) -> [TransactionAction] {
        let code = response.statusCode
        switch (state, code) {
        case (.calling, 100...199), (.proceeding, 100...199):
            state = .proceeding
            return [.cancelTimer(.a), .deliverResponse(response)]
        case (.calling, 200...299), (.proceeding, 200...299):
            state = .accepted
            return [.cancelTimer(.a), .cancelTimer(.b), .startTimer(.m, settings.transactionTimeout), .deliverResponse(response)]
        case (.accepted, 200...299):
            // RFC 6026 §8.4: retransmitted 2xx go to the TU, which re-sends its ACK.
            return [.deliverResponse(response)]
        case (.calling, 300...699), (.proceeding, 300...699):
            state = .completed
            let waitD: Duration = reliability == .unreliable ? .seconds(32) : .zero
            return [.cancelTimer(.a), .cancelTimer(.b), .sendRequest(ack(for: response)),
                    .deliverResponse(response), .startTimer(.d, waitD)]
        case (.completed, 300...699):
            // The ACK was lost: send it again, do not bother the TU (§17.1.1.2).
            return [.sendRequest(ack(for: response))]
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.calling, .a):
            timerAInterval = timerAInterval * 2
            return [.sendRequest(request), .startTimer(.a, timerAInterval)]
        case (.calling, .b):
            // §17.1.1.2: Timer B only matters in Calling. Once a provisional came, the
            // INVITE may ring for as long as the TU lets it (its ring time-out, then CANCEL).
            state = .terminated
            return [.cancelTimer(.a), .timedOut, .terminate]
        case (.completed, .d), (.accepted, .m):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    /// A transport failure ends the transaction at once (§17.1.4).
    public mutating func transportFailed() -> [TransactionAction] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.cancelTimer(.a), .cancelTimer(.b), .timedOut, .terminate]
    }

    /// §17.1.1.3: the ACK for a non-2xx final response, built by the transaction.
    public func ack(for response: SIPResponse) -> SIPRequest {
        var headers = SIPHeaders()
        if let via = request.headers["Via"] { headers.add("Via", via) }
        for route in request.headers.values("Route") { headers.add("Route", route) }
        if let from = request.headers["From"] { headers.add("From", from) }
        if let to = response.headers["To"] { headers.add("To", to) }
        if let callID = request.headers["Call-ID"] { headers.add("Call-ID", callID) }
        headers.add("CSeq", "\(request.cseq?.sequence ?? 1) ACK")
        headers.add("Max-Forwards", "70")
        return SIPRequest(method: .ack, uri: request.uri, headers: headers)
    }
}
