/// The CSeq header (RFC 3261 §20.16): a 32-bit sequence number and the method.
public struct SIPCSeq: Hashable, Sendable, CustomStringConvertible {
    public var sequence: UInt32
    public var method: SIPMethod

    public init(sequence: UInt32, method: SIPMethod) {
        self.sequence = sequence
        self.method = method
    }

    public init(parsing value: String) throws(SIPParseError) {
        var s = SIPValueScanner(value, header: "CSeq")
        s.skipWhitespace()
        let start = s.index
        while let b = s.peek, SIPSyntax.isDigit(b) { s.index += 1 }
        guard s.index > start else { throw s.error("missing sequence number") }
        let digits = String(decoding: s.bytes[start..<s.index], as: UTF8.self)
        guard let n = UInt32(digits) else { throw s.error("sequence number \(digits) exceeds 2**32-1") }
        let afterNumber = s.index
        s.skipWhitespace()
        guard s.index > afterNumber, let method = s.token() else { throw s.error("missing method after sequence number") }
        s.skipWhitespace()
        guard s.atEnd else { throw s.error("unexpected \"\(s.rest())\" after method") }
        sequence = n
        self.method = SIPMethod(method)
    }

    public var description: String { "\(sequence) \(method.name)" }
}
