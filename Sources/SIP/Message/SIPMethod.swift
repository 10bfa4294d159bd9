/// A SIP request method (RFC 3261 §7.1 and extensions). Methods are case-sensitive
/// tokens: `INVITE` is `.invite`, `invite` is `.other("invite")`.
public enum SIPMethod: Hashable, Sendable, CustomStringConvertible {
    case invite, ack, bye, cancel, options, register, info, prack, update, subscribe, notify, refer, message, publish
    case other(String)

    public init(_ token: String) {
        switch token {
        case "INVITE": self = .invite
        case "ACK": self = .ack
        case "BYE": self = .bye
        case "CANCEL": self = .cancel
        case "OPTIONS": self = .options
        case "REGISTER": self = .register
        case "INFO": self = .info
        case "PRACK": self = .prack
        case "UPDATE": self = .update
        case "SUBSCRIBE": self = .subscribe
        case "NOTIFY": self = .notify
        case "REFER": self = .refer
        case "MESSAGE": self = .message
        case "PUBLISH": self = .publish
        default: self = .other(token)
        }
    }

    /// The method token as written on the wire.
    public var name: String {
        switch self {
        case .invite: "INVITE"
        case .ack: "ACK"
        case .bye: "BYE"
        case .cancel: "CANCEL"
        case .options: "OPTIONS"
        case .register: "REGISTER"
        case .info: "INFO"
        case .prack: "PRACK"
        case .update: "UPDATE"
        case .subscribe: "SUBSCRIBE"
        case .notify: "NOTIFY"
        case .refer: "REFER"
        case .message: "MESSAGE"
        case .publish: "PUBLISH"
        case .other(let token): token
        }
    }

    public var description: String { name }

    /// `.other("INVITE")` and `.invite` are the same method.
    public static func == (lhs: SIPMethod, rhs: SIPMethod) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
