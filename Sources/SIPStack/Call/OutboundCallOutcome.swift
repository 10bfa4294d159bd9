/// What became of an outbound call, in the terms of the IVR `dial` verb and of a
/// leg's state on the callback page (DESIGN.md): `ended`, `busy`, `no-answer`,
/// `failed`, plus `cancelled` when we gave up ourselves (the other leg hung up, a
/// fork's loser).
///
/// How final responses and other endings map (RFC 3261 §21; tested row by row in
/// `OutboundCallOutcomeTests`):
///
/// | how the INVITE ended                          | outcome      |
/// |-----------------------------------------------|--------------|
/// | 2xx, then BYE from either side                | `ended`      |
/// | 486 Busy Here, 600 Busy Everywhere            | `busy`       |
/// | 408 Request Timeout, 480 Temporarily Unavailable | `no-answer` |
/// | 487 after our ring time-out's CANCEL          | `no-answer`  |
/// | our ring time-out, then no final within 64·T1 | `no-answer`  |
/// | 487 after a CANCEL the caller asked for       | `cancelled`  |
/// | any final after a CANCEL the caller asked for | `cancelled`  |
/// | 2xx racing a CANCEL (ACKed, then BYE)         | `cancelled`, or `no-answer` after a ring time-out |
/// | 487 that we never asked for                   | `failed`     |
/// | 3xx (redirects are not followed)              | `failed`     |
/// | 401/407 without credentials, or a second challenge after ours | `failed` |
/// | 404, 484, 603, 604, 606, any other 4xx/6xx    | `failed`     |
/// | 5xx (500, 502, 503, 504...)                   | `failed`     |
/// | no response at all (Timer B) or transport error | `failed`   |
///
/// A local Timer B is `failed`, not `no-answer`: nothing answered at all, so the
/// trunk is unreachable, whereas a 408 *response* means the far side tried and nobody
/// picked up. After the ring time-out fired, the outcome is `no-answer` whatever ends
/// the INVITE but a busy or a failure status, which say more.
public enum OutboundCallOutcome: String, Sendable, Hashable, CaseIterable {
    case ended
    case busy
    case noAnswer = "no-answer"
    case failed
    case cancelled

    /// Why we cancelled the INVITE, if we did: it changes what a 487 means.
    public enum CancelCause: Sendable, Hashable {
        /// The user of the call asked (`cancel()`/`hangup()` before the answer).
        case requested
        /// Our ring time-out fired.
        case ringTimeout
    }

    /// The outcome for a final response to the INVITE (see the table above).
    public init(finalStatus status: Int, cancelledBy cause: CancelCause? = nil) {
        if cause == .requested {
            self = .cancelled
            return
        }
        switch status {
        case 200...299:
            self = cause == .ringTimeout ? .noAnswer : .ended
        case 486, 600:
            self = .busy
        case 408, 480:
            self = .noAnswer
        case 487:
            self = cause == .ringTimeout ? .noAnswer : .failed
        default:
            self = .failed
        }
    }

    /// The outcome when the INVITE ended without any final response (Timer B, a
    /// transport error, or the 64·T1 guard after our CANCEL).
    public init(noFinalResponseCancelledBy cause: CancelCause?) {
        switch cause {
        case .requested: self = .cancelled
        case .ringTimeout: self = .noAnswer
        case nil: self = .failed
        }
    }
}
