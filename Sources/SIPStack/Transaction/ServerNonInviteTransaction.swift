import SIP

/// RFC 3261 §17.2.2 non-INVITE server transaction.
public struct ServerNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case trying, proceeding, completed, terminated
    }

    public private(set) var state: State = .trying
    public let request: SIPRequest
    private let settings: SIPTimerSettings
    private let reliability: TransportReliability
    private var lastResponse: SIPResponse?

    public init(request: SIPRequest, reliability: TransportReliability, settings: SIPTimerSettings = .rfc3261) {
        self.request = request
        self.reliability = reliability
        self.settings = settings
    }

    public mutating func send(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.trying, 100...199), (.proceeding, 100...199):
            state = .proceeding
            lastResponse = response
            return [.sendResponse(response)]
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            lastResponse = response
            let waitJ: Duration = reliability == .unreliable ? settings.transactionTimeout : .zero
            return [.sendResponse(response), .startTimer(.j, waitJ)]
        default:
            return []
        }
    }

    public mutating func receiveRetransmission() -> [TransactionAction] {
        switch state {
        case .proceeding, .completed:
            return lastResponse.map { [.sendResponse($0)] } ?? []
        default:
            return []   // Trying: the TU has not answered yet; absorb.
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        guard state == .completed, timer == .j else { return [] }
        state = .terminated
        return [.terminate]
    }

    public mutating func transportFailed() -> [TransactionAction] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.timedOut, .terminate]
    }
}
