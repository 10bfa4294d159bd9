import Foundation

/// One finding about a script: an error that stops it from being used, or a warning
/// about something that works but is probably not what the author wants.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public init(_ error: ScriptError) {
        self.init(.error, error.message, at: error.location)
    }

    /// `file:line:column: error: message` or `...: warning: message`.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}
