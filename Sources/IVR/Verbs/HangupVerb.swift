import Foundation

/// `hangup`: plays an optional prompt (not interruptible), then ends the call.
public struct HangupVerb: Sendable {
    public var prompts: [Located<String>]
    public var cause: HangupCause

    public init(prompts: [Located<String>] = [], cause: HangupCause = .normal) {
        self.prompts = prompts
        self.cause = cause
    }
}
