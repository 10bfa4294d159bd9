import Foundation

/// Reads a rate deck in CSV: one rate per line with the columns
/// `prefix,description,rate per minute,connection fee,first increment,increment`.
///
/// An optional header line (first cell "prefix") and blank lines are skipped. Fields may
/// be double-quoted (RFC 4180 §2, a quote inside doubled) but may not span lines. The first
/// bad row stops the parse with its line number and column, so an import is all or nothing.
public enum RateDeck {
    public static let columns = ["prefix", "description", "rate per minute", "connection fee",
                                 "first increment", "increment"]

    public static func parse(_ text: String, currency: String) throws(RateDeckError) -> [Rate] {
        // Spreadsheets often start their CSV exports with a UTF-8 byte order mark.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var rates: [Rate] = []
        var lineOfPrefix: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = try splitFields(line, lineNumber: lineNumber)
            if rates.isEmpty, lineOfPrefix.isEmpty,
               fields.first?.trimmingCharacters(in: .whitespaces).lowercased() == "prefix" {
                continue
            }
            guard fields.count == columns.count else {
                throw RateDeckError(line: lineNumber, column: nil,
                                    message: "expected \(columns.count) fields (\(columns.joined(separator: ", "))), found \(fields.count)")
            }
            let cells = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            func fail(_ column: Int, _ message: String) -> RateDeckError {
                RateDeckError(line: lineNumber, column: column + 1, columnName: columns[column], message: message)
            }
            let prefix = cells[0]
            guard !prefix.isEmpty, prefix.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw fail(0, "\"\(prefix)\" is not a digit prefix")
            }
            if let earlier = lineOfPrefix[prefix] {
                throw fail(0, "prefix \(prefix) already defined on line \(earlier)")
            }
            let perMinute: Money
            let fee: Money
            do { perMinute = try Money.parse(cells[2], currency: currency) } catch { throw fail(2, error.description) }
            do { fee = try Money.parse(cells[3], currency: currency) } catch { throw fail(3, error.description) }
            guard !perMinute.isNegative else { throw fail(2, "rate must not be negative") }
            guard !fee.isNegative else { throw fail(3, "connection fee must not be negative") }
            guard let first = Int(cells[4]), first >= 1 else { throw fail(4, "\"\(cells[4])\" is not a whole number of seconds ≥ 1") }
            guard let following = Int(cells[5]), following >= 1 else { throw fail(5, "\"\(cells[5])\" is not a whole number of seconds ≥ 1") }
            do {
                let increments = try BillingIncrements(first: first, following: following)
                rates.append(try Rate(prefix: prefix, description: cells[1], perMinute: perMinute,
                                      connectionFee: fee, increments: increments))
            } catch {
                throw RateDeckError(line: lineNumber, column: nil, message: error.description)
            }
            lineOfPrefix[prefix] = lineNumber
        }
        return rates
    }

    /// Splits one CSV line into fields, honouring double quotes.
    static func splitFields(_ line: Substring, lineNumber: Int) throws(RateDeckError) -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var fieldStartedQuoted = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    let next = iterator.next()
                    if next == "\"" { current.append("\"") } else { inQuotes = false; pending = next }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
                fieldStartedQuoted = false
            } else if character == "\"" && current.isEmpty && !fieldStartedQuoted {
                inQuotes = true
                fieldStartedQuoted = true
            } else {
                current.append(character)
            }
        }
        guard !inQuotes else {
            // Past the sixth field there is no column to name (fuzzing found "column 9 (?)").
            let field = fields.count + 1
            throw RateDeckError(line: lineNumber, column: field <= RateDeck.columns.count ? field : nil,
                                message: field <= RateDeck.columns.count ? "unterminated quoted field" : "unterminated quoted field (field \(field))")
        }
        fields.append(current)
        return fields
    }
}

/// A bad row in a rate deck: where it is and what is wrong.
public struct RateDeckError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    /// 1-based column, when one column is at fault.
    public var column: Int?
    public var columnName: String?
    public var message: String

    public init(line: Int, column: Int?, columnName: String? = nil, message: String) {
        self.line = line
        self.column = column
        self.columnName = columnName ?? column.flatMap { $0 >= 1 && $0 <= RateDeck.columns.count ? RateDeck.columns[$0 - 1] : nil }
        self.message = message
    }

    public var description: String {
        if let column {
            return "line \(line), column \(column) (\(columnName ?? "?")): \(message)"
        }
        return "line \(line): \(message)"
    }
}
