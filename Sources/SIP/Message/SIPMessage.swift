/// A request or a response; its common headers read as either's (`SIPMessageHeaders`).
public enum SIPMessage: Sendable, Hashable, SIPMessageHeaders {
    case request(SIPRequest)
    case response(SIPResponse)

    public var headers: SIPHeaders {
        switch self {
        case .request(let r): r.headers
        case .response(let r): r.headers
        }
    }

    public func serialized() -> [UInt8] {
        switch self {
        case .request(let r): r.serialized()
        case .response(let r): r.serialized()
        }
    }
}
