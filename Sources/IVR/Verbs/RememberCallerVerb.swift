import Foundation

/// `remember-caller`: stores `number` (default `$caller`) as an authorised caller ID of the
/// bound account, for ANI authentication next time. Then `next`.
public struct RememberCallerVerb: Sendable {
    public var number: Template

    public init(number: Template) {
        self.number = number
    }
}
