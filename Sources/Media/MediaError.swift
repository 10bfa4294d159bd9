/// Failures of the media engine's socket side.
public enum MediaError: Error, Sendable, CustomStringConvertible {
    /// No even port of the range (with its odd neighbour for RTCP) could be bound.
    case noPortAvailable(range: ClosedRange<Int>, attempts: Int, lastError: String?)
    /// The session is closed.
    case sessionClosed(localPort: Int)
    /// The session is already in a bridge or a conference (one at a time).
    case alreadyAttached(localPort: Int)
    /// A conference already has its maximum number of participants.
    case conferenceFull(maximumParticipants: Int)
    /// The conference was closed.
    case conferenceClosed

    public var description: String {
        switch self {
        case .noPortAvailable(let range, let attempts, let lastError):
            return "no RTP port pair free in \(range.lowerBound)-\(range.upperBound) after \(attempts) attempts"
                + (lastError.map { " (last error: \($0))" } ?? "")
        case .sessionClosed(let port):
            return "media session on port \(port) is closed"
        case .alreadyAttached(let port):
            return "media session on port \(port) is already in a bridge or conference"
        case .conferenceFull(let maximum):
            return "conference is full (\(maximum) participants at most)"
        case .conferenceClosed:
            return "conference is closed"
        }
    }
}
