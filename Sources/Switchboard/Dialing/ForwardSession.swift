/// A `dial` in progress on an answered A leg, as the A leg's call sees it: a two-party
/// forward (`DialSession`) or a conference (`ConferenceSession`). The call starts it,
/// hands it the A leg's digits meanwhile (in-call keys), and tells it when the A leg is
/// gone; the session reports its outcome once through the `finish` it was made with.
///
/// Confined to the SIP event loop.
protocol ForwardSession: AnyObject {
    func start()
    /// A digit from the A leg (RFC 4733, SIP INFO or in-band).
    func digit(_ digit: Character)
    /// The A leg is gone: end every outbound leg, report nothing.
    func aLegEnded()
    /// Called once, when the A leg first talks to somebody (bridged, or the first party
    /// joined): a callback's queue entry becomes `connected` then.
    var onConnected: (() -> Void)? { get set }
}

extension DialSession: ForwardSession {}
