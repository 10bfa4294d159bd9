/// The checks a UAS makes on a parsed request before acting on it (RFC 3261 §8.2,
/// §16.3 for Max-Forwards), returning the rejection to send, if any.
///
/// Order follows §8.2: version, mandatory headers, header consistency, Max-Forwards,
/// Request-URI (416), Require (420), body (415), Accept (406). The parser has already
/// rejected what is syntactically broken; this is about meaning.
///
/// For ACK a rejection means "drop it": an ACK is never answered (§17.2.3).
public struct SIPRequestValidator: Sendable {
    public var supportedExtensions: Set<String>
    public var acceptedContentTypes: Set<String>
    public var supportedURISchemes: Set<String>
    /// Methods this UAS implements; others get 501 with Allow. nil: no check here.
    public var implementedMethods: [SIPMethod]?

    public init(
        supportedExtensions: Set<String> = [],
        acceptedContentTypes: Set<String> = ["application/sdp", "application/dtmf-relay", "application/dtmf"],
        supportedURISchemes: Set<String> = ["sip", "sips"],
        implementedMethods: [SIPMethod]? = nil
    ) {
        self.supportedExtensions = Set(supportedExtensions.map { $0.lowercased() })
        self.acceptedContentTypes = Set(acceptedContentTypes.map { $0.lowercased() })
        self.supportedURISchemes = Set(supportedURISchemes.map { $0.lowercased() })
        self.implementedMethods = implementedMethods
    }

    /// Headers that may appear at most once (RFC 3261 §7.3.1, §20): a request with two
    /// different Call-IDs or CSeqs cannot be matched to anything (RFC 4475 multi01).
    static let singleValueHeaders: [(name: String, key: SIPHeaderKey)] = [
        ("To", .to), ("From", .from), ("Call-ID", .callID), ("CSeq", .cseq), ("Max-Forwards", .maxForwards),
        ("Content-Length", .contentLength), ("Content-Type", .contentType), ("Expires", .expires),
    ]
    static let mandatoryHeaders: [(name: String, key: SIPHeaderKey)] = [("Via", .via), ("From", .from), ("To", .to), ("Call-ID", .callID), ("CSeq", .cseq)]

    public func check(_ request: SIPRequest) -> SIPRejection? {
        let h = request.headers
        if !request.version.utf8.elementsEqualIgnoringASCIICase("SIP/2.0".utf8) {
            return SIPRejection(statusCode: 505, reason: "SIP version \(request.version) not supported")
        }
        // §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory, but an
        // RFC 2543 peer sends no Max-Forwards (RFC 4475 inv2543), so it is not required.
        let missing = Self.mandatoryHeaders.filter { !h.contains($0.key) }.map(\.name)
        if !missing.isEmpty {
            return SIPRejection(statusCode: 400, reason: "Missing \(missing.joined(separator: ", "))")
        }
        for (name, key) in Self.singleValueHeaders where h.fieldCount(key) > 1 {
            return SIPRejection(statusCode: 400, reason: "Multiple \(name) header fields")
        }
        guard let cseq = request.cseq else { return SIPRejection(statusCode: 400, reason: "Malformed CSeq") }
        guard request.from != nil, request.to != nil else { return SIPRejection(statusCode: 400, reason: "Malformed From or To") }
        guard let topVia = request.topVia else { return SIPRejection(statusCode: 400, reason: "Malformed Via") }
        if cseq.method != request.method {
            // RFC 4475 mismatch02: an unknown method whose CSeq disagrees is better
            // answered 501 than 400.
            if case .other = request.method {
                return SIPRejection(statusCode: 501, reason: "Method \(request.method) not implemented (CSeq says \(cseq.method))")
            }
            return SIPRejection(statusCode: 400, reason: "CSeq method \(cseq.method) does not match request method \(request.method)")
        }
        if let implementedMethods, !implementedMethods.contains(request.method) {
            return SIPRejection(statusCode: 501, reason: "Method \(request.method) not implemented",
                                extraHeaders: [("Allow", implementedMethods.map(\.name).joined(separator: ", "))])
        }
        // RFC 4475 badbranch: the magic cookie with nothing after it is no transaction id.
        if topVia.branch == SIPVia.magicCookie {
            return SIPRejection(statusCode: 400, reason: "Via branch is the bare magic cookie")
        }
        // §16.3 step 3 / §20.22: Max-Forwards 0 stops a request this server would pass
        // on — a B2BUA turns an initial INVITE (or MESSAGE, REFER...) into a new
        // outgoing leg. Requests that end here are processed even at zero: OPTIONS
        // (RFC 4475 zeromf: "an endpoint should process the request"), REGISTER (we
        // are the registrar), CANCEL and ACK (transaction layer) and in-dialog requests
        // (To tag present).
        if let mf = request.maxForwards, mf == 0, request.to?.tag == nil,
           ![SIPMethod.options, .register, .cancel, .ack].contains(request.method) {
            return SIPRejection(statusCode: 483, reason: "Max-Forwards is zero")
        }
        // §8.2.2.1: Request-URI scheme.
        if !supportedURISchemes.contains(request.uri.scheme) {
            return SIPRejection(statusCode: 416, reason: "Request-URI scheme \(request.uri.scheme) not supported")
        }
        // §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 escruri).
        if !request.uri.headers.isEmpty {
            return SIPRejection(statusCode: 400, reason: "Request-URI must not contain escaped headers")
        }
        // §10.3 step 5: a registrar takes the address-of-record from To, which must be
        // a SIP or SIPS URI (RFC 4475 unksm2).
        if request.method == .register, let to = request.to, !to.uri.isSIP {
            return SIPRejection(statusCode: 400, reason: "REGISTER To must be a SIP or SIPS address-of-record, not \(to.uri.scheme):")
        }
        // §8.2.2.3: unknown option tags in Require; ignored for ACK and CANCEL.
        if request.method != .ack && request.method != .cancel {
            let unknown = request.require.filter { !supportedExtensions.contains($0.lowercased()) }
            if !unknown.isEmpty {
                return SIPRejection(statusCode: 420, reason: "Unsupported extension \(unknown.joined(separator: ", "))",
                                    extraHeaders: [("Unsupported", unknown.joined(separator: ", "))])
            }
        }
        // §8.2.3: body type and encoding.
        if !request.body.isEmpty || h.contains(.contentType) {
            let acceptHeader = acceptedContentTypes.sorted().joined(separator: ", ")
            if !request.body.isEmpty {
                guard let type = request.contentType else {
                    return SIPRejection(statusCode: 415, reason: "Body without Content-Type", extraHeaders: [("Accept", acceptHeader)])
                }
                if !acceptedContentTypes.contains(type) {
                    return SIPRejection(statusCode: 415, reason: "Content-Type \(type) not supported", extraHeaders: [("Accept", acceptHeader)])
                }
            }
            let encodings = h.values(.contentEncoding).map { $0.lowercased() }.filter { $0 != "identity" }
            if !encodings.isEmpty {
                return SIPRejection(statusCode: 415, reason: "Content-Encoding \(encodings.joined(separator: ", ")) not supported",
                                    extraHeaders: [("Accept-Encoding", "identity")])
            }
        }
        // §8.2.3 / RFC 4475 sdp01: an INVITE whose Accept rules out SDP cannot get an answer.
        if request.method == .invite, h.contains(.accept) {
            let accepted = request.accept.map { $0.split(separator: ";").first.map { $0.sipTrimmed.lowercased() } ?? "" }
            let sdpOK = accepted.contains { $0 == "application/sdp" || $0 == "application/*" || $0 == "*/*" }
            if !accepted.isEmpty && !sdpOK {
                return SIPRejection(statusCode: 406, reason: "Accept does not allow application/sdp",
                                    extraHeaders: [("Warning", "399 - \"Only application/sdp bodies can be sent\"")])
            }
        }
        return nil
    }

    /// Why a UAC must discard this response, or nil to process it: RFC 3261 §8.1.3.3
    /// (more than one Via means it was not meant for us; RFC 4475 bcast) and missing
    /// headers a response must have.
    public func discardReason(for response: SIPResponse) -> String? {
        let vias = response.headers.values("Via")
        if vias.isEmpty { return "response without Via" }
        if vias.count > 1 { return "response with \(vias.count) Via values (RFC 3261 §8.1.3.3)" }
        for name in ["From", "To", "Call-ID", "CSeq"] where !response.headers.contains(name) {
            return "response without \(name)"
        }
        if response.cseq == nil { return "response with a malformed CSeq" }
        return nil
    }
}
