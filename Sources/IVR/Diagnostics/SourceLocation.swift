import Foundation

/// Where something was written in a script: the file and the 1-based line and column
/// of the YAML node it came from. Every node and value of the syntax tree carries one, so
/// that loader, validator and interpreter traces can point at the script text.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line):\(column)" }
}
