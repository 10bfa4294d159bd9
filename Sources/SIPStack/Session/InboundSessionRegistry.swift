import SIP

/// The inbound sessions an endpoint's transaction user knows, so that what the endpoint
/// hands the TU for them finds them: in-dialog requests and ACKs by dialog, CANCEL and
/// the ACK time-out by INVITE transaction. Confined to the endpoint's event loop.
///
/// A session files itself in `start()`; it leaves the INVITE index when it ends and the
/// dialog index 64·T1 later (a crossing BYE is answered 481 by the session meanwhile).
public final class InboundSessionRegistry: @unchecked Sendable {
    private var byDialog: [SIPDialog.ID: InboundSession] = [:]
    private var byInvite: [ObjectIdentifier: InboundSession] = [:]

    public init() {}

    /// Sessions whose INVITE is not over (ringing, answered or up).
    public var count: Int { byInvite.count }

    func add(_ session: InboundSession) {
        byInvite[ObjectIdentifier(session.invite)] = session
        if let id = session.dialog?.id { byDialog[id] = session }
    }

    func forgetInvite(of session: InboundSession) {
        let key = ObjectIdentifier(session.invite)
        if byInvite[key] === session { byInvite[key] = nil }
    }

    func remove(_ session: InboundSession) {
        forgetInvite(of: session)
        if let id = session.dialog?.id, byDialog[id] === session { byDialog[id] = nil }
    }

    /// Passes a request in one of our dialogs to its session. False: not ours.
    public func handle(_ request: SIPRequest, in transaction: ServerTransaction) -> Bool {
        guard let id = SIPDialog.ID(incoming: request), let session = byDialog[id] else { return false }
        session.receive(request, in: transaction)
        return true
    }

    /// The ACK of a 2xx we sent. False: not ours.
    public func handleACK(_ ack: SIPRequest) -> Bool {
        guard let id = SIPDialog.ID(incoming: ack), let session = byDialog[id] else { return false }
        session.receiveACK(ack)
        return true
    }

    /// A CANCEL matched this INVITE. False: no session holds it.
    public func handleCancel(of transaction: ServerTransaction) -> Bool {
        guard let session = byInvite[ObjectIdentifier(transaction)] else { return false }
        session.cancelled()
        return true
    }

    /// The INVITE's 2xx was never acknowledged. False: no session holds it.
    public func handleTimeout(of transaction: ServerTransaction) -> Bool {
        guard let session = byInvite[ObjectIdentifier(transaction)] else { return false }
        session.ackTimedOut()
        return true
    }
}
