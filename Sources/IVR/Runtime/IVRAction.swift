import Foundation

/// What the interpreter asks the edge to do. The edge carries actions out in order.
public enum IVRAction: Sendable, Equatable {
    /// Play the prompts one after the other, then report `.promptFinished(id)`. With
    /// `bargeIn` a digit interrupts the playback (the interpreter then sends `.stopPlayback`).
    case play(PlaybackID, [PromptRef], bargeIn: Bool)
    /// Stop the current playback at once. No `.promptFinished` is expected for it.
    case stopPlayback
    /// Schedule `.timerFired(id)` after the given time.
    case startTimer(TimerID, milliseconds: Int)
    /// Drop the timer; a firing that raced the cancel is ignored.
    case cancelTimer(TimerID)
    /// Ask a service (accounts, billing, call control) and report `.serviceResult(id, ...)`.
    case request(ServiceRequestID, ServiceRequest)
    /// End the call.
    case hangup(cause: HangupCause)
    /// A structured record of one step, for the server's log. Carries no obligation.
    case trace(IVRTrace)
}
