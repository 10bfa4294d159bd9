/// Where a call's RTP is sent (`media.symmetric-rtp`).
///
/// `off` sends to the address the peer's SDP gave, whatever arrives from elsewhere (what
/// most trunks and load harnesses need). `learn` follows a peer whose media comes from
/// another address (a NAT rewrote it), but only after `packets` consecutive packets from
/// that one source with consecutive sequence numbers — never on the first packet from
/// anyone, so a stray or forged datagram cannot take the call's media (Asterisk's
/// `strictrtp`). Until then packets from the unconfirmed source are dropped.
public enum SymmetricRTP: Sendable, Hashable, CustomStringConvertible {
    case off
    case learn(packets: Int)

    /// Four packets: 80 ms of a 20 ms stream.
    public static let `default` = SymmetricRTP.learn(packets: 4)

    public init?(parsing text: String) {
        switch text {
        case "off": self = .off
        case "learn": self = .default
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .off: return "off"
        case .learn: return "learn"
        }
    }
}
