import XCTest
@testable import Media

final class TelephoneEventTests: XCTestCase {
    func testParseAndSerialise() {
        // RFC 4733 §2.3: event 5, E=1, volume 10, duration 800.
        let bytes: [UInt8] = [5, 0x8A, 0x03, 0x20]
        let event = TelephoneEvent(parsing: bytes)
        XCTAssertEqual(event, TelephoneEvent(event: 5, isEnd: true, volume: 10, duration: 800))
        XCTAssertEqual(event?.serialized(), bytes)
        XCTAssertNil(TelephoneEvent(parsing: [1, 2, 3]))
        XCTAssertEqual(TelephoneEvent(parsing: [11, 0x40, 0, 160])?.isEnd, false, "R bit is ignored")
    }

    func testDigitMapping() {
        let expected: [Character] = Array("0123456789*#ABCD")
        for (code, digit) in expected.enumerated() {
            XCTAssertEqual(TelephoneEvent(event: UInt8(code), duration: 0).digit, digit)
            XCTAssertEqual(TelephoneEvent.code(forDigit: digit), UInt8(code))
        }
        XCTAssertEqual(TelephoneEvent.code(forDigit: "b"), 13)
        XCTAssertNil(TelephoneEvent(event: 16, duration: 0).digit, "flash is not a key")
        XCTAssertNil(TelephoneEvent.code(forDigit: "x"))
    }

    /// The packets a typical phone sends for one key: start, updates, three ends.
    private func press(_ code: UInt8, timestamp: UInt32) -> [(UInt32, Bool, TelephoneEvent)] {
        [(timestamp, true, TelephoneEvent(event: code, duration: 160)),
         (timestamp, false, TelephoneEvent(event: code, duration: 400)),
         (timestamp, false, TelephoneEvent(event: code, duration: 800)),
         (timestamp, false, TelephoneEvent(event: code, isEnd: true, duration: 960)),
         (timestamp, false, TelephoneEvent(event: code, isEnd: true, duration: 960)),
         (timestamp, false, TelephoneEvent(event: code, isEnd: true, duration: 960))]
    }

    func testReceiverReportsEachPressOnce() {
        var receiver = TelephoneEventReceiver()
        var digits: [Character] = []
        let packets = press(1, timestamp: 1000) + press(1, timestamp: 3000) + press(11, timestamp: 5000)
        for (timestamp, marker, event) in packets {
            if let digit = receiver.receive(timestamp: timestamp, marker: marker, event: event) { digits.append(digit) }
        }
        XCTAssertEqual(String(digits), "11#", "the same key twice is two presses: new timestamps")
    }

    func testReceiverSurvivesLossOfTheStartPacketAndLateRetransmissions() {
        var receiver = TelephoneEventReceiver()
        var digits: [Character] = []
        var packets = press(2, timestamp: 100)
        packets.removeFirst()  // the marker packet was lost
        packets += press(3, timestamp: 2000)
        packets.append((100, false, TelephoneEvent(event: 2, isEnd: true, duration: 960)))  // late duplicate
        for (timestamp, marker, event) in packets {
            if let digit = receiver.receive(timestamp: timestamp, marker: marker, event: event) { digits.append(digit) }
        }
        XCTAssertEqual(String(digits), "23")
    }

    func testReceiverTreatsLongEventSegmentsAsOnePress() {
        var receiver = TelephoneEventReceiver()
        XCTAssertEqual(receiver.receive(timestamp: 0, marker: true, event: TelephoneEvent(event: 0, duration: 65535)), "0")
        // §2.5.1.3: after 65535 samples the sender starts a new segment, no marker.
        XCTAssertNil(receiver.receive(timestamp: 65535, marker: false, event: TelephoneEvent(event: 0, duration: 400)))
        XCTAssertNil(receiver.receive(timestamp: 65535, marker: false, event: TelephoneEvent(event: 0, isEnd: true, duration: 800)))
        XCTAssertEqual(receiver.receive(timestamp: 80000, marker: true, event: TelephoneEvent(event: 0, duration: 160)), "0")
    }

    func testSenderProducesStartUpdatesAndThreeEnds() throws {
        let sender = try XCTUnwrap(TelephoneEventSender(digit: "#", durationMilliseconds: 160))
        let steps = sender.steps
        XCTAssertEqual(steps.map(\.offsetMilliseconds), [0, 50, 100, 150, 160, 180, 200])
        XCTAssertEqual(steps.map(\.marker), [true, false, false, false, false, false, false])
        XCTAssertEqual(steps.map(\.event.event), Array(repeating: 11, count: 7))
        XCTAssertEqual(steps.map(\.event.isEnd), [false, false, false, false, true, true, true])
        XCTAssertEqual(steps.map(\.event.duration), [160, 400, 800, 1200, 1280, 1280, 1280])
        XCTAssertNil(TelephoneEventSender(digit: "x"))
    }

    func testSenderOutputIsReadByTheReceiverAsOneDigit() throws {
        var receiver = TelephoneEventReceiver()
        var digits: [Character] = []
        for (index, digit) in "9*D".enumerated() {
            let sender = try XCTUnwrap(TelephoneEventSender(digit: digit))
            for step in sender.steps {
                let wire = try XCTUnwrap(TelephoneEvent(parsing: step.event.serialized()))
                if let got = receiver.receive(timestamp: UInt32(index * 4000), marker: step.marker, event: wire) {
                    digits.append(got)
                }
            }
        }
        XCTAssertEqual(String(digits), "9*D")
    }
}
