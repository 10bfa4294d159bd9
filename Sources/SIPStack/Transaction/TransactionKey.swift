import SIP

/// How messages find their transaction (RFC 3261 §17.1.3 and §17.2.3).
///
/// With an RFC 3261 branch (magic cookie `z9hG4bK`) the key is the branch, the
/// top Via's sent-by and the method, ACK counting as INVITE. For RFC 2543 peers
/// without the cookie we fall back to Call-ID, From tag, CSeq number and sent-by.
public struct TransactionKey: Hashable, Sendable, CustomStringConvertible {
    public let branch: String
    public let sentBy: String
    public let method: SIPMethod

    public init(branch: String, sentBy: String, method: SIPMethod) {
        self.branch = branch
        self.sentBy = sentBy
        self.method = method
    }

    public static let magicCookie = "z9hG4bK"

    /// The server transaction a request belongs to. ACK maps to the INVITE it
    /// acknowledges; CANCEL has a transaction of its own.
    public static func server(for request: SIPRequest) -> TransactionKey? {
        guard let via = request.topVia else { return nil }
        let method: SIPMethod = request.method == .ack ? .invite : request.method
        let sentBy = "\(via.host.lowercased()):\(via.port ?? 5060)"
        if let branch = via.branch, branch.hasPrefix(magicCookie) {
            return TransactionKey(branch: branch, sentBy: sentBy, method: method)
        }
        guard let callID = request.callID, let cseq = request.cseq else { return nil }
        let legacy = "2543:\(callID):\(request.from?.tag ?? ""):\(cseq.sequence)"
        return TransactionKey(branch: legacy, sentBy: sentBy, method: method)
    }

    /// The INVITE server transaction that a CANCEL targets (§9.2): same key, method INVITE.
    public static func cancelledInvite(by cancel: SIPRequest) -> TransactionKey? {
        guard let key = server(for: cancel) else { return nil }
        return TransactionKey(branch: key.branch, sentBy: key.sentBy, method: .invite)
    }

    /// The client transaction a response belongs to: our branch and the CSeq method.
    public static func client(for response: SIPResponse) -> TransactionKey? {
        guard let branch = response.topVia?.branch, let cseq = response.cseq else { return nil }
        let method: SIPMethod = cseq.method == .ack ? .invite : cseq.method
        return TransactionKey(branch: branch, sentBy: "", method: method)
    }

    /// The key under which we file a client transaction we start.
    public static func client(for request: SIPRequest) -> TransactionKey? {
        guard let branch = request.topVia?.branch else { return nil }
        return TransactionKey(branch: branch, sentBy: "", method: request.method)
    }

    public var description: String { "\(method) \(branch)@\(sentBy)" }
}
