import IVR
import Logging
import NIOConcurrencyHelpers

/// One structured log event per call step (DESIGN.md: call received, answered, prompt
/// started and finished, each digit with how it arrived, digits collected, hangup).
///
/// Levels (issue 18): at `info` a call is three lines, `call received` (or `callback
/// answered`), `answered` and `hangup` with its cause and duration; every other step and
/// the script trace are `debug`; problems are `warning`. No secret reaches a line: while
/// the script is in an `authenticate` node, digits (which may be a PIN or password) are
/// logged as `*`; collected secrets come masked from the interpreter.
struct CallLogger: Sendable {
    var logger: Logger
    private let state: NIOLockedValueBox<State>

    /// What the logger remembers of its call: when it began and was answered (for the
    /// hangup line's durations) and whether digits are a secret right now.
    private struct State {
        var received: ContinuousClock.Instant
        var answered: ContinuousClock.Instant?
        var secretEntryNode: String?
    }

    /// The events logged at `info`; everything else is `debug` unless a level is given.
    static let infoEvents: Set<String> = ["call received", "callback answered", "answered", "hangup"]

    init(base: Logger, callID: String) {
        logger = base
        logger[metadataKey: "call-id"] = "\(callID)"
        state = NIOLockedValueBox(State(received: .now))
    }

    /// Logs one call event. `level` overrides the default (`info` for `infoEvents`, else `debug`).
    func event(_ name: String, _ fields: [String: String] = [:], level: Logger.Level? = nil) {
        let level = level ?? (Self.infoEvents.contains(name) ? .info : .debug)
        let now = ContinuousClock.now
        let (received, answered, secret) = state.withLockedValue { state in
            if name == "answered" || name == "callback answered", state.answered == nil { state.answered = now }
            return (state.received, state.answered, state.secretEntryNode != nil)
        }
        guard logger.logLevel <= level else { return }
        var fields = fields
        if name == "hangup" {
            fields["duration"] = Self.seconds(now - received)
            fields["talk"] = answered.map { Self.seconds(now - $0) } ?? "0.000"
        }
        if secret, fields["digit"] != nil { fields["digit"] = "*" }
        logger.log(level: level, "\(name)", metadata: fields.mapValues { .string($0) })
    }

    /// The interpreter's step records, at `debug`.
    func trace(_ trace: IVRTrace) {
        let secret = state.withLockedValue { state -> Bool in
            switch trace {
            case let .nodeEntered(node, verb, _):
                state.secretEntryNode = verb == "authenticate" ? node : nil
            case let .outcome(node, _, _) where node == state.secretEntryNode:
                state.secretEntryNode = nil
            case .hangup, .remoteHangup, .scriptEntered, .scriptStarted:
                state.secretEntryNode = nil
            default:
                break
            }
            return state.secretEntryNode != nil
        }
        guard logger.logLevel <= .debug else { return }
        var fields = trace.fields
        fields["step"] = trace.kind
        if secret, fields["digit"] != nil { fields["digit"] = "*" }
        logger.debug("\(trace.kind)", metadata: fields.mapValues { .string($0) })
    }

    func problem(_ name: String, _ fields: [String: String]) {
        logger.warning("\(name)", metadata: fields.mapValues { .string($0) })
    }

    /// Seconds with milliseconds, e.g. `12.345`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = max(0, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
