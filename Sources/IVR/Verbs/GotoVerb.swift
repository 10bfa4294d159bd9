import Foundation

/// `goto`: continues at a node of this script, or at another script (its start node or
/// a named node). Other scripts come from the `ScriptLibrary` given to the interpreter.
public struct GotoVerb: Sendable {
    public var node: Located<String>?
    public var script: Located<String>?

    public init(node: Located<String>?, script: Located<String>? = nil) {
        self.node = node
        self.script = script
    }
}
