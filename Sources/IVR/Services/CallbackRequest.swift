import Foundation

/// Queue a call back: after `delaySeconds` (nil: the server's configured delay), call `to`
/// and run `script` from `node` (nil: its start) on the answered leg.
public struct CallbackRequest: Sendable, Equatable, CustomStringConvertible {
    public var to: String
    /// True when the script wrote the number itself (`to: "4930123"`): the operator chose
    /// it. False when it came from a variable, which a caller may have typed or spoofed.
    public var toIsLiteral: Bool
    public var callerID: String?
    public var delaySeconds: Int?
    /// The script the callback leg runs: the verb's `script`, else the one it stands in.
    public var script: String?
    public var node: String?

    public init(to: String, toIsLiteral: Bool = false, callerID: String? = nil, delaySeconds: Int? = nil,
                script: String? = nil, node: String? = nil) {
        self.to = to
        self.toIsLiteral = toIsLiteral
        self.callerID = callerID
        self.delaySeconds = delaySeconds
        self.script = script
        self.node = node
    }

    public var description: String {
        var text = to
        if let delaySeconds { text += " in \(delaySeconds)s" }
        if let callerID { text += " caller-id=\(callerID)" }
        if let script { text += " script=\(script)" }
        if let node { text += " node=\(node)" }
        return text
    }
}
