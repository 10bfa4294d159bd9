/// Keys whose values are secrets and never reach a log line, whoever logs them: the
/// formatter writes `<redacted>` instead. A last line of defence; the call log also keeps
/// PIN and password digits out of its events (Switchboard's `CallLogger`).
public enum LogRedaction {
    public static let placeholder = "<redacted>"

    /// Lower-case field names: credentials, digest responses, tokens.
    public static let secretKeys: [String] = [
        "password", "pin", "secret", "token", "admin-token", "authorization", "proxy-authorization",
        "response", "digest-response", "ha1", "credentials",
    ]

    private static let secretLengths: UInt64 = secretKeys.reduce(0) { $0 | (1 << UInt64($1.utf8.count)) }

    /// Asked for every field of every line: a linear scan of short strings (compared by
    /// their bytes, no hashing), lower-casing only keys that have capitals.
    public static func isSecret(key: String) -> Bool {
        // Most keys are ruled out by their length alone.
        let length = key.utf8.count
        guard length < 64, secretLengths & (1 << UInt64(length)) != 0 else { return false }
        if secretKeys.contains(key) { return true }
        guard key.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return false }
        return secretKeys.contains(key.lowercased())
    }
}
