/// Allocation-free checks of the common shapes of Via, name-addr (From, To, Contact,
/// Route, Record-Route) and CSeq values, straight on the message bytes.
///
/// Each answers `true` only when the typed parser (`SIPVia(parsing:)`,
/// `SIPNameAddress(parsing:header:)`, `SIPCSeq(parsing:)`) would certainly accept the
/// value; `false` means "not sure": the parser then runs the typed parser, which
/// either accepts the value or produces its specific error. So these checks decide
/// nothing on their own; they only let well-formed messages skip building typed
/// headers that nobody has asked for yet. Anything unusual (escapes, quoted parameter
/// values, IPv6, URI headers, lists, line breaks) is left to the typed parser.
///
/// Bytes are checked as received, the typed parsers see them after UTF-8 repair: the
/// two agree because every byte these checks accept outside a quoted display name is
/// printable ASCII (a token, URI or host character), and inside one the typed parser
/// accepts anything but `"` and `\` too.
struct SIPHeaderFastCheck {
    let b: UnsafeBufferPointer<UInt8>
    var i: Int
    let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        b = bytes
        i = range.lowerBound
        end = range.upperBound
    }

    @inline(__always) var peek: UInt8? { i < end ? b[i] : nil }

    @inline(__always) mutating func skipWhitespace() {
        while i < end, SIPSyntax.isWhitespace(b[i]) { i += 1 }
    }

    @inline(__always) mutating func consume(_ c: UInt8) -> Bool {
        if i < end, b[i] == c { i += 1; return true }
        return false
    }

    /// 1*token-char; false if none.
    @inline(__always) mutating func token() -> Bool {
        let start = i
        while i < end, SIPSyntax.isToken(b[i]) { i += 1 }
        return i > start
    }

    /// `*( SEMI token [ EQUAL (token / ':')+ ] )` then the end, as
    /// `SIPValueScanner.parameters()` reads it. `branchNeedsValue`: a `branch` without
    /// a value is a Via error, so it is "not sure".
    mutating func parametersToEnd(branchNeedsValue: Bool = false) -> Bool {
        while true {
            skipWhitespace()
            guard consume(SIPSyntax.semicolon) else { break }
            skipWhitespace()
            let nameStart = i
            guard token() else { return false }
            let nameEnd = i
            skipWhitespace()
            if consume(SIPSyntax.equals) {
                skipWhitespace()
                let start = i
                while i < end, SIPSyntax.isToken(b[i]) || b[i] == SIPSyntax.colon { i += 1 }
                guard i > start else { return false }
            } else if branchNeedsValue, nameEnd - nameStart == 6,
                      UnsafeBufferPointer(rebasing: b[nameStart..<nameEnd]).elementsEqualIgnoringASCIICase("branch".utf8) {
                return false
            }
        }
        skipWhitespace()
        return i == end
    }

    /// A sip/sips URI without IPv6 host, `?headers`, escapes or a password, as
    /// `SIPURI(bytes:)` accepts it.
    static func isSimpleSIPURI(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        let end = range.upperBound
        // scheme: "sip" or "sips", any case
        guard end - i > 4, b[i] | 0x20 == UInt8(ascii: "s"), b[i + 1] | 0x20 == UInt8(ascii: "i"), b[i + 2] | 0x20 == UInt8(ascii: "p") else { return false }
        i += 3
        if b[i] | 0x20 == UInt8(ascii: "s") { i += 1 }
        guard i < end, b[i] == SIPSyntax.colon else { return false }
        i += 1
        // userinfo: up to the first '@' anywhere in the rest, as SIPURI does; no password.
        var at: Int?
        for k in i..<end {
            let c = b[k]
            if c <= 32 || c >= 127 || c == SIPSyntax.lt || c == SIPSyntax.gt || c == SIPSyntax.quote
                || c == SIPSyntax.percent || c == SIPSyntax.question || c == SIPSyntax.lbracket { return false }
            if c == SIPSyntax.at, at == nil { at = k }
        }
        if let at {
            guard at > i else { return false }
            for k in i..<at where b[k] == SIPSyntax.colon { return false }
            i = at + 1
        }
        let hostStart = i
        while i < end, SIPSyntax.isAlphanumeric(b[i]) || b[i] == 45 || b[i] == 46 { i += 1 }
        guard i > hostStart, i == end || b[i] == SIPSyntax.colon || b[i] == SIPSyntax.semicolon else { return false }
        if i < end, b[i] == SIPSyntax.colon {
            i += 1
            let start = i
            var port = 0
            while i < end, SIPSyntax.isDigit(b[i]), i - start < 6 { port = port * 10 + Int(b[i] - 48); i += 1 }
            guard i > start, i - start <= 5, port <= 65535 else { return false }
        }
        // ;params: each non-empty, a name before any '='.
        while i < end {
            guard b[i] == SIPSyntax.semicolon else { return false }
            i += 1
            let start = i
            while i < end, b[i] != SIPSyntax.semicolon { i += 1 }
            guard i > start, b[start] != SIPSyntax.equals else { return false }
        }
        return true
    }

    /// `[ "display" / token-display ] <sip-URI> *(;param)`: From, To, Contact, Route,
    /// Record-Route in the name-addr form.
    static func isSimpleNameAddress(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var s = SIPHeaderFastCheck(b, range)
        s.skipWhitespace()
        if s.peek == SIPSyntax.quote {
            s.i += 1
            while s.i < s.end, b[s.i] != SIPSyntax.quote {
                if b[s.i] == SIPSyntax.backslash { return false }
                s.i += 1
            }
            guard s.consume(SIPSyntax.quote) else { return false }
            s.skipWhitespace()
        } else {
            while let c = s.peek, SIPSyntax.isToken(c) || SIPSyntax.isWhitespace(c) { s.i += 1 }
        }
        guard s.consume(SIPSyntax.lt) else { return false }
        let uriStart = s.i
        while s.i < s.end, b[s.i] != SIPSyntax.gt { s.i += 1 }
        guard s.i < s.end, isSimpleSIPURI(b, uriStart..<s.i) else { return false }
        s.i += 1
        return s.parametersToEnd()
    }

    /// One Via value `SIP / 2.0 / UDP host[:port] *(;param)` (no list, no IPv6).
    static func isSimpleVia(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        for k in range where b[k] == SIPSyntax.comma || b[k] == SIPSyntax.quote || b[k] == SIPSyntax.lt { return false }
        var s = SIPHeaderFastCheck(b, range)
        s.skipWhitespace()
        for part in 0..<3 {
            guard s.token() else { return false }
            s.skipWhitespace()
            if part < 2 {
                guard s.consume(SIPSyntax.slash) else { return false }
                s.skipWhitespace()
            }
        }
        let hostStart = s.i
        while let c = s.peek, SIPSyntax.isAlphanumeric(c) || c == 45 || c == 46 { s.i += 1 }
        guard s.i > hostStart else { return false }
        s.skipWhitespace()
        if s.consume(SIPSyntax.colon) {
            s.skipWhitespace()
            let start = s.i
            var port = 0
            while let c = s.peek, SIPSyntax.isDigit(c), s.i - start < 6 { port = port * 10 + Int(c - 48); s.i += 1 }
            guard s.i > start, s.i - start <= 5, port <= 65535 else { return false }
        }
        return s.parametersToEnd(branchNeedsValue: true)
    }

    /// `1*DIGIT LWS token`, the number at most 2**32-1.
    static func isSimpleCSeq(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var s = SIPHeaderFastCheck(b, range)
        s.skipWhitespace()
        let start = s.i
        var n: UInt64 = 0
        while let c = s.peek, SIPSyntax.isDigit(c), s.i - start < 11 { n = n * 10 + UInt64(c - 48); s.i += 1 }
        guard s.i > start, s.i - start <= 10, n <= UInt64(UInt32.max) else { return false }
        let afterNumber = s.i
        s.skipWhitespace()
        guard s.i > afterNumber, s.token() else { return false }
        s.skipWhitespace()
        return s.i == s.end
    }
}
