import Foundation

/// One named step of a script: a verb with its options, and where each outcome leads.
public struct ScriptNode: Sendable {
    public var name: String
    /// Where the node's name is written.
    public var location: SourceLocation
    public var verb: Verb
    /// Outcome name → target node, in the order written. `next:` is stored as outcome `next`.
    public var transitions: [Transition]

    public init(name: String, location: SourceLocation, verb: Verb, transitions: [Transition]) {
        self.name = name
        self.location = location
        self.verb = verb
        self.transitions = transitions
    }

    public func target(for outcome: String) -> Located<String>? {
        transitions.first { $0.outcome == outcome }?.target
    }
}

/// An edge of the flow: `outcome` of a node leads to `target`.
public struct Transition: Sendable, Equatable {
    public var outcome: String
    public var target: Located<String>

    public init(outcome: String, target: Located<String>) {
        self.outcome = outcome
        self.target = target
    }
}
