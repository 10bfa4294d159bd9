import Foundation
import Hummingbird

/// Reads one inbound text from a gateway's request, in any of the shapes gateways use:
/// - Kannel `get-url` (query parameters we name in its `sms-service`: `sender=%p`,
///   `receiver=%P`, `text=%a`, `time=%t`), or `post-url` (the text as the body, the numbers
///   in `X-Kannel-From`, `X-Kannel-To`, `X-Kannel-Time`);
/// - a form (`application/x-www-form-urlencoded`) or JSON object with `from`/`sender`,
///   `to`/`receiver`, `text`/`message`, `time` (other gateways, SMS forwarder apps).
/// Query parameters count for every method; the body's fields win over them.
struct InboundSMSRequest: Equatable {
    var fields: [String: String]

    enum Problem: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case malformedJSON(String)
        case tooLarge

        var description: String {
            switch self {
            case .missing(let field): return "the request has no \(field)"
            case .malformedJSON(let reason): return "the JSON body is not an object of strings: \(reason)"
            case .tooLarge: return "the body is larger than 64 KiB"
            }
        }
    }

    static let senderNames = ["sender", "from", "msisdn", "phone", "p"]
    static let receiverNames = ["receiver", "to", "service", "P"]
    static let textNames = ["text", "message", "body", "a"]
    static let timeNames = ["time", "timestamp", "sent", "t"]

    func first(_ names: [String]) -> String? {
        for name in names { if let value = fields[name] { return value } }
        return nil
    }

    var gateway: String? { fields["gateway"] }
    var secret: String? { fields["secret"] }

    /// Sender, receiver and text, or which one is missing.
    func message(gateway: String) throws(Problem) -> (sender: String, receiver: String, text: String, time: Date?) {
        guard let sender = first(Self.senderNames)?.trimmingCharacters(in: .whitespaces), !sender.isEmpty else {
            throw .missing("sender (sender, from or X-Kannel-From: Kannel's %p)")
        }
        guard let receiver = first(Self.receiverNames)?.trimmingCharacters(in: .whitespaces), !receiver.isEmpty else {
            throw .missing("receiver (receiver, to or X-Kannel-To: Kannel's %P)")
        }
        guard let text = first(Self.textNames) else { throw .missing("text (text, message or the body: Kannel's %a)") }
        return (sender, receiver, text, first(Self.timeNames).flatMap(Self.time))
    }

    /// Kannel's `%t` ("2026-12-05 23:15:00", UTC) or Unix seconds or milliseconds.
    static func time(_ text: String) -> Date? {
        if let number = Double(text) { return Date(timeIntervalSince1970: number > 1e11 ? number / 1000 : number) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ssZ"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    static func read(_ request: Request) async throws -> InboundSMSRequest {
        var fields = formFields(request.uri.query ?? "")
        let headers = request.headers
        func header(_ name: String) -> String? { headers.first { $0.name.canonicalName == name.lowercased() }?.value }
        if let secret = header("X-SMS-Secret") { fields["secret"] = secret }
        if let gateway = header("X-SMS-Gateway") { fields["gateway"] = gateway }
        guard request.method == .post else { return InboundSMSRequest(fields: fields) }

        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw Problem.tooLarge
        }
        let text = String(buffer: body)
        let contentType = (headers[.contentType] ?? "").lowercased()
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            fields.merge(formFields(text)) { _, body in body }
        } else if contentType.hasPrefix("application/json") {
            fields.merge(try jsonFields(text)) { _, body in body }
        } else {
            // Kannel's post-url: the text is the body, the rest in X-Kannel-* headers.
            if let from = header("X-Kannel-From") { fields["sender"] = from }
            if let to = header("X-Kannel-To") { fields["receiver"] = to }
            if let time = header("X-Kannel-Time") { fields["time"] = time }
            fields["text"] = text
        }
        return InboundSMSRequest(fields: fields)
    }

    /// `a=b&c=d` with `+` as space and percent-escapes (HTML form encoding).
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func jsonFields(_ text: String) throws(Problem) -> [String: String] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw .malformedJSON("\(error.localizedDescription)")
        }
        guard let dictionary = object as? [String: Any] else { throw .malformedJSON("expected an object") }
        var fields: [String: String] = [:]
        for (key, value) in dictionary {
            switch value {
            case let string as String: fields[key] = string
            case let number as NSNumber: fields[key] = number.stringValue
            default: throw .malformedJSON("field \(key) is neither a string nor a number")
            }
        }
        return fields
    }
}
