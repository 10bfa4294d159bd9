import Foundation

/// Writes CSV rows (RFC 4180): fields with a comma, quote or line break are quoted, and
/// quotes inside are doubled; lines end with CRLF as §2 asks.
struct OperatorCSVWriter {
    private(set) var text = ""

    mutating func row(_ fields: [String]) {
        text += fields.map(Self.escape).joined(separator: ",") + "\r\n"
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
