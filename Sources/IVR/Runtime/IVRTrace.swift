import Foundation

/// One structured record per interpreter step, for the server's call log (issue 2: "one
/// structured event per call step"). `fields` gives a flat key/value form for JSON logs.
public enum IVRTrace: Sendable, Equatable, CustomStringConvertible {
    case scriptStarted(script: String, node: String)
    case nodeEntered(node: String, verb: String, location: SourceLocation)
    case promptRequested(node: String, PlaybackID, [PromptRef])
    case digitAccepted(node: String, Character)
    case digitIgnored(node: String?, Character, reason: String)
    case collected(node: String, variable: String, value: String)
    case variableSet(node: String, variable: String, value: IVRValue)
    case outcome(node: String, outcome: String, next: String?)
    case serviceRequested(node: String, ServiceRequestID, ServiceRequest)
    case serviceAnswered(node: String, ServiceRequestID, ServiceResult)
    case scriptEntered(script: String, node: String)
    case hangup(node: String?, cause: HangupCause)
    case remoteHangup(node: String?)
    case failure(node: String?, message: String)
    /// A value about to be spoken, and the prompt files that say it (`money 10 USD` →
    /// `number-10 dollars`): what a caller hears, as the transcript and the log show it.
    case valueSaid(node: String, value: String, prompts: [PromptRef])

    /// A short name of the record's kind, the `event` field of a JSON log line.
    public var kind: String {
        switch self {
        case .scriptStarted: return "script-started"
        case .nodeEntered: return "node-entered"
        case .promptRequested: return "prompt-requested"
        case .digitAccepted: return "digit-accepted"
        case .digitIgnored: return "digit-ignored"
        case .collected: return "digits-collected"
        case .variableSet: return "variable-set"
        case .outcome: return "outcome"
        case .serviceRequested: return "service-requested"
        case .serviceAnswered: return "service-answered"
        case .scriptEntered: return "script-entered"
        case .hangup: return "hangup"
        case .remoteHangup: return "remote-hangup"
        case .failure: return "failure"
        case .valueSaid: return "value-said"
        }
    }

    /// The record as flat fields (all strings), for structured logging.
    public var fields: [String: String] {
        var result: [String: String] = ["event": kind]
        switch self {
        case let .scriptStarted(script, node):
            result["script"] = script; result["node"] = node
        case let .nodeEntered(node, verb, location):
            result["node"] = node; result["verb"] = verb; result["source"] = location.description
        case let .promptRequested(node, id, prompts):
            result["node"] = node; result["playback"] = String(id.rawValue)
            result["prompts"] = prompts.map(\.description).joined(separator: " ")
        case let .digitAccepted(node, digit):
            result["node"] = node; result["digit"] = String(digit)
        case let .digitIgnored(node, digit, reason):
            result["node"] = node ?? ""; result["digit"] = String(digit); result["reason"] = reason
        case let .collected(node, variable, value):
            result["node"] = node; result["variable"] = variable; result["value"] = value
        case let .variableSet(node, variable, value):
            result["node"] = node; result["variable"] = variable; result["value"] = value.text
        case let .outcome(node, outcome, next):
            result["node"] = node; result["outcome"] = outcome; result["next"] = next ?? ""
        case let .serviceRequested(node, id, request):
            result["node"] = node; result["request"] = String(id.rawValue); result["service"] = request.description
        case let .serviceAnswered(node, id, answer):
            result["node"] = node; result["request"] = String(id.rawValue); result["result"] = answer.description
        case let .scriptEntered(script, node):
            result["script"] = script; result["node"] = node
        case let .hangup(node, cause):
            result["node"] = node ?? ""; result["cause"] = cause.rawValue
        case let .remoteHangup(node):
            result["node"] = node ?? ""
        case let .failure(node, message):
            result["node"] = node ?? ""; result["message"] = message
        case let .valueSaid(node, value, prompts):
            result["node"] = node; result["value"] = value
            result["prompts"] = prompts.map(\.description).joined(separator: " ")
        }
        return result
    }

    public var description: String {
        let fields = self.fields
        return kind + fields.keys.filter { $0 != "event" }.sorted().map { " \($0)=\(fields[$0]!)" }.joined()
    }
}
