import Foundation

/// A script that cannot be loaded, with the place that is wrong.
///
/// Prints as `file:line:column: error: message`, the form editors and CI parse.
public struct ScriptError: Error, CustomStringConvertible, Sendable, Equatable {
    public var location: SourceLocation
    public var message: String

    public init(_ message: String, at location: SourceLocation) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): error: \(message)" }
}
