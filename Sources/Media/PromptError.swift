/// A prompt could not be loaded. Names the file (or the paths tried) and why.
public struct PromptError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// No file with any known extension exists; the paths that were tried.
        case missing(tried: [String])
        /// The name would leave the language directory (`/`, `..`) or is empty.
        case invalidName
        /// libsndfile could not open or decode it; its `sf_strerror` text.
        case unreadable(String)
        /// The file holds no audio frames.
        case empty
        /// Longer than the library accepts (seconds).
        case tooLong(seconds: Int, limit: Int)
        /// A sample rate the converter refuses (too low to carry speech).
        case unsupportedSampleRate(Int)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing(let tried):
            return "prompt \(path) not found (tried \(tried.joined(separator: ", ")))"
        case .invalidName:
            return "prompt name \(path) is not a plain file name"
        case .unreadable(let message):
            return "prompt \(path) is unreadable: \(message)"
        case .empty:
            return "prompt \(path) contains no audio"
        case .tooLong(let seconds, let limit):
            return "prompt \(path) lasts \(seconds) s, more than the \(limit) s limit"
        case .unsupportedSampleRate(let rate):
            return "prompt \(path) has sample rate \(rate) Hz; at least 4000 Hz is needed"
        }
    }
}
