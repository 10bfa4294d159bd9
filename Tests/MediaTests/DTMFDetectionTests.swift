import Media
import XCTest

/// Which detector runs, as a table: every `DTMFMode` × telephone-event offered or not ×
/// an RFC 4733 event seen or not (issue 19).
final class DTMFDetectionTests: XCTestCase {
    static let table: [(mode: DTMFMode, offered: Bool, seen: Bool, expect: DTMFDetection)] = [
        // auto: today's rule, tones until the peer shows it sends events.
        (.auto, false, false, .inbandOnly),
        (.auto, false, true, .inbandOnly),
        (.auto, true, false, .both),
        (.auto, true, true, .telephoneEventsOnly),
        // rfc4733: never the tone detector; nothing at all without telephone-event.
        (.rfc4733, false, false, .nothing),
        (.rfc4733, false, true, .nothing),
        (.rfc4733, true, false, .telephoneEventsOnly),
        (.rfc4733, true, true, .telephoneEventsOnly),
        // inband: always tones, never events.
        (.inband, false, false, .inbandOnly),
        (.inband, false, true, .inbandOnly),
        (.inband, true, false, .inbandOnly),
        (.inband, true, true, .inbandOnly),
    ]

    func testEveryModeOfferAndEventSeen() {
        XCTAssertEqual(Self.table.count, DTMFMode.allCases.count * 2 * 2, "every combination is a row")
        for row in Self.table {
            let decision = DTMFDetection.decide(mode: row.mode, offeredTelephoneEvent: row.offered, telephoneEventSeen: row.seen)
            XCTAssertEqual(decision, row.expect, "\(row.mode) × offered \(row.offered) × seen \(row.seen)")
        }
    }

    func testOnlyAnRFC4733LegWithoutTelephoneEventHearsNothing() {
        for mode in DTMFMode.allCases {
            for offered in [false, true] {
                let decision = DTMFDetection.decide(mode: mode, offeredTelephoneEvent: offered, telephoneEventSeen: false)
                XCTAssertEqual(decision.hearsNothing, mode == .rfc4733 && !offered, "\(mode) × offered \(offered)")
            }
        }
    }

    func testModesAreParsedAsWritten() {
        XCTAssertEqual(DTMFMode.allCases.map { DTMFMode(rawValue: $0.description) }, DTMFMode.allCases)
        XCTAssertNil(DTMFMode(rawValue: "RFC4733"))
        XCTAssertNil(DTMFMode(rawValue: "info"))
        XCTAssertNil(DTMFMode(rawValue: ""))
    }
}
