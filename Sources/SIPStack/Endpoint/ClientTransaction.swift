import NIOCore
import SIP

/// What a client transaction reports to its user.
public enum ClientTransactionEvent: Sendable {
    case response(SIPResponse)
    /// Timer B or F fired, or the transport failed: treat as 408 (§8.1.3.1).
    case timeout
}

/// A client transaction we started. Confined to the endpoint's event loop.
public final class ClientTransaction: @unchecked Sendable {
    enum Machine {
        case invite(ClientInviteTransaction)
        case nonInvite(ClientNonInviteTransaction)
    }

    public let request: SIPRequest
    public let destination: SIPDestination
    let key: TransactionKey
    var machine: Machine
    var flow: SIPFlow?
    var timers: [TransactionTimer: Scheduled<Void>] = [:]
    let handler: (ClientTransactionEvent) -> Void

    init(request: SIPRequest, destination: SIPDestination, key: TransactionKey, settings: SIPTimerSettings,
         handler: @escaping (ClientTransactionEvent) -> Void) {
        self.request = request
        self.destination = destination
        self.key = key
        self.handler = handler
        let reliability = destination.transport.reliability
        if request.method == .invite {
            machine = .invite(ClientInviteTransaction(request: request, reliability: reliability, settings: settings))
        } else {
            machine = .nonInvite(ClientNonInviteTransaction(request: request, reliability: reliability, settings: settings))
        }
    }

    func step(_ body: (Machine) -> (Machine, [TransactionAction])) -> [TransactionAction] {
        let (next, actions) = body(machine)
        machine = next
        return actions
    }

    func start() -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.start(); return (.invite(m), a)
            case .nonInvite(var m): let a = m.start(); return (.nonInvite(m), a)
            }
        }
    }

    func receive(_ response: SIPResponse) -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.receive(response); return (.invite(m), a)
            case .nonInvite(var m): let a = m.receive(response); return (.nonInvite(m), a)
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

    func transportFailed() -> [TransactionAction] {
        step { machine in
            switch machine {
            case .invite(var m): let a = m.transportFailed(); return (.invite(m), a)
            case .nonInvite(var m): let a = m.transportFailed(); return (.nonInvite(m), a)
            }
        }
    }
}
