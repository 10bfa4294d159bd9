import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body (WHATWG URL §5.1): `+` is a space, then
/// percent-decoding; a repeated name keeps its first value.
struct PageForm: Sendable {
    var values: [String: String]

    init(_ text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[name] == nil { values[name] = value }
        }
        self.values = values
    }

    static func read(_ request: Request) async throws -> PageForm {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        return PageForm(String(buffer: buffer))
    }

    subscript(_ name: String) -> String {
        values[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
