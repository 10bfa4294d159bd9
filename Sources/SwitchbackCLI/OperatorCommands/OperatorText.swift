import Billing
import Foundation

/// Turning command-line text into values and values into terminal text.
enum OperatorText {
    /// Parses an amount given on the command line, naming the option in the error.
    static func amount(_ text: String, currency: String, option: String) throws -> Money {
        do {
            return try Money.parse(text, currency: currency)
        } catch {
            throw OperatorCommandError("\(option): \(error)")
        }
    }

    /// A table printed with aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([render(header)] + rows.map(render)).joined(separator: "\n")
    }

    /// "2026-01-01T12:00:00Z" (UTC, ISO 8601) for CDRs and listings.
    static func timestamp(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
