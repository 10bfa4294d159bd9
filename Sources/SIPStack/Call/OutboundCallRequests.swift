import SIP

/// The requests an outbound call sends, as pure functions of what it knows, so tests
/// can read them without a socket. Via is the endpoint's to add.
public enum OutboundCallRequests {
    /// Methods we accept inside a call we placed.
    public static let allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"

    /// The INVITE (RFC 3261 §8.1.1, §13.2.1): From with our tag, To without one, a
    /// Call-ID of our own, CSeq, Contact, Max-Forwards 70 and the SDP offer. A retry
    /// after a challenge is the same INVITE with CSeq + 1 and the credentials (§22.2).
    public static func invite(requestURI: SIPURI, from: SIPNameAddress, to: SIPNameAddress, localTag: String, callID: String,
                              sequence: UInt32, contact: SIPURI, offer: SessionDescription, userAgent: String?,
                              authorization: InviteAuthorization? = nil, extraHeaders: [SIPHeaderField] = []) -> SIPRequest {
        var from = from
        from.tag = localTag
        var to = to
        to.tag = nil
        var headers = SIPHeaders()
        headers.add("From", from.description)
        headers.add("To", to.description)
        headers.add("Call-ID", callID)
        headers.add("CSeq", "\(sequence) INVITE")
        headers.add("Contact", "<\(contact)>")
        headers.add("Max-Forwards", "70")
        headers.add("Allow", allow)
        if let userAgent { headers.add("User-Agent", userAgent) }
        if let authorization { headers.add(authorization.headerName, authorization.credentials.description) }
        for field in extraHeaders { headers.add(field.name, field.value) }
        headers.add("Content-Type", "application/sdp")
        return SIPRequest(method: .invite, uri: requestURI, headers: headers, body: Array(offer.description.utf8))
    }

    /// The ACK for a 2xx (§13.2.2.4): built like an in-dialog request, with the
    /// INVITE's CSeq number and the INVITE's credentials.
    public static func ack(in dialog: SIPDialog, inviteSequence: UInt32, authorization: InviteAuthorization?) -> SIPRequest {
        var ack = dialog.makeACK(forInviteSequence: inviteSequence)
        if let authorization { ack.headers.add(authorization.headerName, authorization.credentials.description) }
        return ack
    }

    /// Where requests inside a dialog go (§12.2.1.1, §8.1.2): the first route, or the
    /// remote target; its `transport` parameter, else the transport the call used.
    public static func destination(for dialog: SIPDialog, defaultTransport: SIPTransportKind) -> SIPDestination {
        let hop = dialog.nextHop
        let transport: SIPTransportKind
        switch hop.parameter("transport")?.value?.lowercased() {
        case "tcp": transport = .tcp
        case "udp": transport = .udp
        default: transport = defaultTransport
        }
        return SIPDestination(transport: transport, host: hop.host, port: hop.port ?? (hop.scheme == "sips" ? 5061 : 5060))
    }
}
