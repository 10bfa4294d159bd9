import SIP
import SIPStack

/// Small builders for requests and responses used by the state-machine tests.
enum TestMessages {
    static func request(_ method: SIPMethod, branch: String = "z9hG4bKtest1", cseq: UInt32 = 1, toTag: String? = nil) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.10:5070;branch=\(branch);rport")
        headers.add("From", "<sip:alice@192.0.2.10>;tag=from1")
        headers.add("To", toTag.map { "<sip:100@192.0.2.1>;tag=\($0)" } ?? "<sip:100@192.0.2.1>")
        headers.add("Call-ID", "call-1@192.0.2.10")
        headers.add("CSeq", "\(cseq) \(method.name)")
        headers.add("Contact", "<sip:alice@192.0.2.10:5070>")
        headers.add("Max-Forwards", "70")
        return SIPRequest(method: method, uri: SIPURI(user: "100", host: "192.0.2.1"), headers: headers)
    }

    static func response(_ status: Int, to request: SIPRequest, toTag: String? = "uas1") -> SIPResponse {
        SIPResponse(replyingTo: request, statusCode: status, toTag: status == 100 ? nil : toTag)
    }
}

extension Array where Element == TransactionActionShape {
    static func of(_ actions: [TransactionAction]) -> [TransactionActionShape] { actions.map(TransactionActionShape.init) }
}

/// Actions reduced to what tests compare: kind, status or method, timer and duration.
enum TransactionActionShape: Equatable, CustomStringConvertible {
    case sendRequest(String)
    case sendResponse(Int)
    case deliverResponse(Int)
    case deliverACK
    case start(TransactionTimer, Duration)
    case cancel(TransactionTimer)
    case timedOut
    case terminate

    init(_ action: TransactionAction) {
        switch action {
        case .sendRequest(let r): self = .sendRequest(r.method.name)
        case .sendResponse(let r): self = .sendResponse(r.statusCode)
        case .deliverResponse(let r): self = .deliverResponse(r.statusCode)
        case .deliverACK: self = .deliverACK
        case .startTimer(let t, let d): self = .start(t, d)
        case .cancelTimer(let t): self = .cancel(t)
        case .timedOut: self = .timedOut
        case .terminate: self = .terminate
        }
    }

    var description: String {
        switch self {
        case .sendRequest(let m): return "send \(m)"
        case .sendResponse(let s): return "send \(s)"
        case .deliverResponse(let s): return "deliver \(s)"
        case .deliverACK: return "deliver ACK"
        case .start(let t, let d): return "start \(t.rawValue) \(d)"
        case .cancel(let t): return "cancel \(t.rawValue)"
        case .timedOut: return "timed out"
        case .terminate: return "terminate"
        }
    }
}
