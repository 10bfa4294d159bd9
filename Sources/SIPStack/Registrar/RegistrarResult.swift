import SIP

/// What the registrar decided about one REGISTER: the response to send, and what
/// happened, for logs and for the callers of `Registrar`.
public struct RegistrarResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// 401 with a fresh challenge (`stale`: the nonce expired, the password was right).
        case challenged(stale: Bool)
        /// A refusal: 400, 403, 404, 423, 405.
        case refused(status: Int, reason: String)
        /// 200: the bindings of the address-of-record after the request (a query
        /// changes nothing; an un-REGISTER leaves none).
        case accepted(AddressOfRecord, bindings: [LocationBinding])
    }

    public var response: SIPResponse
    public var outcome: Outcome

    public init(response: SIPResponse, outcome: Outcome) {
        self.response = response
        self.outcome = outcome
    }
}
