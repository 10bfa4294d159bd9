import IVR

/// Watches the A leg's digits while a forward is up and says when they spell one of the
/// dial's in-call key sequences (`#11` end-leg, `111` say-balance, as the script sets).
///
/// Pure: time comes in with each digit. Digits typed more than `interDigitMilliseconds`
/// apart start a new sequence, so a stray digit long ago cannot complete a key later.
/// The longest sequence that ends with the latest digit wins; after a match the typed
/// digits are forgotten (no digit counts twice).
struct InCallKeyMatcher: Sendable {
    let keys: [String: DialKeyAction]
    let interDigitMilliseconds: Int64
    private let longest: Int
    private var typed = ""
    private var lastDigitAt: Int64?

    init(keys: [String: DialKeyAction], interDigitMilliseconds: Int64 = 3000) {
        self.keys = keys.filter { !$0.key.isEmpty }
        self.interDigitMilliseconds = interDigitMilliseconds
        longest = self.keys.keys.map(\.count).max() ?? 0
    }

    /// The action the digit completes, if any.
    mutating func digit(_ digit: Character, atMilliseconds now: Int64) -> (sequence: String, action: DialKeyAction)? {
        guard longest > 0 else { return nil }
        if let lastDigitAt, now - lastDigitAt > interDigitMilliseconds { typed = "" }
        lastDigitAt = now
        typed.append(digit)
        if typed.count > longest { typed.removeFirst(typed.count - longest) }
        let match = keys.filter { typed.hasSuffix($0.key) }.max { $0.key.count < $1.key.count }
        guard let match else { return nil }
        typed = ""
        return (match.key, match.value)
    }
}
