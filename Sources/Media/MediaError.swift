/// Failures of the media engine's socket side.
public enum MediaError: Error, Sendable, CustomStringConvertible {
    /// No even port of the range (with its odd neighbour for RTCP) could be bound.
    case noPortAvailable(range: ClosedRange<Int>, attempts: Int, lastError: String?)
    /// The session is closed.
    case sessionClosed(localPort: Int)

    public var description: String {
        switch self {
        case .noPortAvailable(let range, let attempts, let lastError):
            return "no RTP port pair free in \(range.lowerBound)-\(range.upperBound) after \(attempts) attempts"
                + (lastError.map { " (last error: \($0))" } ?? "")
        case .sessionClosed(let port):
            return "media session on port \(port) is closed"
        }
    }
}
