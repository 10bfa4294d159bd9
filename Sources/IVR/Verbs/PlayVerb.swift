import Foundation

/// `play`: plays prompts one after the other, then `next`. With `barge-in: true` a digit
/// stops the playback; the digit is kept as type-ahead for the next `collect` or `menu`.
public struct PlayVerb: Sendable {
    public var prompts: [Located<String>]
    public var bargeIn: Bool

    public init(prompts: [Located<String>], bargeIn: Bool = false) {
        self.prompts = prompts
        self.bargeIn = bargeIn
    }
}
