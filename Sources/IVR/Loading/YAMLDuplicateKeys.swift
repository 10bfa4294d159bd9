import Yams

/// Yams' duplicated-key error, told the same way every time the same text is read.
///
/// Yams names the place of the first duplicate in its own sort order of the key nodes. A key
/// that is a mapping or a list sorts alike with every key of another kind, and two keys of
/// one name but different tags (`1` and `"1"`) sort alike too; for those the order comes from
/// a dictionary seeded per instance, so the place and the order of the names changed from one
/// read of the same text to the next (found by ConfigLoaderFuzz). Here the names are sorted,
/// and an ambiguous place is replaced by the first explicit (`?`) key in the text, which is
/// what such a text has wrong: keys in our files are plain names.
public struct YAMLDuplicateKeys: Equatable, Sendable {
    /// The duplicated keys as text, sorted; a key that is a mapping or a list is not among them.
    public let names: [String]
    /// Whether some duplicated key is a mapping or a list.
    public let hasCollectionKey: Bool
    /// 1-based, or nil when the text shows no place that is certain.
    public let line: Int?
    public let column: Int?

    /// Yams spells a key it cannot show as text this way.
    private static let unshownKey = "<uncovertable>"

    public init?(_ error: YamlError) {
        guard case let .duplicatedKeysInMapping(duplicates, context) = error else { return nil }
        let shown = duplicates.filter { $0 != Self.unshownKey }
        names = shown.sorted()
        hasCollectionKey = shown.count < duplicates.count
        if !hasCollectionKey && Set(shown).count == shown.count {
            line = context.mark.line
            column = context.mark.column
        } else if let place = Self.firstExplicitKey(in: context.text) {
            line = place.line
            column = place.column
        } else {
            line = nil
            column = nil
        }
    }

    public var message: String {
        var parts: [String] = []
        if hasCollectionKey { parts.append("a mapping or a list is used as a key (keys are plain names)") }
        if !names.isEmpty { parts.append("duplicate key \(names.map { "'\($0)'" }.joined(separator: ", ")) in a mapping") }
        return parts.joined(separator: "; ")
    }

    /// The line and column of the first `?` that starts an explicit key: the first
    /// non-blank character of a line, followed by a blank or the line's end. Lines break
    /// where YAML breaks them (LF, CR, CRLF, and NEL, LS, PS as libyaml counts them).
    static func firstExplicitKey(in text: String) -> (line: Int, column: Int)? {
        let scalars = Array(text.unicodeScalars)
        func isBreak(_ scalar: Unicode.Scalar) -> Bool { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) }
        var line = 1
        var index = 0
        while index < scalars.count {
            var column = 1
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" {
                index += 1
                column += 1
            }
            if index < scalars.count, scalars[index] == "?" {
                let next = index + 1
                if next == scalars.count || scalars[next] == " " || scalars[next] == "\t" || isBreak(scalars[next]) {
                    return (line, column)
                }
            }
            while index < scalars.count, !isBreak(scalars[index]) { index += 1 }
            guard index < scalars.count else { break }
            if scalars[index] == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
            index += 1
            line += 1
        }
        return nil
    }
}
