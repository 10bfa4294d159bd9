import XCTest
@testable import SIP

/// Feeds random and mutated bytes to every parser entry point: none may trap.
/// Deterministic (fixed seed) and bounded so that it runs in a second or two.
final class SIPParserFuzzTests: XCTestCase {
    /// SplitMix64: small, fast, reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D4_049B_B133_111E
            return z ^ (z >> 31)
        }
    }

    static let interesting: [UInt8] = Array(" \t\r\n:;,=<>\"\\%@[]/?&0123456789SIPsip".utf8) + [0, 0x7f, 0x80, 0xff]

    func exercise(_ bytes: [UInt8]) {
        if let message = try? SIPMessageParser.parse(bytes) {
            // Whatever parsed must serialise and parse again.
            let again = message.serialized()
            XCTAssertNoThrow(try SIPMessageParser.parse(again))
            switch message {
            case .request(let r):
                _ = SIPRequestValidator().check(r)
                _ = (r.vias, r.from, r.to, r.cseq, r.contacts, r.routes, r.maxForwards, r.contentType, r.require)
                _ = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self))
            case .response(let r):
                _ = SIPRequestValidator().discardReason(for: r)
            }
        }
        if case .message(let start, let length) = SIPStreamFraming.next(in: bytes) {
            XCTAssertLessThanOrEqual(start + length, bytes.count)
            _ = try? SIPMessageParser.parse(bytes, in: start..<(start + length), stream: true)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? SIPURI(parsing: text)
        _ = try? SIPVia(parsing: text)
        _ = try? SIPNameAddress(parsing: text)
        _ = try? DigestCredentials(parsing: text)
    }

    func testMutatedTortureMessagesNeverTrap() throws {
        var rng = SeededGenerator(state: 0x5357_4954_4348)
        let corpus = try RFC4475Tests.corpus().map(\.bytes)
        for _ in 0..<3000 {
            var bytes = corpus.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                guard !bytes.isEmpty else { break }
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[i] = Self.interesting.randomElement(using: &rng)!
                case 1: bytes.remove(at: i)
                case 2: bytes.insert(Self.interesting.randomElement(using: &rng)!, at: i)
                case 3: bytes = Array(bytes.prefix(i))
                default:
                    let j = Int.random(in: i..<bytes.count, using: &rng)
                    bytes.insert(contentsOf: bytes[i..<min(j, i + 64)], at: j)
                }
            }
            exercise(bytes)
        }
    }

    func testRandomBytesNeverTrap() {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<300, using: &rng)
            var bytes = (0..<count).map { _ in Self.interesting.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { bytes = Array("INVITE sip:a@b SIP/2.0\r\n".utf8) + bytes }
            exercise(bytes)
        }
    }

    func testSDPNeverTraps() {
        var rng = SeededGenerator(state: 7)
        let base = Array(SDPTests.sippOffer.utf8)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = Self.interesting.randomElement(using: &rng)!
            }
            if let sdp = try? SessionDescription(parsing: String(decoding: bytes, as: UTF8.self)) {
                _ = try? SDPOfferAnswer.answer(to: sdp, localAddress: "10.0.0.1", localPort: 4000, sessionID: 1, sessionVersion: 1)
                _ = try? SessionDescription(parsing: sdp.description)
            }
        }
    }
}
