import Foundation

/// A variable reference such as `$caller` or `${account.balance}`: a name and a dotted
/// path below it.
public struct VariablePath: Sendable, Hashable, CustomStringConvertible {
    public var components: [String]

    public init(_ components: [String]) {
        self.components = components
    }

    /// Parses `account.balance`; nil unless every component is a valid name.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy(VariablePath.isValidComponent) else { return nil }
        self.components = parts
    }

    /// The variable itself, without the path below it (`account` for `account.balance`).
    public var root: String { components[0] }

    public var description: String { "$" + components.joined(separator: ".") }

    static func isValidComponent(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" || first.isNumber else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_")
    }
}
