/// Where a DTMF digit came from. The media session reports `rfc4733` and `inband`;
/// the SIP side reports `sipInfo` (INFO bodies, see `SIP.DTMFRelayBody`).
public enum DTMFSource: String, Sendable, Hashable {
    case rfc4733
    case sipInfo
    case inband
}
