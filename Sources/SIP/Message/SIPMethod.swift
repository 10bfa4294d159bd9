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

    /// The standard methods straight from the request line's bytes; nil for others.
    init?(utf8 b: UnsafeBufferPointer<UInt8>) {
        func its(_ token: StaticString) -> Bool {
            guard b.count == token.utf8CodeUnitCount else { return false }
            let t = token.utf8Start
            for k in 0..<b.count where b[k] != t[k] { return false }
            return true
        }
        switch b.first {
        case UInt8(ascii: "I"): if its("INVITE") { self = .invite } else if its("INFO") { self = .info } else { return nil }
        case UInt8(ascii: "A"): if its("ACK") { self = .ack } else { return nil }
        case UInt8(ascii: "B"): if its("BYE") { self = .bye } else { return nil }
        case UInt8(ascii: "C"): if its("CANCEL") { self = .cancel } else { return nil }
        case UInt8(ascii: "O"): if its("OPTIONS") { self = .options } else { return nil }
        case UInt8(ascii: "R"): if its("REGISTER") { self = .register } else if its("REFER") { self = .refer } else { return nil }
        case UInt8(ascii: "P"): if its("PRACK") { self = .prack } else if its("PUBLISH") { self = .publish } else { return nil }
        case UInt8(ascii: "U"): if its("UPDATE") { self = .update } else { return nil }
        case UInt8(ascii: "S"): if its("SUBSCRIBE") { self = .subscribe } else { return nil }
        case UInt8(ascii: "N"): if its("NOTIFY") { self = .notify } else { return nil }
        case UInt8(ascii: "M"): if its("MESSAGE") { self = .message } else { return nil }
        default: return nil
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
