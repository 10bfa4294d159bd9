import Foundation

/// `balance`: asks for the account's balance, stores it in `$account.balance` and
/// `$account.currency`, and says it after `prompt` (default `your-balance-is`). Then `next`.
public struct BalanceVerb: Sendable {
    public var prompts: [Located<String>]
    public var say: Bool

    public init(prompts: [Located<String>], say: Bool = true) {
        self.prompts = prompts
        self.say = say
    }
}
