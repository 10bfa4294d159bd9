import Foundation

/// DTMF carried in SIP INFO bodies (no RFC; de-facto formats). Part of the message
/// layer: an INFO's body is parsed where its headers are, whoever consumes the key.
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

    /// The sixteen DTMF keys in RFC 4733 event-code order (§3.2 table 1: 0–9, `*` 10,
    /// `#` 11, A–D 12–15): what a `Signal=` value names, as a key or as its code.
    static let keys: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]

    private static func key(from value: Substring) -> Character? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if let code = UInt8(trimmed) {
            return code < 16 ? keys[Int(code)] : nil
        }
        guard trimmed.count == 1, let character = trimmed.first else { return nil }
        let upper = Character(character.uppercased())
        return keys.contains(upper) ? upper : nil
    }
}
