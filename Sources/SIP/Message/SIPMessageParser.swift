#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses one SIP message from bytes (RFC 3261 §7, §25), as received in a UDP
/// datagram or framed out of a stream by `SIPStreamFraming`.
///
/// What it does, in order:
/// 1. skips CRLFs before the start line (§7.5);
/// 2. reads the start line strictly: single SPs, no `<>` around the Request-URI, no
///    trailing whitespace, a 3-digit status code; `SIP/x.y` other than 2.0 is 505;
/// 3. reads header fields, unfolding continuation lines (§7.3.1) into one SP;
///    accepts LF-only line ends and a missing blank line at the very end;
/// 4. takes the body by Content-Length: larger than what is there, negative or
///    repeated is 400; octets after it are ignored (RFC 4475 dblreq); no
///    Content-Length means "the rest of the datagram" (§18.3; RFC 4475 inv2543);
/// 5. checks the headers the transaction and dialog layers rely on: Via, From, To,
///    CSeq, Call-ID, Contact, Route, Record-Route — a malformed one is a 400.
///
/// Every error names its line. For requests (other than ACK), the error carries a
/// salvaged request so a transport can still answer.
public enum SIPMessageParser {
    public static func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        try parse(bytes, in: 0..<bytes.count, stream: false)
    }

    /// Parses `bytes[range]`. With `stream: true` (TCP/TLS), Content-Length is
    /// mandatory (§18.3) and must not exceed the range.
    public static func parse(_ bytes: [UInt8], in range: Range<Int>, stream: Bool) throws(SIPParseError) -> SIPMessage {
        if range.lowerBound > 0 || range.upperBound < bytes.count {
            // Parsed headers index into the bytes they keep: keep only this message's,
            // not the whole stream buffer it came in.
            let lo = max(0, min(range.lowerBound, bytes.count)), hi = max(lo, min(range.upperBound, bytes.count))
            let own = Array(bytes[lo..<hi])
            return try parse(own, in: 0..<own.count, stream: stream)
        }
        let result: Result<SIPMessage, SIPParseError> = bytes.withUnsafeBufferPointer { buffer in
            var p = Parser(bytes: bytes, buffer: buffer, start: range.lowerBound, end: range.upperBound)
            do throws(SIPParseError) {
                return .success(try p.run(stream: stream))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private struct Parser {
    let bytes: [UInt8]
    /// `bytes` for the scanning loops (valid during `parse`), without bounds checks.
    let buf: UnsafeBufferPointer<UInt8>
    var index: Int
    let end: Int
    var lineNumber = 0

    init(bytes: [UInt8], buffer: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
        self.bytes = bytes
        self.buf = buffer
        self.index = max(0, start)
        self.end = min(end, bytes.count)
    }

    enum StartLine {
        case request(method: SIPMethod, uri: SIPURI?, uriText: String, version: String)
        case response(code: Int, reason: String, version: String)
    }


    /// The next line without its terminator, or nil at the end.
    mutating func nextLine() -> Range<Int>? {
        guard index < end else { return nil }
        let start = index
        var i = end
        if let base = buf.baseAddress, let lf = memchr(base + start, Int32(SIPSyntax.lf), end - start) {
            i = base.distance(to: lf.assumingMemoryBound(to: UInt8.self))
        }
        var lineEnd = i
        if lineEnd > start, buf[lineEnd - 1] == SIPSyntax.cr { lineEnd -= 1 }
        index = i < end ? i + 1 : end
        lineNumber += 1
        return start..<lineEnd
    }

    func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }

    mutating func run(stream: Bool) throws(SIPParseError) -> SIPMessage {
        // §7.5: ignore CRLFs before the start line.
        while index < end, buf[index] == SIPSyntax.cr || buf[index] == SIPSyntax.lf {
            if buf[index] == SIPSyntax.lf { lineNumber += 1 }
            index += 1
        }
        guard let first = nextLine(), !first.isEmpty else {
            throw SIPParseError(line: 0, reason: "empty message")
        }
        let startLineNumber = lineNumber
        var startError: SIPParseError?
        var start: StartLine?
        do {
            start = try parseStartLine(first)
        } catch {
            startError = error
        }

        // Header fields, collected leniently so that a salvage can be built even when
        // something is wrong; the first problem is remembered. Fields are indexed
        // (name and value ranges in `bytes`), not copied into Strings.
        var spans = [SIPHeaderIndex.Span]()
        spans.reserveCapacity(16)
        var fieldLines = [Int]()
        fieldLines.reserveCapacity(16)
        var foldedValues = [Int: String]()  // values that spanned several lines (§7.3.1)
        var headerError: SIPParseError?
        var sawBlankLine = false
        var pendingValue: [UInt8]?  // set while a field spans several lines
        while let line = nextLine() {
            if line.isEmpty { sawBlankLine = true; break }
            if SIPSyntax.isWhitespace(buf[line.lowerBound]) {
                guard let last = spans.last else {
                    if headerError == nil { headerError = SIPParseError(line: lineNumber, reason: "continuation line before any header field") }
                    continue
                }
                // §7.3.1: a line starting with whitespace continues the previous value.
                var lo = line.lowerBound, hi = line.upperBound
                while lo < hi, SIPSyntax.isWhitespace(buf[lo]) { lo += 1 }
                while hi > lo, SIPSyntax.isWhitespace(buf[hi - 1]) { hi -= 1 }
                if lo < hi {
                    var v = pendingValue ?? Array(buf[last.valueStart..<last.valueEnd])
                    if !v.isEmpty { v.append(SIPSyntax.sp) }
                    v.append(contentsOf: buf[lo..<hi])
                    pendingValue = v
                }
                continue
            }
            if let v = pendingValue {
                foldedValues[spans.count - 1] = String(decoding: v, as: UTF8.self)
                pendingValue = nil
            }
            var colon = line.lowerBound
            while colon < line.upperBound, buf[colon] != SIPSyntax.colon { colon += 1 }
            var nameEnd = colon
            while nameEnd > line.lowerBound, SIPSyntax.isWhitespace(buf[nameEnd - 1]) { nameEnd -= 1 }
            let nameRange = line.lowerBound..<nameEnd
            guard colon < line.upperBound, !nameRange.isEmpty, UnsafeBufferPointer(rebasing: buf[nameRange]).allSatisfy(SIPSyntax.isToken) else {
                if headerError == nil {
                    let what = colon < line.upperBound ? "invalid header name \"\(string(nameRange))\"" : "header line without ':' (\"\(string(line).prefix(40))\")"
                    headerError = SIPParseError(line: lineNumber, reason: what)
                }
                continue
            }
            var lo = colon + 1, hi = line.upperBound
            while lo < hi, SIPSyntax.isWhitespace(buf[lo]) { lo += 1 }
            while hi > lo, SIPSyntax.isWhitespace(buf[hi - 1]) { hi -= 1 }
            spans.append(SIPHeaderIndex.Span(nameStart: nameRange.lowerBound, nameEnd: nameRange.upperBound,
                                             valueStart: lo, valueEnd: hi,
                                             known: SIPKnownHeader(utf8: UnsafeBufferPointer(rebasing: buf[nameRange]))))
            fieldLines.append(lineNumber)
        }
        if let v = pendingValue { foldedValues[spans.count - 1] = String(decoding: v, as: UTF8.self) }

        /// Field `i`'s value, unfolded.
        func value(_ i: Int) -> String {
            if !foldedValues.isEmpty, let folded = foldedValues[i] { return folded }
            return string(spans[i].valueStart..<spans[i].valueEnd)
        }
        /// Where field `i`'s value lies in `bytes`, unless it was folded.
        func valueRange(_ i: Int) -> Range<Int>? {
            if !foldedValues.isEmpty, foldedValues[i] != nil { return nil }
            return spans[i].valueStart..<spans[i].valueEnd
        }
        let headers: SIPHeaders
        if foldedValues.isEmpty {
            headers = SIPHeaders(index: SIPHeaderIndex(bytes: bytes, spans: spans))
        } else {
            headers = SIPHeaders(fields: spans.indices.map {
                SIPHeaderField(name: string(spans[$0].nameStart..<spans[$0].nameEnd), value: value($0), known: spans[$0].known)
            })
        }

        func failure(_ error: SIPParseError) -> SIPParseError {
            var e = error
            if case .request(let method, let uri, _, _)? = start ?? lenientStart(first) {
                e.salvage = Self.salvage(method: method, uri: uri, headers: headers)
            }
            return e
        }
        if let startError { throw failure(startError) }
        guard let start else { throw failure(SIPParseError(line: startLineNumber, reason: "unreadable start line")) }
        if let headerError { throw failure(headerError) }
        if stream && !sawBlankLine { throw failure(SIPParseError(line: lineNumber, reason: "header section not terminated by an empty line")) }

        // Body by Content-Length (§18.3, §20.14).
        var contentLength: Int?
        for (i, span) in spans.enumerated() where span.known == .contentLength {
            if contentLength != nil {
                throw failure(SIPParseError(line: fieldLines[i], reason: "Content-Length appears more than once"))
            }
            let text = value(i)
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(SIPSyntax.isDigit), let n = Int(text) else {
                throw failure(SIPParseError(line: fieldLines[i], reason: "Content-Length \"\(text)\" is not a non-negative integer"))
            }
            let available = end - index
            if n > available {
                throw failure(SIPParseError(line: fieldLines[i], reason: "Content-Length \(n) exceeds body of \(available) bytes"))
            }
            contentLength = n
        }
        if stream && contentLength == nil {
            throw failure(SIPParseError(line: 0, reason: "Content-Length is required on stream transports (RFC 3261 §18.3)"))
        }
        let bodyEnd = contentLength.map { index + $0 } ?? end
        let body = index < bodyEnd ? Array(bytes[index..<bodyEnd]) : []

        // Headers the lower layers rely on must be well-formed. The common shapes are
        // checked on the bytes without building typed headers (the accessors build them
        // when asked); anything else goes through the typed parsers, which name the problem.
        for (i, span) in spans.enumerated() where span.known != .other {
            do throws(SIPParseError) {
                try Self.validate(span.known, valueRange: valueRange(i), value: value(i), in: buf)
            } catch {
                throw failure(SIPParseError(line: fieldLines[i], reason: error.reason))
            }
        }

        switch start {
        case .request(let method, let uri, _, let version):
            var request = SIPRequest(method: method, uri: uri!, headers: headers, body: body)
            request.version = version
            return .request(request)
        case .response(let code, let reason, let version):
            var response = SIPResponse(statusCode: code, reasonPhrase: reason, headers: headers, body: body)
            response.version = version
            return .response(response)
        }
    }

    /// Throws the typed parser's error for a malformed Via, From, To, CSeq, Call-ID,
    /// Contact, Route or Record-Route; `valueRange` (nil for a folded value) lets the
    /// common shapes pass on a byte check alone.
    static func validate(_ known: SIPKnownHeader, valueRange: Range<Int>?, value text: @autoclosure () -> String,
                         in buffer: UnsafeBufferPointer<UInt8>) throws(SIPParseError) {
        typealias Fast = SIPHeaderFastCheck
        func noComma(_ r: Range<Int>) -> Bool {
            for k in r where buffer[k] == SIPSyntax.comma { return false }
            return true
        }
        switch known {
        case .via:
            if let r = valueRange, Fast.isSimpleVia(buffer, r) { return }
            for element in SIPSyntax.splitList(text()) {
                guard !element.isEmpty else { throw SIPParseError(reason: "Via: empty value in list") }
                _ = try SIPVia(parsing: element)
            }
        case .from:
            if let r = valueRange, Fast.isSimpleNameAddress(buffer, r) { return }
            _ = try SIPNameAddress(parsing: text(), header: "From")
        case .to:
            if let r = valueRange, Fast.isSimpleNameAddress(buffer, r) { return }
            _ = try SIPNameAddress(parsing: text(), header: "To")
        case .cseq:
            if let r = valueRange, Fast.isSimpleCSeq(buffer, r) { return }
            _ = try SIPCSeq(parsing: text())
        case .callID:
            if let r = valueRange, !r.isEmpty, !r.contains(where: { SIPSyntax.isWhitespace(buffer[$0]) }) { return }
            let value = text()
            guard !value.isEmpty, !value.utf8.contains(where: SIPSyntax.isWhitespace) else {
                throw SIPParseError(reason: "Call-ID: must be one non-empty word")
            }
        case .contact:
            if let r = valueRange, noComma(r), Fast.isSimpleNameAddress(buffer, r) { return }
            let value = text()
            if value == "*" { return }
            for element in SIPSyntax.splitList(value) {
                guard !element.isEmpty else { throw SIPParseError(reason: "Contact: empty value in list") }
                _ = try SIPNameAddress(parsing: element, header: "Contact")
            }
        case .route, .recordRoute:
            if let r = valueRange, noComma(r), Fast.isSimpleNameAddress(buffer, r) { return }
            let label = known == .route ? "Route" : "Record-Route"
            for element in SIPSyntax.splitList(text()) {
                guard !element.isEmpty else { throw SIPParseError(reason: "\(label): empty value in list") }
                _ = try SIPNameAddress(parsing: element, header: label)
            }
        default:
            break
        }
    }

    func parseStartLine(_ line: Range<Int>) throws(SIPParseError) -> StartLine {
        let n = lineNumber
        let isResponse = line.count > 5 && bytes[line.lowerBound..<(line.lowerBound + 4)].elementsEqualIgnoringASCIICase("SIP/".utf8)
            && bytes[line].contains(SIPSyntax.sp) && !bytes[line.lowerBound..<(bytes[line].firstIndex(of: SIPSyntax.sp) ?? line.upperBound)].contains(SIPSyntax.colon)
        if isResponse {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            let sp1 = bytes[line].firstIndex(of: SIPSyntax.sp)!
            let version = string(line.lowerBound..<sp1)
            try checkVersion(version, line: n)
            var i = sp1 + 1
            let codeStart = i
            while i < line.upperBound, SIPSyntax.isDigit(bytes[i]) { i += 1 }
            guard i - codeStart == 3, i == line.upperBound || bytes[i] == SIPSyntax.sp,
                  let code = Int(string(codeStart..<i)), (100...699).contains(code) else {
                let text = string(codeStart..<(bytes[codeStart..<line.upperBound].firstIndex(of: SIPSyntax.sp) ?? line.upperBound))
                throw SIPParseError(line: n, reason: "Status-Line: status code \"\(text)\" is not three digits 100-699")
            }
            let reason = i < line.upperBound ? string((i + 1)..<line.upperBound) : ""
            return .response(code: code, reason: reason, version: version)
        }
        // Request-Line = Method SP Request-URI SP SIP-Version
        guard let sp1 = bytes[line].firstIndex(of: SIPSyntax.sp) else {
            throw SIPParseError(line: n, reason: "Request-Line: expected \"Method SP Request-URI SP SIP-Version\"")
        }
        let method = line.lowerBound..<sp1
        guard !method.isEmpty, bytes[method].allSatisfy(SIPSyntax.isToken) else {
            throw SIPParseError(line: n, reason: "Request-Line: method \"\(string(method))\" is not a token")
        }
        guard let sp2 = bytes[(sp1 + 1)..<line.upperBound].firstIndex(of: SIPSyntax.sp) else {
            throw SIPParseError(line: n, reason: "Request-Line: missing SIP-Version")
        }
        let uriRange = (sp1 + 1)..<sp2
        let versionRange = (sp2 + 1)..<line.upperBound
        guard !uriRange.isEmpty else {
            throw SIPParseError(line: n, reason: "Request-Line: more than one SP between method and Request-URI")
        }
        if bytes[versionRange].contains(SIPSyntax.sp) || versionRange.isEmpty {
            let v = string(versionRange)
            if v.hasPrefix(" ") || v.isEmpty {
                throw SIPParseError(line: n, reason: "Request-Line: more than one SP between Request-URI and SIP-Version")
            }
            if !v.trimmingTrailingSpaces.contains(" ") {
                throw SIPParseError(line: n, reason: "Request-Line: whitespace after SIP-Version")
            }
            throw SIPParseError(line: n, reason: "Request-Line: Request-URI \"\(string(uriRange))\" is followed by \"\(v)\" (whitespace inside the Request-URI?)")
        }
        if bytes[uriRange.lowerBound] == SIPSyntax.lt {
            throw SIPParseError(line: n, reason: "Request-Line: Request-URI must not be enclosed in '<>'")
        }
        if !UnsafeBufferPointer(rebasing: buf[versionRange]).elementsEqualIgnoringASCIICase("SIP/2.0".utf8) {
            try checkVersion(string(versionRange), line: n)
        }
        let uri: SIPURI
        do {
            uri = try SIPURI(bytes: bytes[uriRange])
        } catch {
            throw SIPParseError(line: n, reason: "Request-Line: \(error.reason)")
        }
        return .request(method: SIPMethod(utf8: UnsafeBufferPointer(rebasing: buf[method])) ?? SIPMethod(string(method)),
                        uri: uri, uriText: "", version: "SIP/2.0")
    }

    /// SIP-Version is case-insensitive (§7.1); a well-formed version other than 2.0 is 505.
    func checkVersion(_ version: String, line: Int) throws(SIPParseError) {
        if version.utf8.elementsEqualIgnoringASCIICase("SIP/2.0".utf8) { return }
        let u = Array(version.utf8)
        if u.count > 4, u[0..<4].elementsEqualIgnoringASCIICase("SIP/".utf8) {
            let rest = u[4...]
            let parts = rest.split(separator: 46, omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(SIPSyntax.isDigit) }) {
                throw SIPParseError(line: line, reason: "unsupported SIP version \(version)", status: 505)
            }
        }
        throw SIPParseError(line: line, reason: "malformed SIP-Version \"\(version)\"")
    }

    /// For salvaging: the method and (if readable) URI of a request line that failed.
    func lenientStart(_ line: Range<Int>) -> StartLine? {
        let parts = bytes[line].split(separator: SIPSyntax.sp)
        guard let m = parts.first, m.allSatisfy(SIPSyntax.isToken),
              !m.elementsEqualIgnoringASCIICase("SIP/2.0".utf8), !(m.count > 4 && m.prefix(4).elementsEqualIgnoringASCIICase("SIP/".utf8))
        else { return nil }
        var uri: SIPURI?
        if parts.count > 1 {
            var u = parts[1]
            if u.first == SIPSyntax.lt { u = u.dropFirst() }
            if u.last == SIPSyntax.gt { u = u.dropLast() }
            uri = try? SIPURI(bytes: u)
        }
        return .request(method: SIPMethod(String(decoding: m, as: UTF8.self)), uri: uri, uriText: "", version: "SIP/2.0")
    }

    /// A request holding only Via, From, To, Call-ID and CSeq, when all are present.
    static func salvage(method m: SIPMethod, uri: SIPURI?, headers: SIPHeaders) -> SIPRequest? {
        guard m != .ack else { return nil }
        var h = SIPHeaders()
        for via in headers.fieldValues(.via) { h.add("Via", via) }
        guard h.count > 0,
              let from = headers["From"], let to = headers["To"], let callID = headers["Call-ID"], let cseq = headers["CSeq"],
              !callID.isEmpty, !cseq.isEmpty
        else { return nil }
        h.add("From", from)
        h.add("To", to)
        h.add("Call-ID", callID)
        h.add("CSeq", cseq)
        return SIPRequest(method: m, uri: uri ?? SIPURI(host: "invalid"), headers: h)
    }
}

private extension String {
    var trimmingTrailingSpaces: Substring {
        var s = self[...]
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
