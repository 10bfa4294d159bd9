import Foundation

/// `branch`: the first case whose condition holds chooses the next node, otherwise `else`.
///
///     do: branch
///     cases:
///       - if: $account.balance <= 0
///         then: no-credit
///       - if: starts_with($destination, "00")
///         then: international
///     else: national
public struct BranchVerb: Sendable {
    public var cases: [BranchCase]
    public var otherwise: Located<String>?

    public init(cases: [BranchCase], otherwise: Located<String>?) {
        self.cases = cases
        self.otherwise = otherwise
    }
}

public struct BranchCase: Sendable {
    public var condition: Expression
    /// The condition as written, with its location.
    public var source: Located<String>
    public var target: Located<String>

    public init(condition: Expression, source: Located<String>, target: Located<String>) {
        self.condition = condition
        self.source = source
        self.target = target
    }
}
