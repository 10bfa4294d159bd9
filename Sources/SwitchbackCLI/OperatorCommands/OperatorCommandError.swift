import Foundation

/// A command that could not do what was asked, with the reason in words.
struct OperatorCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
