import IVR
import Logging
import NIOConcurrencyHelpers
import XCTest
@testable import Switchboard

/// The call log's levels (issue 18): a call is three lines at info, every step is debug;
/// the hangup line has its durations; digits typed in an `authenticate` node (a PIN or
/// password) never appear.
final class CallLoggerTests: XCTestCase {
    struct Line: Equatable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// A swift-log backend that keeps what it is given.
    struct CapturingHandler: LogHandler {
        let lines: NIOLockedValueBox<[Line]>
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var fields: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
            lines.withLockedValue { $0.append(Line(level: event.level, message: event.message.description, metadata: fields)) }
        }
    }

    private func logger(level: Logger.Level) -> (CallLogger, NIOLockedValueBox<[Line]>) {
        let lines = NIOLockedValueBox<[Line]>([])
        var base = Logger(label: "test") { _ in CapturingHandler(lines: lines, logLevel: level) }
        base.logLevel = level
        return (CallLogger(base: base, callID: "call-1"), lines)
    }

    private let location = SourceLocation(file: "card.yaml", line: 3, column: 3)

    func testInfoIsThreeLinesPerCall() {
        let (log, lines) = logger(level: .info)
        log.event("call received", ["from": "5551234", "to": "100"])
        log.event("ringing", ["for-ms": "0"])
        log.event("answered", ["rtp-port": "42000"])
        log.trace(.nodeEntered(node: "start", verb: "play", location: location))
        log.event("prompt started", ["playback": "1"])
        log.event("dtmf", ["digit": "1", "via": "rfc4733"])
        log.event("hangup", ["by": "server", "cause": "normal"])
        log.problem("BYE not answered", [:])
        let seen = lines.withLockedValue { $0 }
        XCTAssertEqual(seen.map(\.message), ["call received", "answered", "hangup", "BYE not answered"])
        XCTAssertEqual(seen.map(\.level), [.info, .info, .info, .warning])
        XCTAssertTrue(seen.allSatisfy { $0.metadata["call-id"] == "call-1" })
        let hangup = seen[2].metadata
        XCTAssertEqual(hangup["cause"], "normal")
        XCTAssertNotNil(hangup["duration"].flatMap(Double.init), "\(hangup)")
        XCTAssertNotNil(hangup["talk"].flatMap(Double.init), "\(hangup)")
    }

    func testDebugHasEveryStepAndTheTrace() {
        let (log, lines) = logger(level: .debug)
        log.event("call received", [:])
        log.event("prompt started", ["playback": "1"])
        log.trace(.outcome(node: "start", outcome: "done", next: "bye"))
        let seen = lines.withLockedValue { $0 }
        XCTAssertEqual(seen.map(\.message), ["call received", "prompt started", "outcome"])
        XCTAssertEqual(seen.map(\.level), [.info, .debug, .debug])
        XCTAssertEqual(seen[2].metadata["step"], "outcome")
        XCTAssertEqual(seen[2].metadata["next"], "bye")
    }

    func testDigitsOfAnAuthenticateNodeAreMasked() {
        let (log, lines) = logger(level: .trace)
        log.trace(.nodeEntered(node: "menu", verb: "menu", location: location))
        log.event("dtmf", ["digit": "7", "via": "rfc4733"])
        log.trace(.digitAccepted(node: "menu", "7"))
        log.trace(.nodeEntered(node: "login", verb: "authenticate", location: location))
        for digit in "4711#" {
            log.event("dtmf", ["digit": String(digit), "via": "rfc4733"])
            log.trace(.digitAccepted(node: "login", digit))
        }
        log.trace(.outcome(node: "login", outcome: "ok", next: "main"))
        log.event("dtmf", ["digit": "9", "via": "sip-info"])
        let digits = lines.withLockedValue { $0 }.compactMap { $0.metadata["digit"] }
        XCTAssertEqual(digits.joined(), "77**********9")
    }

    func testSecondsKeepMilliseconds() {
        XCTAssertEqual(CallLogger.seconds(.milliseconds(12_345)), "12.345")
        XCTAssertEqual(CallLogger.seconds(.milliseconds(7)), "0.007")
        XCTAssertEqual(CallLogger.seconds(.seconds(-1)), "0.000")
    }
}
