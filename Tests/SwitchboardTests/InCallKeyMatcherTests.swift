import IVR
import XCTest
@testable import Switchboard

final class InCallKeyMatcherTests: XCTestCase {
    private let keys: [String: DialKeyAction] = ["#11": .endLeg, "111": .sayBalance]

    private func type(_ digits: String, into matcher: inout InCallKeyMatcher, from start: Int64 = 0, step: Int64 = 200)
        -> [String] {
        var matched: [String] = []
        for (index, digit) in digits.enumerated() {
            if let match = matcher.digit(digit, atMilliseconds: start + Int64(index) * step) { matched.append(match.sequence) }
        }
        return matched
    }

    func testSequencesAreRecognisedAfterOtherDigits() {
        var matcher = InCallKeyMatcher(keys: keys)
        XCTAssertEqual(type("5#11", into: &matcher), ["#11"])
        var again = InCallKeyMatcher(keys: keys)
        XCTAssertEqual(again.digit("1", atMilliseconds: 0)?.action, nil)
        XCTAssertEqual(again.digit("1", atMilliseconds: 100)?.action, nil)
        XCTAssertEqual(again.digit("1", atMilliseconds: 200)?.action, .sayBalance)
    }

    func testADigitCountsOnceAfterAMatch() {
        var matcher = InCallKeyMatcher(keys: keys)
        // "#11" matches; the next "1" must not complete "111" with the two 1s already used.
        XCTAssertEqual(type("#111", into: &matcher), ["#11"])
        XCTAssertEqual(type("11", into: &matcher, from: 1000), ["111"])
    }

    func testAPauseLongerThanTheInterDigitTimeStartsOver() {
        var matcher = InCallKeyMatcher(keys: keys, interDigitMilliseconds: 3000)
        XCTAssertNil(matcher.digit("#", atMilliseconds: 0))
        XCTAssertNil(matcher.digit("1", atMilliseconds: 500))
        XCTAssertNil(matcher.digit("1", atMilliseconds: 4000), "the # and 1 were typed too long ago")
    }

    func testNoKeysNeverMatch() {
        var matcher = InCallKeyMatcher(keys: [:])
        XCTAssertEqual(type("#11111", into: &matcher), [])
    }
}
