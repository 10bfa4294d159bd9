import Foundation

/// `callback`: queues a call back to `to` (default `$caller`) after `delay` (default the
/// access number's `callback.delay`), which then runs `script` (default this one) from
/// `node` (default its start). Outcome `next` once queued, `failed` when the services
/// refuse (without a `failed` target, `next` as well).
public struct CallbackVerb: Sendable {
    public var to: Template
    public var callerID: Template?
    /// nil: the server's configured delay.
    public var delaySeconds: Int?
    public var script: Located<String>?
    public var node: Located<String>?

    public static let outcomes = ["failed"]

    public init(to: Template, callerID: Template? = nil, delaySeconds: Int? = nil, script: Located<String>? = nil,
                node: Located<String>? = nil) {
        self.to = to
        self.callerID = callerID
        self.delaySeconds = delaySeconds
        self.script = script
        self.node = node
    }
}
