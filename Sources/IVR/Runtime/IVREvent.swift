import Foundation

/// What happens to a call, fed to `Interpreter.handle(_:)` by the edge.
public enum IVREvent: Sendable, Equatable {
    /// The playback started by `.play(id, ...)` ended (played out or stopped).
    case promptFinished(PlaybackID)
    /// The caller pressed a DTMF key: 0-9, *, #, A-D (RFC 4733 §3.2 events 0-15).
    case digit(Character)
    /// A timer started by `.startTimer(id, ...)` expired.
    case timerFired(TimerID)
    /// The remote party hung up; nothing more can be played.
    case hangup
    /// The answer to the `.request` with the same id.
    case serviceResult(ServiceRequestID, ServiceResult)
}
