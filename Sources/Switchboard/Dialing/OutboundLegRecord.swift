import Foundation
import IVR

/// What happened on one outbound leg: enough for a CDR and for rating.
public struct OutboundLegRecord: Sendable, Equatable {
    /// The outbound leg's Call-ID, and the Call-ID of the A leg that dialled it.
    public var callID: String
    public var aLegCallID: String
    /// The A leg's script variables at dial time (`account.login`, `caller`, `dnis`...).
    public var context: CallContext
    public var trunk: String
    /// The number as the script dialled it, and as sent to the trunk after rewriting.
    public var dialled: String
    public var number: String
    public var callerID: String
    public var startedAt: Date
    public var answeredAt: Date?
    public var endedAt: Date
    public var outcome: DialOutcome
    /// The INVITE's final status (the CDR's SIP cause); nil when none came.
    public var sipStatus: Int?

    public init(callID: String, aLegCallID: String, context: CallContext, trunk: String, dialled: String, number: String,
                callerID: String, startedAt: Date, answeredAt: Date?, endedAt: Date, outcome: DialOutcome, sipStatus: Int?) {
        self.callID = callID
        self.aLegCallID = aLegCallID
        self.context = context
        self.trunk = trunk
        self.dialled = dialled
        self.number = number
        self.callerID = callerID
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.sipStatus = sipStatus
    }

    /// Seconds from answer to end, rounded up (a started second is a second); 0 unanswered.
    public var connectedSeconds: Int {
        guard let answeredAt else { return 0 }
        return max(0, Int(endedAt.timeIntervalSince(answeredAt).rounded(.up)))
    }
}
