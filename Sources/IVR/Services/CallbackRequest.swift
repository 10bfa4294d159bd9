import Foundation

/// Queue a call back: after `delaySeconds`, call `to` and run `script` (nil: this script)
/// from `node` (nil: its start) on the answered leg.
public struct CallbackRequest: Sendable, Equatable, CustomStringConvertible {
    public var to: String
    public var callerID: String?
    public var delaySeconds: Int
    public var script: String?
    public var node: String?

    public init(to: String, callerID: String? = nil, delaySeconds: Int = 3, script: String? = nil, node: String? = nil) {
        self.to = to
        self.callerID = callerID
        self.delaySeconds = delaySeconds
        self.script = script
        self.node = node
    }

    public var description: String {
        var text = "\(to) in \(delaySeconds)s"
        if let callerID { text += " caller-id=\(callerID)" }
        if let script { text += " script=\(script)" }
        if let node { text += " node=\(node)" }
        return text
    }
}
