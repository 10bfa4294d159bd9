/// Small text helpers for SDP that work on UTF-8 bytes (no grapheme breaking on the
/// hot path).
enum SDPText {
    /// Space-separated fields of a line value (RFC 4566 §5: fields are separated by
    /// a single space; runs of spaces are tolerated).
    static func fields(_ s: Substring) -> [Substring] {
        var result = [Substring]()
        result.reserveCapacity(6)
        let utf8 = s.utf8
        var fieldStart: String.Index?
        var i = utf8.startIndex
        while i < utf8.endIndex {
            if utf8[i] == 32 {
                if let f = fieldStart { result.append(s[f..<i]); fieldStart = nil }
            } else if fieldStart == nil {
                fieldStart = i
            }
            i = utf8.index(after: i)
        }
        if let f = fieldStart { result.append(s[f..<s.endIndex]) }
        return result
    }
}
