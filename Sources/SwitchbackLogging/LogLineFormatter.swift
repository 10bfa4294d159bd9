/// Writes one log line into a byte buffer, cheaply: the server logs a line per call event,
/// so formatting must cost a few microseconds (issue 19 measured Foundation's
/// `JSONSerialization` with sorted keys, which compares keys through ICU, at 22 % of all
/// CPU). Hand-written JSON escaping, fixed key order, no Foundation, no locale-aware sort:
/// field keys are ordered by their UTF-8 bytes with an insertion sort (a line has a handful).
///
/// Styles:
/// - `text`: `2026-12-05T22:52:24.123Z info call received call-id=a1 from=100`
/// - `journal`: `<6>call received call-id=a1 from=100` (journald adds the time and reads the
///   priority from the `<N>` prefix, sd-daemon(3))
/// - `json`: `{"time":"…","level":"info","label":"switchback","message":"call received","call-id":"a1",…}`
///
/// Order of fields: `call-id` first (it groups a call's lines), then the others by key.
/// Values of secret keys (`LogRedaction`) are replaced.
public struct LogLineFormatter: Sendable {
    public enum Style: String, Sendable, CaseIterable {
        case text, journal, json
    }

    public var style: Style

    public init(style: Style) {
        self.style = style
    }

    /// A point in time as seconds and nanoseconds since the Unix epoch (UTC).
    public struct Timestamp: Sendable, Equatable {
        public var seconds: Int
        public var nanoseconds: Int

        public init(seconds: Int, nanoseconds: Int) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }

    /// Appends the line, with its newline, to `buffer`.
    /// - Parameter fields: key/value pairs in any order; a key given twice keeps its last value.
    public func format(into buffer: inout [UInt8], time: Timestamp, severity: LogSeverity, label: String,
                       message: String, fields: [(key: String, value: String)]) {
        let ordered = Self.ordered(fields)
        switch style {
        case .json:
            Self.appendLiteral(#"{"time":""#, to: &buffer)
            Self.appendTimestamp(time, to: &buffer)
            Self.appendLiteral(#"","level":""#, to: &buffer)
            Self.appendRaw(severity.name, to: &buffer)
            Self.appendLiteral(#"","label":""#, to: &buffer)
            Self.appendEscaped(label, to: &buffer)
            Self.appendLiteral(#"","message":""#, to: &buffer)
            Self.appendEscaped(message, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
            for (key, value) in ordered {
                Self.appendLiteral(#",""#, to: &buffer)
                Self.appendEscaped(key, to: &buffer)
                Self.appendLiteral(#"":""#, to: &buffer)
                Self.appendEscaped(LogRedaction.isSecret(key: key) ? LogRedaction.placeholder : value, to: &buffer)
                buffer.append(UInt8(ascii: "\""))
            }
            Self.appendLiteral("}\n", to: &buffer)
        case .text, .journal:
            if style == .journal {
                buffer.append(UInt8(ascii: "<"))
                buffer.append(UInt8(ascii: "0") + severity.syslogPriority)
                buffer.append(UInt8(ascii: ">"))
            } else {
                Self.appendTimestamp(time, to: &buffer)
                buffer.append(UInt8(ascii: " "))
                Self.appendRaw(severity.name, to: &buffer)
                buffer.append(UInt8(ascii: " "))
            }
            Self.appendPlain(message, to: &buffer)
            for (key, value) in ordered {
                buffer.append(UInt8(ascii: " "))
                Self.appendPlain(key, to: &buffer)
                buffer.append(UInt8(ascii: "="))
                Self.appendTextValue(LogRedaction.isSecret(key: key) ? LogRedaction.placeholder : value, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// `call-id` first, then by UTF-8 bytes of the key; duplicates keep the last value.
    static func ordered(_ fields: [(key: String, value: String)]) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        result.reserveCapacity(fields.count)
        for field in fields {
            var index = result.count
            while index > 0, precedes(field.key, result[index - 1].key) { index -= 1 }
            if index > 0, result[index - 1].key == field.key {
                result[index - 1].value = field.value
            } else {
                result.insert(field, at: index)
            }
        }
        return result
    }

    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        if lhs == "call-id" { return rhs != "call-id" }
        if rhs == "call-id" { return false }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// JSON string contents (RFC 8259 §7): quote, backslash and control characters escaped,
    /// everything else (valid UTF-8 already) copied in runs between escapes.
    static func appendEscaped(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count where needsEscape(bytes[index]) {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                appendEscape(bytes[index], to: &buffer)
                start = index + 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
    }

    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
    }

    private static func appendEscape(_ byte: UInt8, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x0A: buffer.append(UInt8(ascii: "n"))
        case 0x0D: buffer.append(UInt8(ascii: "r"))
        case 0x09: buffer.append(UInt8(ascii: "t"))
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
        default:
            buffer.append(UInt8(ascii: "u"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(hexDigits[Int(byte >> 4)])
            buffer.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    /// A string's bytes as they are (names known to need no escaping).
    @inline(__always)
    static func appendRaw(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    static func appendLiteral(_ literal: StaticString, to buffer: inout [UInt8]) {
        literal.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// Text without quoting, but a newline or other control character in it cannot split
    /// or forge a line: those are escaped as in JSON.
    static func appendPlain(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        let control = string.withUTF8 { $0.contains { $0 < 0x20 || $0 == 0x7F } }
        if control { appendEscaped(string, to: &buffer) } else { appendRaw(string, to: &buffer) }
    }

    /// `key=value`, quoted as a JSON string when empty or holding a space, quote, `=` or
    /// control character, so `key=value` pairs split unambiguously.
    static func appendTextValue(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        let needsQuotes = string.withUTF8 { bytes in
            bytes.isEmpty || bytes.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }
        }
        if needsQuotes {
            buffer.append(UInt8(ascii: "\""))
            appendEscaped(string, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        } else {
            appendRaw(string, to: &buffer)
        }
    }

    /// ISO 8601 UTC with milliseconds, from the civil-from-days algorithm (H. Hinnant,
    /// "chrono-compatible low-level date algorithms"): no libc time zone lookup per line.
    static func appendTimestamp(_ time: Timestamp, to buffer: inout [UInt8]) {
        let days = time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400
        let secondOfDay = time.seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        appendDigits(year, count: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "."))
        appendDigits(time.nanoseconds / 1_000_000, count: 3, to: &buffer)
        buffer.append(UInt8(ascii: "Z"))
    }

    private static func appendDigits(_ value: Int, count: Int, to buffer: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = max(0, value)
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
