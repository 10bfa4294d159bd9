import Foundation

/// `authenticate`: tries `methods` in order; the first that succeeds binds `$account`
/// (outcome `ok`). `sip-digest`, `ani` and `did` ask the services with what the call
/// already carries; `pin` and `password` collect digits first and may be retried up to their
/// `attempts`. A `locked` answer ends at once with outcome `locked`; when every method
/// fails the outcome is `failed`. With `remember-caller: true` a caller who succeeded by
/// PIN or password has the caller ID stored for ANI next time (anumberhandling "add").
public struct AuthenticateVerb: Sendable {
    public var methods: [Located<AuthenticationMethod>]
    public var pin: CollectVerb
    public var account: CollectVerb
    public var password: CollectVerb
    public var rememberCaller: Bool

    public static let outcomes = ["ok", "failed", "locked"]

    public init(methods: [Located<AuthenticationMethod>], pin: CollectVerb, account: CollectVerb, password: CollectVerb,
                rememberCaller: Bool) {
        self.methods = methods
        self.pin = pin
        self.account = account
        self.password = password
        self.rememberCaller = rememberCaller
    }

    static func defaultInput(prompt: String, variable: String, digits: ClosedRange<Int>, at location: SourceLocation) -> CollectVerb {
        CollectVerb(prompts: [Located(prompt, at: location)], minDigits: digits.lowerBound, maxDigits: digits.upperBound,
                    terminator: "#", firstDigitTimeoutMilliseconds: 6000, attempts: 3,
                    invalidPrompts: [Located("login-failed", at: location)], noInputPrompts: [Located("no-input", at: location)],
                    variable: Located(variable, at: location))
    }
}
