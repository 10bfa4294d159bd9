import SIP

/// RFC 3261 §17.2.1 INVITE server transaction with RFC 6026's Accepted state.
///
/// In Accepted the 2xx is retransmitted (T1 doubling up to T2) until the ACK for it
/// arrives — strictly a UAS-core duty (§13.3.1.4), kept here because it is the same
/// shape of timer and it dies with the same transaction.
public struct ServerInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case proceeding, accepted, completed, confirmed, terminated
    }

    public private(set) var state: State = .proceeding
    public let request: SIPRequest
    private let settings: SIPTimerSettings
    private let reliability: TransportReliability
    private var lastResponse: SIPResponse?
    private var retransmitInterval: Duration
    private var answerAcknowledged = false

    public init(request: SIPRequest, reliability: TransportReliability, settings: SIPTimerSettings = .rfc3261) {
        self.request = request
        self.reliability = reliability
        self.settings = settings
        self.retransmitInterval = settings.t1
    }

    /// The TU's response to the INVITE.
    public mutating func send(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.proceeding, 100...199):
            lastResponse = response
            return [.sendResponse(response)]
        case (.proceeding, 200...299):
            state = .accepted
            lastResponse = response
            retransmitInterval = settings.t1
            var actions: [TransactionAction] = [.sendResponse(response), .startTimer(.l, settings.transactionTimeout)]
            if reliability == .unreliable { actions.append(.startTimer(.answerRetransmit, retransmitInterval)) }
            return actions
        case (.accepted, 200...299):
            // The TU may re-send its 2xx itself (RFC 6026 §7.1).
            return [.sendResponse(response)]
        case (.proceeding, 300...699):
            state = .completed
            lastResponse = response
            retransmitInterval = settings.t1
            var actions: [TransactionAction] = [.sendResponse(response), .startTimer(.h, settings.transactionTimeout)]
            if reliability == .unreliable { actions.append(.startTimer(.g, retransmitInterval)) }
            return actions
        default:
            return []
        }
    }

    /// A retransmission of the INVITE arrived.
    public mutating func receiveRetransmission() -> [TransactionAction] {
        switch state {
        case .proceeding, .completed:
            // Re-send the most recent response (the 100 or 18x, or the final).
            return lastResponse.map { [.sendResponse($0)] } ?? []
        default:
            // Accepted absorbs retransmitted INVITEs (RFC 6026 §8.7); Confirmed too.
            return []
        }
    }

    /// An ACK matched this transaction: for a non-2xx final (same branch), or for the 2xx
    /// (a new transaction on the wire, matched by dialog and CSeq).
    public mutating func receiveACK(_ ack: SIPRequest) -> [TransactionAction] {
        switch state {
        case .completed:
            state = .confirmed
            // Confirmed absorbs what still comes; the final response is never sent again.
            lastResponse = nil
            let waitI: Duration = reliability == .unreliable ? settings.t4 : .zero
            return [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, waitI)]
        case .accepted:
            if answerAcknowledged { return [] }   // a retransmitted ACK: absorbed
            answerAcknowledged = true
            // The 2xx is not sent again: let it go now, not when Timer L ends the
            // transaction 64·T1 later (an answered call's 200 and its SDP, held 32 s).
            lastResponse = nil
            return [.cancelTimer(.answerRetransmit), .deliverACK(ack)]
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.completed, .g):
            retransmitInterval = min(retransmitInterval * 2, settings.t2)
            return (lastResponse.map { [.sendResponse($0)] } ?? []) + [.startTimer(.g, retransmitInterval)]
        case (.accepted, .answerRetransmit):
            guard !answerAcknowledged else { return [] }
            retransmitInterval = min(retransmitInterval * 2, settings.t2)
            return (lastResponse.map { [.sendResponse($0)] } ?? []) + [.startTimer(.answerRetransmit, retransmitInterval)]
        case (.completed, .h):
            state = .terminated
            return [.cancelTimer(.g), .timedOut, .terminate]
        case (.accepted, .l):
            state = .terminated
            // §13.3.1.4: no ACK for the 2xx within 64·T1 means the session is dead.
            return answerAcknowledged ? [.terminate] : [.cancelTimer(.answerRetransmit), .timedOut, .terminate]
        case (.confirmed, .i):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    public mutating func transportFailed() -> [TransactionAction] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.cancelTimer(.g), .cancelTimer(.h), .cancelTimer(.answerRetransmit), .timedOut, .terminate]
    }

    public var isAnswered: Bool { state == .accepted || state == .terminated && answerAcknowledged }

    /// Whether the transaction still holds a response to send again (tests: none after the ACK).
    var holdsResponse: Bool { lastResponse != nil }
}
