import Foundation

/// One request of the transaction spool (CloudWare's WebCallBackData.txt), parsed: either
/// `user,password,number[,number…]` (the numbers to connect, as the API's `numbers`) or a
/// JSON object `{"user": "…", "password": "…", "numbers": ["…"], "from": "…"}` (`from`
/// optional; or `"to": "…"` for connect-two). Pure: text in, request or reason out.
public struct SpoolLine: Sendable, Equatable {
    public var user: String
    public var password: String
    public var from: String?
    public var numbers: [String]

    public init(user: String, password: String, from: String? = nil, numbers: [String]) {
        self.user = user
        self.password = password
        self.from = from
        self.numbers = numbers
    }

    public struct Rejected: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// nil for a blank line (nothing asked, nothing to reject).
    public static func parse(_ raw: String) throws(Rejected) -> SpoolLine? {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        let line = text.hasPrefix("{") ? try json(text) : try csv(text)
        guard !line.user.isEmpty else { throw Rejected(reason: "no user") }
        guard !line.numbers.isEmpty else { throw Rejected(reason: "no number to connect") }
        for number in line.numbers + (line.from.map { [$0] } ?? []) where !isNumber(number) {
            throw Rejected(reason: "'\(number)' is not a phone number (digits with an optional leading +)")
        }
        return line
    }

    static func csv(_ text: String) throws(Rejected) -> SpoolLine {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.count >= 3 else { throw Rejected(reason: "expected user,password,number[,number...]") }
        return SpoolLine(user: fields[0], password: fields[1], numbers: Array(fields[2...]))
    }

    private struct JSONForm: Decodable {
        var user: String
        var password: String
        var from: String?
        var numbers: [String]?
        var to: String?
    }

    static func json(_ text: String) throws(Rejected) -> SpoolLine {
        let form: JSONForm
        do {
            form = try JSONDecoder().decode(JSONForm.self, from: Data(text.utf8))
        } catch {
            throw Rejected(reason: "not a JSON request {user, password, numbers | from and to}: \(Self.describe(error))")
        }
        if form.to != nil, form.numbers != nil { throw Rejected(reason: "give numbers or to, not both") }
        if let to = form.to {
            guard form.from != nil else { throw Rejected(reason: "to needs from (connect-two)") }
            return SpoolLine(user: form.user, password: form.password, from: form.from, numbers: [to])
        }
        return SpoolLine(user: form.user, password: form.password, from: form.from, numbers: form.numbers ?? [])
    }

    static func isNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (2...20).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case DecodingError.typeMismatch(_, let context): return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        default: return "malformed JSON"
        }
    }
}
