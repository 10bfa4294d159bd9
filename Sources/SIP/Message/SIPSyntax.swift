/// Byte-level building blocks of the RFC 3261 §25 grammar, shared by the message
/// parser and the typed header parsers. Everything works on UTF-8 bytes so that the
/// hot path allocates only the Strings it hands out.
enum SIPSyntax {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, tab: UInt8 = 9
    static let colon: UInt8 = 58, semicolon: UInt8 = 59, comma: UInt8 = 44, equals: UInt8 = 61
    static let quote: UInt8 = 34, backslash: UInt8 = 92, lt: UInt8 = 60, gt: UInt8 = 62
    static let slash: UInt8 = 47, at: UInt8 = 64, question: UInt8 = 63, percent: UInt8 = 37
    static let lbracket: UInt8 = 91, rbracket: UInt8 = 93, amp: UInt8 = 38

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == tab }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }
    @inline(__always) static func isAlphanumeric(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }

    /// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    /// (a switch rather than a table: no lazy-global check on the hot path).
    @inline(__always) static func isToken(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x2D, 0x2E, 0x21, 0x25, 0x2A, 0x5F, 0x2B, 0x60, 0x27, 0x7E: true
        default: false
        }
    }

    /// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
    static func unreservedTable(adding extra: String) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        for b in UInt8(48)...57 { t[Int(b)] = true }
        for b in UInt8(65)...90 { t[Int(b)] = true }
        for b in UInt8(97)...122 { t[Int(b)] = true }
        for c in "-_.!~*'()".utf8 { t[Int(c)] = true }
        for c in extra.utf8 { t[Int(c)] = true }
        return t
    }
    /// Characters that may appear unescaped in the user part (user-unreserved).
    static let userChars = unreservedTable(adding: "&=+$,;?/")
    /// Characters that may appear unescaped in a password.
    static let passwordChars = unreservedTable(adding: "&=+$,")
    /// paramchar = param-unreserved / unreserved (param-unreserved = "[]/:&+$").
    static let paramChars = unreservedTable(adding: "[]/:&+$")
    /// hname/hvalue characters (hnv-unreserved = "[]/?:+$").
    static let headerChars = unreservedTable(adding: "[]/?:+$")

    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: b - 48
        case 65...70: b - 55
        case 97...102: b - 87
        default: nil
        }
    }

    /// Percent-decodes `bytes`; a `%` not followed by two hex digits is kept literally
    /// (RFC 4475 esc02 shows `%` used where it is not an escape).
    static func unescape<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        guard bytes.contains(percent) else { return String(decoding: bytes, as: UTF8.self) }
        let a = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity(a.count)
        var i = 0
        while i < a.count {
            if a[i] == percent, i + 2 < a.count, let h = hexValue(a[i + 1]), let l = hexValue(a[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(a[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes every byte of `string` not allowed by `allowed`.
    static func escape(_ string: String, allowed: [Bool]) -> String {
        let utf8 = string.utf8
        if utf8.allSatisfy({ allowed[Int($0)] }) { return string }
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(utf8.count + 8)
        for b in utf8 {
            if allowed[Int(b)] { out.append(b) } else {
                out.append(percent); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits a header value into list elements at commas that are outside
    /// quoted strings and `<...>` (RFC 3261 §7.3.1). Elements are trimmed; empty
    /// elements are kept so strict callers can reject them.
    static func splitList(_ value: String) -> [String] {
        // Fast path: most values are a single element (already trimmed by the parser).
        if !(value.utf8.withContiguousStorageIfAvailable { $0.contains(comma) } ?? value.utf8.contains(comma)) {
            if let f = value.utf8.first, let l = value.utf8.last, !isWhitespace(f), !isWhitespace(l) { return [value] }
        }
        let bytes = Array(value.utf8)
        var result = [String]()
        var start = 0, i = 0
        var inQuotes = false, inAngle = false
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == backslash { i += 1 } else if b == quote { inQuotes = false }
            } else if b == quote {
                inQuotes = true
            } else if b == lt {
                inAngle = true
            } else if b == gt {
                inAngle = false
            } else if b == comma && !inAngle {
                result.append(trimmed(bytes[start..<i]))
                start = i + 1
            }
            i += 1
        }
        result.append(trimmed(bytes[start..<bytes.count]))
        return result
    }

    /// The value of a short run of ASCII digits (the caller bounds its length).
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int {
        var n = 0
        for d in digits { n = n * 10 + Int(d &- 48) }
        return n
    }

    /// ASCII-uppercased; the same String when it has no lowercase letter (tokens such
    /// as a Via transport are ASCII).
    static func asciiUppercased(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 97 && $0 <= 122 }) else { return s }
        guard s.utf8.allSatisfy({ $0 < 128 }) else { return s.uppercased() }
        return String(decoding: s.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
    }

    static func trimmed(_ slice: ArraySlice<UInt8>) -> String {
        var lo = slice.startIndex, hi = slice.endIndex
        while lo < hi, isWhitespace(slice[lo]) || slice[lo] == cr || slice[lo] == lf { lo += 1 }
        while hi > lo, isWhitespace(slice[hi - 1]) || slice[hi - 1] == cr || slice[hi - 1] == lf { hi -= 1 }
        return String(decoding: slice[lo..<hi], as: UTF8.self)
    }

    /// Whether `host` is a hostname, IPv4 address or (bracket-less) IPv6 reference.
    static func isValidHost<C: Collection>(_ host: C) -> Bool where C.Element == UInt8 {
        guard !host.isEmpty else { return false }
        if host.contains(colon) {
            return host.allSatisfy { hexValue($0) != nil || $0 == colon || $0 == 46 }
        }
        return host.allSatisfy { isAlphanumeric($0) || $0 == 45 || $0 == 46 }
    }
}

extension Sequence where Element == UInt8 {
    /// ASCII case-insensitive comparison without allocating.
    @inline(__always)
    func elementsEqualIgnoringASCIICase<S: Sequence>(_ other: S) -> Bool where S.Element == UInt8 {
        var a = makeIterator(), b = other.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x != y {
                    let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
                    let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
                    if lx != ly { return false }
                }
            default: return false
            }
        }
    }
}

/// A cursor over the bytes of one header value, for the typed header parsers.
/// Errors are reported as `SIPParseError` naming the header.
struct SIPValueScanner {
    let bytes: [UInt8]
    var index: Int
    let header: String

    init(_ value: String, header: String) {
        self.bytes = Array(value.utf8)
        self.index = 0
        self.header = header
    }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ reason: String) -> SIPParseError {
        SIPParseError(reason: "\(header): \(reason)")
    }

    /// Skips LWS (the message parser already unfolded line continuations).
    mutating func skipWhitespace() {
        while index < bytes.count, SIPSyntax.isWhitespace(bytes[index]) || bytes[index] == SIPSyntax.cr || bytes[index] == SIPSyntax.lf { index += 1 }
    }

    mutating func consume(_ b: UInt8) -> Bool {
        if peek == b { index += 1; return true }
        return false
    }

    /// 1*token-char, or nil if none here.
    mutating func token() -> String? {
        let start = index
        while index < bytes.count, SIPSyntax.isToken(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    /// A quoted-string starting at the current `"`; returns the raw text including
    /// quotes and the unescaped content.
    mutating func quotedString() throws(SIPParseError) -> (raw: String, content: String) {
        let start = index
        guard consume(SIPSyntax.quote) else { throw error("expected a quoted string") }
        var content = [UInt8]()
        while index < bytes.count {
            let b = bytes[index]
            if b == SIPSyntax.backslash {
                guard index + 1 < bytes.count else { break }
                content.append(bytes[index + 1])
                index += 2
            } else if b == SIPSyntax.quote {
                index += 1
                return (String(decoding: bytes[start..<index], as: UTF8.self), String(decoding: content, as: UTF8.self))
            } else {
                content.append(b)
                index += 1
            }
        }
        throw error("unterminated quoted string")
    }

    /// `*( SEMI generic-param )` with LWS allowed around `;` and `=`
    /// (RFC 3261 §25.1 SEMI and EQUAL). Stops at `,` or end; values may be tokens,
    /// quoted strings or bracketed IPv6 references.
    mutating func parameters() throws(SIPParseError) -> [SIPParameter] {
        var result = [SIPParameter]()
        while true {
            skipWhitespace()
            guard consume(SIPSyntax.semicolon) else { break }
            skipWhitespace()
            guard let name = token() else { throw error("empty or invalid parameter name") }
            skipWhitespace()
            var value: String?
            if consume(SIPSyntax.equals) {
                skipWhitespace()
                if peek == SIPSyntax.quote {
                    value = try quotedString().raw
                } else if peek == SIPSyntax.lbracket {
                    let start = index
                    while index < bytes.count, bytes[index] != SIPSyntax.rbracket { index += 1 }
                    guard consume(SIPSyntax.rbracket) else { throw error("unterminated IPv6 reference in parameter \(name)") }
                    value = String(decoding: bytes[start..<index], as: UTF8.self)
                } else {
                    // token, plus ':' so that values such as maddr or received IPv6 survive.
                    let start = index
                    while index < bytes.count, SIPSyntax.isToken(bytes[index]) || bytes[index] == SIPSyntax.colon { index += 1 }
                    guard index > start else { throw error("parameter \(name) has '=' but no value") }
                    value = String(decoding: bytes[start..<index], as: UTF8.self)
                }
            }
            result.append(SIPParameter(name: name, value: value))
        }
        return result
    }

    func rest() -> String { String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self) }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var sipTrimmed: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
