import Foundation

/// DTMF carried in SIP INFO bodies (no RFC; de-facto formats).
///
/// - `application/dtmf-relay` (Cisco): lines `Signal=5` and `Duration=160`. Cisco and
///   most phones send the key itself (`Signal=#`, `Signal=*`); some gateways send the
///   RFC 4733 event code instead (`Signal=10` for `*`, `Signal=11` for `#`, 12–15 A–D).
/// - `application/dtmf`: the body is just the key (`5`), or again the event code.
public enum DTMFRelayBody {
    /// The key carried by an INFO body, or nil if the content type is not a DTMF one
    /// or the body names no key.
    public static func digit(fromBody body: String, contentType: String) -> Character? {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "application/dtmf-relay":
            for line in body.split(whereSeparator: \.isNewline) {  // "\r\n" is one Character
                guard let equals = line.firstIndex(of: "=") else { continue }
                let name = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                guard name == "signal" else { continue }
                return key(from: line[line.index(after: equals)...])
            }
            return nil
        case "application/dtmf":
            return key(from: Substring(body))
        default:
            return nil
        }
    }

    private static func key(from value: Substring) -> Character? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if let code = UInt8(trimmed) {
            return TelephoneEvent.digit(forCode: code)
        }
        guard trimmed.count == 1, let character = trimmed.first else { return nil }
        return TelephoneEvent.code(forDigit: character).flatMap(TelephoneEvent.digit(forCode:))
    }
}
