import SIP

/// RFC 3261 §17.1.2 non-INVITE client transaction (BYE, OPTIONS, INFO, REGISTER, ...).
public struct ClientNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case trying, proceeding, completed, terminated
    }

    public private(set) var state: State = .trying
    public let request: SIPRequest
    private let settings: SIPTimerSettings
    private let reliability: TransportReliability
    private var timerEInterval: Duration

    public init(request: SIPRequest, reliability: TransportReliability, settings: SIPTimerSettings = .rfc3261) {
        self.request = request
        self.reliability = reliability
        self.settings = settings
        self.timerEInterval = settings.t1
    }

    public mutating func start() -> [TransactionAction] {
        var actions: [TransactionAction] = [.sendRequest(request)]
        if reliability == .unreliable { actions.append(.startTimer(.e, timerEInterval)) }
        actions.append(.startTimer(.f, settings.transactionTimeout))
        return actions
    }

    public mutating func receive(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.trying, 100...199), (.proceeding, 100...199):
            state = .proceeding
            return [.deliverResponse(response)]
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            let waitK: Duration = reliability == .unreliable ? settings.t4 : .zero
            return [.cancelTimer(.e), .cancelTimer(.f), .deliverResponse(response), .startTimer(.k, waitK)]
        default:
            // Completed: retransmitted finals are absorbed.
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.trying, .e):
            timerEInterval = min(timerEInterval * 2, settings.t2)
            return [.sendRequest(request), .startTimer(.e, timerEInterval)]
        case (.proceeding, .e):
            timerEInterval = settings.t2
            return [.sendRequest(request), .startTimer(.e, timerEInterval)]
        case (.trying, .f), (.proceeding, .f):
            state = .terminated
            return [.cancelTimer(.e), .timedOut, .terminate]
        case (.completed, .k):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    public mutating func transportFailed() -> [TransactionAction] {
        guard state != .terminated else { return [] }
        state = .terminated
        return [.cancelTimer(.e), .cancelTimer(.f), .timedOut, .terminate]
    }
}
