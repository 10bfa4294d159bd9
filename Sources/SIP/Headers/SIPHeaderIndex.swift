/// The header fields of a parsed message, indexed instead of copied: the message's
/// bytes (shared with the buffer the transport handed over, not copied) and, per
/// field, where its name and value lie and which common header it is. Strings are
/// made only for the values someone asks for (RFC 3261 §7.3 lookups by name), so a
/// message whose headers are mostly passed along costs no String per header.
struct SIPHeaderIndex: Sendable {
    struct Span: Sendable {
        var nameStart: Int, nameEnd: Int
        var valueStart: Int, valueEnd: Int
        var known: SIPKnownHeader
    }

    let bytes: [UInt8]
    var spans: [Span]

    var count: Int { spans.count }

    func name(_ i: Int) -> String {
        let s = spans[i]
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[s.nameStart..<s.nameEnd]), as: UTF8.self)
        }
    }

    func value(_ i: Int) -> String {
        let s = spans[i]
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[s.valueStart..<s.valueEnd]), as: UTF8.self)
        }
    }

    /// Whether field `i` is the header `key` names (same answer as `key.matches(field)`).
    func matches(_ i: Int, _ key: SIPHeaderKey) -> Bool {
        let s = spans[i]
        if key.known != .other { return s.known == key.known }
        guard s.known == .other else { return false }
        return bytes.withUnsafeBufferPointer {
            key.matches(utf8: UnsafeBufferPointer(rebasing: $0[s.nameStart..<s.nameEnd]))
        }
    }

    var fields: [SIPHeaderField] {
        var result = [SIPHeaderField]()
        result.reserveCapacity(spans.count)
        for i in spans.indices {
            result.append(SIPHeaderField(name: name(i), value: value(i), known: spans[i].known))
        }
        return result
    }

    /// `name: value CRLF` for each field but those matching `key`, straight from the bytes.
    func appendWire(to out: inout [UInt8], except key: SIPHeaderKey) {
        bytes.withUnsafeBufferPointer { b in
            for (i, s) in spans.enumerated() where !matches(i, key) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[s.nameStart..<s.nameEnd]))
                out.append(SIPSyntax.colon); out.append(SIPSyntax.sp)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[s.valueStart..<s.valueEnd]))
                out.append(SIPSyntax.cr); out.append(SIPSyntax.lf)
            }
        }
    }
}
