import SIP

/// RFC 3261 §12 dialog state, as a value: identifiers, sequence numbers, the remote
/// target and the route set; it builds in-dialog requests. No I/O.
public struct SIPDialog: Sendable, Hashable {
    public struct ID: Sendable, Hashable, CustomStringConvertible {
        public var callID: String
        public var localTag: String
        public var remoteTag: String

        public init(callID: String, localTag: String, remoteTag: String) {
            self.callID = callID
            self.localTag = localTag
            self.remoteTag = remoteTag
        }

        /// The dialog an incoming in-dialog request belongs to (our tag is in To).
        public init?(incoming request: SIPRequest) {
            guard let callID = request.callID, let local = request.to?.tag, let remote = request.from?.tag else { return nil }
            self.init(callID: callID, localTag: local, remoteTag: remote)
        }

        public var description: String { "\(callID);local=\(localTag);remote=\(remoteTag)" }
    }

    public var id: ID
    public var localURI: SIPNameAddress
    public var remoteURI: SIPNameAddress
    public var remoteTarget: SIPURI
    public var routeSet: [SIPNameAddress]
    public var localSequence: UInt32
    public var remoteSequence: UInt32?

    /// §12.1.1: the UAS side of a dialog, created by the 2xx we send to an INVITE.
    public init?(uasFor invite: SIPRequest, localTag: String) {
        guard let callID = invite.callID, let from = invite.from, let remoteTag = from.tag, var to = invite.to,
              let contact = invite.contacts.first else { return nil }
        to.tag = localTag
        id = ID(callID: callID, localTag: localTag, remoteTag: remoteTag)
        localURI = to
        remoteURI = from
        remoteTarget = contact.uri
        routeSet = invite.recordRoutes
        localSequence = UInt32.random(in: 1...0x7FFF_FFFF)
        remoteSequence = invite.cseq?.sequence
    }

    /// §12.1.2: the UAC side, created by a 2xx to an INVITE we sent.
    public init?(uacFor invite: SIPRequest, response: SIPResponse) {
        guard let callID = invite.callID, let from = invite.from, let localTag = from.tag,
              let to = response.to, let remoteTag = to.tag else { return nil }
        id = ID(callID: callID, localTag: localTag, remoteTag: remoteTag)
        localURI = from
        remoteURI = to
        remoteTarget = response.contacts.first?.uri ?? invite.uri
        routeSet = response.recordRoutes.reversed()
        localSequence = invite.cseq?.sequence ?? 1
        remoteSequence = nil
    }

    /// §12.2.1.1: a request within the dialog (BYE, INFO, re-INVITE). Loose routing only:
    /// with a route set, the Request-URI is the remote target and the routes are Route headers.
    public mutating func makeRequest(_ method: SIPMethod, contact: SIPURI? = nil) -> SIPRequest {
        if method != .ack && method != .cancel { localSequence &+= 1 }
        var headers = SIPHeaders()
        for route in routeSet { headers.add("Route", route.description) }
        headers.add("From", localURI.description)
        headers.add("To", remoteURI.description)
        headers.add("Call-ID", id.callID)
        headers.add("CSeq", "\(localSequence) \(method.name)")
        headers.add("Max-Forwards", "70")
        if let contact { headers.add("Contact", "<\(contact)>") }
        return SIPRequest(method: method, uri: remoteTarget, headers: headers)
    }

    /// The ACK for a 2xx to our INVITE (§13.2.2.4): same CSeq number as the INVITE.
    public func makeACK(forInviteSequence sequence: UInt32) -> SIPRequest {
        var copy = self
        copy.localSequence = sequence
        var ack = copy.makeRequest(.ack)
        ack.headers.set("CSeq", "\(sequence) ACK")
        return ack
    }

    /// §12.2.2: an in-dialog request from the peer; false if its CSeq went backwards.
    public mutating func acceptRemoteSequence(of request: SIPRequest) -> Bool {
        guard let sequence = request.cseq?.sequence else { return false }
        if request.method == .ack || request.method == .cancel { return true }
        if let current = remoteSequence, sequence <= current { return false }
        remoteSequence = sequence
        return true
    }

    /// Where in-dialog requests go: the first route if any, else the remote target.
    public var nextHop: SIPURI {
        routeSet.first?.uri ?? remoteTarget
    }
}
