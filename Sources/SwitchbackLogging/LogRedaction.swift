/// Keys whose values are secrets and never reach a log line, whoever logs them: the
/// formatter writes `<redacted>` instead. A last line of defence; the call log also keeps
/// PIN and password digits out of its events (Switchboard's `CallLogger`).
public enum LogRedaction {
    public static let placeholder = "<redacted>"

    /// Lower-case field names: credentials, digest responses, tokens.
    public static let secretKeys: Set<String> = [
        "password", "pin", "secret", "token", "admin-token", "authorization", "proxy-authorization",
        "response", "digest-response", "ha1", "credentials",
    ]

    public static func isSecret(key: String) -> Bool {
        secretKeys.contains(key) || (key.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } && secretKeys.contains(key.lowercased()))
    }
}
