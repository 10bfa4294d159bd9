import Foundation

/// `dial`: the forward. One number bridges, several (a list, or a list-valued variable such
/// as `$request.destinations`) make a conference. With `announce-max-duration` the maximum
/// duration from the last `credit-check` is said first. In-call `keys` are carried out by
/// call control. Outcomes: ended, busy, no-answer, failed, out-of-credit.
public struct DialVerb: Sendable {
    public var to: [Template]
    public var callerID: Template?
    public var ringTimeoutSeconds: Int
    public var maxDurationSeconds: Int?
    public var announceMaxDuration: Bool
    public var warningSeconds: Int?
    public var keys: [String: DialKeyAction]

    public static let outcomes = DialOutcome.allCases.map(\.rawValue)

    public init(to: [Template], callerID: Template? = nil, ringTimeoutSeconds: Int = 45, maxDurationSeconds: Int? = nil,
                announceMaxDuration: Bool = false, warningSeconds: Int? = nil, keys: [String: DialKeyAction] = [:]) {
        self.to = to
        self.callerID = callerID
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.maxDurationSeconds = maxDurationSeconds
        self.announceMaxDuration = announceMaxDuration
        self.warningSeconds = warningSeconds
        self.keys = keys
    }
}
