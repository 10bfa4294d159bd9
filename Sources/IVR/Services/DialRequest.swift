import Foundation

/// A forward: call `to` (one number: a bridge; several: a conference) for the account.
public struct DialRequest: Sendable, Equatable, CustomStringConvertible {
    public var to: [String]
    /// Caller ID to present to the callee (caller-ID forwarding); nil: the trunk's default.
    public var callerID: String?
    public var ringTimeoutSeconds: Int
    /// A hard cap set by the script; the services also cap by credit.
    public var maxDurationSeconds: Int?
    /// Say the maximum duration to the caller before placing the call.
    public var announceMaxDuration: Bool
    /// Play a warning tone this many seconds before credit runs out.
    public var warningSeconds: Int?
    /// In-call key sequences of the A leg and what they do (`#11` end-leg, `111` say-balance).
    public var keys: [String: DialKeyAction]

    public init(to: [String], callerID: String? = nil, ringTimeoutSeconds: Int = 45, maxDurationSeconds: Int? = nil,
                announceMaxDuration: Bool = false, warningSeconds: Int? = nil, keys: [String: DialKeyAction] = [:]) {
        self.to = to
        self.callerID = callerID
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.maxDurationSeconds = maxDurationSeconds
        self.announceMaxDuration = announceMaxDuration
        self.warningSeconds = warningSeconds
        self.keys = keys
    }

    public var description: String {
        var text = to.joined(separator: ",")
        if let callerID { text += " caller-id=\(callerID)" }
        text += " ring-timeout=\(ringTimeoutSeconds)s"
        if let maxDurationSeconds { text += " max-duration=\(maxDurationSeconds)s" }
        if announceMaxDuration { text += " announce-max-duration" }
        if !keys.isEmpty { text += " keys=" + keys.keys.sorted().map { "\($0):\(keys[$0]!.rawValue)" }.joined(separator: ",") }
        return text
    }
}

/// What an in-call key sequence does while the forward is up.
public enum DialKeyAction: String, Sendable, Hashable, CaseIterable {
    /// End the B leg and continue the script with outcome `ended` (the A leg stays).
    case endLeg = "end-leg"
    /// Say the balance to the A leg without interrupting the call.
    case sayBalance = "say-balance"
}
