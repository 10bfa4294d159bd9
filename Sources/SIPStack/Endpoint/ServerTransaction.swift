import NIOCore
import SIP

/// A server transaction as the transaction user sees it: the request, the flow it came
/// on, and `respond`. Confined to the endpoint's event loop.
public final class ServerTransaction: @unchecked Sendable {
    enum Machine {
        case invite(ServerInviteTransaction)
        case nonInvite(ServerNonInviteTransaction)
    }

    public let request: SIPRequest
    public let flow: SIPFlow
    let key: TransactionKey
    var machine: Machine
    var timers: [TransactionTimer: Scheduled<Void>] = [:]
    unowned let endpoint: SIPEndpoint
    /// The loop the transaction lives on (its endpoint's): answer it there.
    public var eventLoop: any EventLoop { endpoint.eventLoop }
    /// Set by the endpoint when a CANCEL for this INVITE arrived.
    public internal(set) var isCancelled = false

    init(request: SIPRequest, flow: SIPFlow, key: TransactionKey, settings: SIPTimerSettings, endpoint: SIPEndpoint) {
        self.request = request
        self.flow = flow
        self.key = key
        self.endpoint = endpoint
        let reliability = flow.transport.reliability
        if request.method == .invite {
            machine = .invite(ServerInviteTransaction(request: request, reliability: reliability, settings: settings))
        } else {
            machine = .nonInvite(ServerNonInviteTransaction(request: request, reliability: reliability, settings: settings))
        }
    }

    /// Sends a response to the request through the transaction (retransmissions and
    /// timers are the transaction's business from here on).
    public func respond(_ response: SIPResponse) {
        endpoint.eventLoop.preconditionInEventLoop()
        var response = response
        // RFC 3261 §20.35: the software that answered, as the endpoint's User-Agent says it.
        if response.headers["Server"] == nil { response.headers.add("Server", endpoint.configuration.userAgent) }
        endpoint.perform(step { machine in
            switch machine {
            case .invite(var m): let a = m.send(response); return (.invite(m), a)
            case .nonInvite(var m): let a = m.send(response); return (.nonInvite(m), a)
            }
        }, for: self)
    }

    /// Convenience: answer with a status and the §8.2.6 headers. Every response but 100
    /// carries a To tag (§8.2.6.2): the caller's, or a fresh one.
    public func respond(status: Int, reason: String? = nil, toTag: String? = nil, headers extra: [(String, String)] = []) {
        let tag = toTag ?? (status == 100 ? nil : SIPEndpoint.makeTag())
        var response = SIPResponse(replyingTo: request, statusCode: status, reasonPhrase: reason, toTag: tag)
        for (name, value) in extra { response.headers.add(name, value) }
        respond(response)
    }

    /// True once a final response went out.
    public var isAnswered: Bool {
        switch machine {
        case .invite(let m): return m.state != .proceeding
        case .nonInvite(let m): return m.state == .completed || m.state == .terminated
        }
    }

    func step(_ body: (Machine) -> (Machine, [TransactionAction])) -> [TransactionAction] {
        let (next, actions) = body(machine)
        machine = next
        return actions
    }

    func receiveRetransmission() -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.receiveRetransmission(); return (.invite(m), a)
            case .nonInvite(var m): let a = m.receiveRetransmission(); return (.nonInvite(m), a)
            }
        }
    }

    func receiveACK(_ ack: SIPRequest) -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.receiveACK(ack); return (.invite(m), a)
            case .nonInvite: return (machine, [])
            }
        }
    }

    func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.timerFired(timer); return (.invite(m), a)
            case .nonInvite(var m): let a = m.timerFired(timer); return (.nonInvite(m), a)
            }
        }
    }
}
