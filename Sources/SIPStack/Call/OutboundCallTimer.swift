/// The timers of an outbound call. Their firing is an input to
/// `OutboundCallStateMachine`; the driver arms them on its event loop.
public enum OutboundCallTimer: String, Sendable, Hashable, CaseIterable {
    /// How long the destination may ring before we give up and CANCEL (no-answer).
    case ringTimeout = "ring-timeout"
    /// RFC 3261 §9.1: after a CANCEL, give the INVITE 64·T1 to end with a final
    /// response, then consider it cancelled anyway.
    case cancelGuard = "cancel-guard"
}
