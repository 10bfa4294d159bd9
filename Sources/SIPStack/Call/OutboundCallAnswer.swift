import SIP

/// The 2xx that answered our INVITE, and the remote session description: the 2xx's
/// SDP, or the early media's when the 2xx repeats none (RFC 3264 §4 lets an answer
/// given in an unreliable 183 stand; well-behaved peers repeat it in the 2xx).
public struct OutboundCallAnswer: Sendable, Hashable {
    public var response: SIPResponse
    public var remoteSDP: SessionDescription?

    public init(response: SIPResponse, remoteSDP: SessionDescription?) {
        self.response = response
        self.remoteSDP = remoteSDP
    }

    public var status: Int { response.statusCode }
}
