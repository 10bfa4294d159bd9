import XCTest
@testable import SIP

/// The parser lets common Via, name-addr and CSeq shapes pass on a byte check and
/// leaves the rest to the typed parsers. The byte checks may say "not sure" as often
/// as they like, but never "fine" for a value the typed parser rejects: these tests
/// mutate realistic values at random and hold them to that.
final class SIPHeaderFastCheckTests: XCTestCase {
    private func check(_ value: String, _ fast: (UnsafeBufferPointer<UInt8>, Range<Int>) -> Bool) -> Bool {
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBufferPointer { fast($0, 0..<bytes.count) }
    }

    private let nameAddresses = [
        "\"sipp\" <sip:sipp@192.0.2.10:5061>;tag=4711SIPpTag001",
        "<sip:100@192.0.2.99:5060>",
        "Alice <sip:alice@example.com;transport=udp>;tag=a1 ; expires = 60",
        "<sips:bob@[2001:db8::1]:5061>",
        "<sip:192.0.2.30;lr>",
        "sip:bob@example.com;tag=x",
        "\"A \\\"quoted\\\" name\" <sip:a@b.c>",
        "<sip:user:pw@host.example;maddr=192.0.2.1?Subject=hi>",
        "<tel:+15551234>;tag=9",
    ]
    private let vias = [
        "SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4711-1-0;rport",
        "SIP / 2.0 / TCP host.example.com ; branch = z9hG4bK77 ; received=192.0.2.1",
        "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1",
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKb",
        "SIP/2.0/UDP 192.0.2.1;branch",
    ]
    private let cseqs = ["1 INVITE", "4294967295 BYE", "  17   OPTIONS ", "4294967296 INVITE", "1INVITE", "-1 ACK"]

    func testCommonShapesPassOnBytes() {
        XCTAssertTrue(check(nameAddresses[0], SIPHeaderFastCheck.isSimpleNameAddress))
        XCTAssertTrue(check(nameAddresses[1], SIPHeaderFastCheck.isSimpleNameAddress))
        XCTAssertTrue(check(nameAddresses[2], SIPHeaderFastCheck.isSimpleNameAddress))
        XCTAssertTrue(check(nameAddresses[4], SIPHeaderFastCheck.isSimpleNameAddress))
        XCTAssertTrue(check(vias[0], SIPHeaderFastCheck.isSimpleVia))
        XCTAssertTrue(check(vias[1], SIPHeaderFastCheck.isSimpleVia))
        XCTAssertTrue(check(cseqs[0], SIPHeaderFastCheck.isSimpleCSeq))
        XCTAssertTrue(check(cseqs[1], SIPHeaderFastCheck.isSimpleCSeq))
        // Left to the typed parser (which accepts or names the problem).
        XCTAssertFalse(check("<sip:a@b.c", SIPHeaderFastCheck.isSimpleNameAddress))
        XCTAssertFalse(check(vias[4], SIPHeaderFastCheck.isSimpleVia))
        XCTAssertFalse(check(cseqs[3], SIPHeaderFastCheck.isSimpleCSeq))
    }

    func testByteChecksNeverAcceptWhatTheTypedParsersReject() {
        var rng = SIPParserFuzzTests.SeededGenerator(state: 0x5EED_F457)
        let alphabet = Array(" \t;:=,<>\"\\@[]?%/.-_!~*'+`aZ09\u{7F}\u{0}\r\n".utf8) + [0xC3, 0xFF, 0x80]
        func mutate(_ s: String) -> [UInt8] {
            var b = Array(s.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let op = Int.random(in: 0..<3, using: &rng)
                let at = Int.random(in: 0...b.count, using: &rng)
                switch op {
                case 0: b.insert(alphabet.randomElement(using: &rng)!, at: at)
                case 1: if at < b.count { b.remove(at: at) }
                default: if at < b.count { b[at] = alphabet.randomElement(using: &rng)! }
                }
            }
            return b
        }
        var accepted = 0
        for _ in 0..<20_000 {
            let na = mutate(nameAddresses.randomElement(using: &rng)!)
            if na.withUnsafeBufferPointer({ SIPHeaderFastCheck.isSimpleNameAddress($0, 0..<na.count) }) {
                accepted += 1
                let text = String(decoding: na, as: UTF8.self)
                XCTAssertNoThrow(try SIPNameAddress(parsing: text, header: "From"), "byte check passed \(text.debugDescription)")
            }
            let via = mutate(vias.randomElement(using: &rng)!)
            if via.withUnsafeBufferPointer({ SIPHeaderFastCheck.isSimpleVia($0, 0..<via.count) }) {
                accepted += 1
                let text = String(decoding: via, as: UTF8.self)
                XCTAssertNoThrow(try SIPVia(parsing: text), "byte check passed \(text.debugDescription)")
            }
            let cseq = mutate(cseqs.randomElement(using: &rng)!)
            if cseq.withUnsafeBufferPointer({ SIPHeaderFastCheck.isSimpleCSeq($0, 0..<cseq.count) }) {
                accepted += 1
                let text = String(decoding: cseq, as: UTF8.self)
                XCTAssertNoThrow(try SIPCSeq(parsing: text), "byte check passed \(text.debugDescription)")
            }
        }
        XCTAssertGreaterThan(accepted, 5_000, "the byte checks accept mutated values that are still well-formed")
    }

    /// Headers of a parsed message are an index into its bytes; reading, changing and
    /// serialising them must behave as for headers built field by field.
    func testIndexedHeadersBehaveAsBuiltOnes() throws {
        let text = "INVITE sip:100@example.com SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\nf: <sip:a@example.com>;tag=1\r\nTo: <sip:100@example.com>\r\ni: abc@host\r\nCSeq: 1 INVITE\r\nX-Custom: one, two\r\nl: 0\r\n\r\n"
        guard case .request(var r) = try SIPMessageParser.parse(Array(text.utf8)) else { return XCTFail("not a request") }
        let built = SIPHeaders([("v", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1"), ("Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2"),
                                ("f", "<sip:a@example.com>;tag=1"), ("To", "<sip:100@example.com>"), ("i", "abc@host"),
                                ("CSeq", "1 INVITE"), ("X-Custom", "one, two"), ("l", "0")])
        XCTAssertEqual(r.headers, built)
        XCTAssertEqual(r.headers.hashValue, built.hashValue)
        XCTAssertEqual(r.headers.values("Via").count, 2)
        XCTAssertEqual(r.headers["x-custom"], "one, two")
        XCTAssertEqual(r.headers["Call-ID"], "abc@host")
        XCTAssertEqual(r.headers.fieldCount("via"), 2)
        XCTAssertEqual(r.topVia?.branch, "z9hG4bK1")
        XCTAssertEqual(r.from?.tag, "1")
        XCTAssertEqual(SIPResponse(replyingTo: r, statusCode: 200, toTag: "t").headers.values("Via").count, 2)
        XCTAssertEqual(String(decoding: r.serialized(), as: UTF8.self),
                       String(decoding: SIPRequest(method: .invite, uri: r.uri, headers: built).serialized(), as: UTF8.self))
        r.headers.prepend("Via", "SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK3")
        r.headers.set("X-Custom", "three")
        XCTAssertEqual(r.headers.values("Via").count, 3)
        XCTAssertEqual(r.headers["X-Custom"], "three")
        XCTAssertEqual(r.headers.count, 9)
    }
}
