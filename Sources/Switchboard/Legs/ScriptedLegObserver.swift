import Foundation

/// Who watches a scripted leg from outside it: a callback's queue entry follows the leg's
/// progress (calling-b, connected, back to a-answered, completed) through this, so the
/// leg itself knows nothing of queues. All calls on the SIP loop, in order.
protocol ScriptedLegObserver {
    /// The leg is answered and its script started.
    func scriptStarted()
    /// The script's `dial` is placing a forward.
    func forwardDialing()
    /// The forward's first party answered and is connected.
    func forwardConnected()
    /// The forward is over; the script goes on.
    func forwardEnded()
    /// The leg is over and its billing settled. Final.
    func legEnded()
}

/// A callback's A leg reported to the callback worker (`CallbackLegReporter`).
struct CallbackProgressObserver: ScriptedLegObserver {
    let events: CallbackLegReporter
    /// Writes the leg's CDR when no reservation does (a registered phone, a free A leg).
    var unreservedRecord: (@Sendable () -> Void)? = nil

    func scriptStarted() { events.report(.answered) }
    func forwardDialing() { events.report(.callingB) }
    func forwardConnected() { events.report(.connected) }
    func forwardEnded() { events.report(.bLegEnded) }
    func legEnded() {
        unreservedRecord?()
        events.report(.ended)
    }
}
