import Foundation
import XCTest
@testable import SIP

/// Every RFC 4475 torture message, with the outcome the RFC names for it.
///
/// How each RFC-mandated handling maps to what this module does (a UAS acts on it):
///
/// | file        | RFC 4475 §     | RFC says                                         | here                                   |
/// |-------------|----------------|--------------------------------------------------|----------------------------------------|
/// | wsinv       | 3.1.1.1        | valid, must parse                                | parses, validator accepts              |
/// | intmeth     | 3.1.1.2        | valid                                            | parses (method .other), accepts        |
/// | esc01       | 3.1.1.3        | valid, escapes in URIs                           | parses, accepts                        |
/// | escnull     | 3.1.1.4        | valid, %00 in user                               | parses, accepts                        |
/// | esc02       | 3.1.1.5        | valid, % not an escape                           | parses, accepts                        |
/// | lwsdisp     | 3.1.1.6        | valid, no LWS before <                           | parses, accepts                        |
/// | longreq     | 3.1.1.7        | valid, long values                               | parses, accepts                        |
/// | dblreq      | 3.1.1.8        | process REGISTER, ignore the extra octets        | parses as REGISTER, empty body         |
/// | semiuri     | 3.1.1.9        | valid, ; in user part                            | parses, accepts                        |
/// | transports  | 3.1.1.10       | valid, unknown transports                        | parses, accepts                        |
/// | mpart01     | 3.1.1.11       | valid multipart body                             | parses; a UAS without multipart: 415   |
/// | unreason    | 3.1.1.12       | valid response, UTF-8 reason                     | parses, response processed             |
/// | noreason    | 3.1.1.13       | valid response, empty reason                     | parses, response processed             |
/// | badinv01    | 3.1.2.1        | 400                                              | parse error 400 (Via, line 7)          |
/// | clerr       | 3.1.2.2        | UDP: 400                                         | parse error 400 (Content-Length line)  |
/// | ncl         | 3.1.2.3        | 400                                              | parse error 400                        |
/// | scalar02    | 3.1.2.4        | 400 (CSeq)                                       | parse error 400 (CSeq)                 |
/// | scalarlg    | 3.1.2.5        | response discarded                               | parse error (responses: dropped)       |
/// | quotbal     | 3.1.2.6        | 400 reasonable                                   | parse error 400 (To)                   |
/// | ltgtruri    | 3.1.2.7        | 400                                              | parse error 400 (Request-Line)         |
/// | lwsruri     | 3.1.2.8        | 400                                              | parse error 400 (Request-Line)         |
/// | lwsstart    | 3.1.2.9        | 400                                              | parse error 400 (Request-Line)         |
/// | trws        | 3.1.2.10       | 400 reasonable                                   | parse error 400 (Request-Line)         |
/// | escruri     | 3.1.2.11       | 400 acceptable                                   | validator 400                          |
/// | baddate     | 3.1.2.12       | may ignore Date if not used                      | parses, accepts (Date is not used)     |
/// | regbadct    | 3.1.2.13       | 400 reasonable                                   | parse error 400 (Contact)              |
/// | badaspec    | 3.1.2.14       | 400 reasonable                                   | parse error 400 (To)                   |
/// | baddn       | 3.1.2.15       | 400                                              | parse error 400 (From)                 |
/// | badvers     | 3.1.2.16       | 505                                              | parse error 505                        |
/// | mismatch01  | 3.1.2.17       | 400                                              | validator 400                          |
/// | mismatch02  | 3.1.2.18       | 501 (400 acceptable)                             | validator 501                          |
/// | bigcode     | 3.1.2.19       | response discarded                               | parse error (responses: dropped)       |
/// | badbranch   | 3.2.1          | 400, or RFC 2543 fallback                        | validator 400                          |
/// | insuf       | 3.3.1          | 400                                              | validator 400 (missing headers)        |
/// | unkscm      | 3.3.2          | 416                                              | validator 416                          |
/// | novelsc     | 3.3.3          | 416 unless scheme supported                      | validator 416                          |
/// | unksm2      | 3.3.4          | parse; a registrar answers 400                   | validator 400 (REGISTER To not SIP)    |
/// | bext01      | 3.3.5          | 420 + Unsupported (Require tags)                 | validator 420 + Unsupported            |
/// | invut       | 3.3.6          | 415 + Accept                                     | validator 415 + Accept                 |
/// | regaut01    | 3.3.7          | well formed; registrar challenges (401)          | accepts; DigestCredentials rejects it  |
/// | multi01     | 3.3.8          | 400                                              | validator 400 (duplicate headers)      |
/// | mcl01       | 3.3.9          | 400                                              | parse error 400 (Content-Length twice) |
/// | bcast       | 3.3.10         | endpoint discards                                | parses; discardReason (2 Vias)         |
/// | zeromf      | 3.3.11         | endpoint processes OPTIONS at Max-Forwards 0     | parses, accepts (INVITE would be 483)  |
/// | cparam01    | 3.3.12         | contact-param, REGISTER succeeds                 | parses, accepts; param on Contact      |
/// | cparam02    | 3.3.13         | URI param, REGISTER succeeds                     | parses, accepts; param on the URI      |
/// | regescrt    | 3.3.14         | registrar stores the escaped Route               | parses, accepts; URI header kept       |
/// | sdp01       | 3.3.15         | 406                                              | validator 406                          |
/// | inv2543     | 3.4.1          | accept (RFC 2543 backward compatibility)         | parses, accepts                        |
final class RFC4475Tests: XCTestCase {
    enum Outcome: Equatable {
        /// Parses; a request passes the validator, a response is not discarded.
        case accepted
        /// The parser refuses it; a request is answered with this status.
        case parseError(status: Int, line: Int)
        /// Parses, the validator rejects it with this status.
        case rejected(status: Int)
        /// A response that must be dropped (parse error or discard reason).
        case responseDropped
    }

    static let expected: [String: Outcome] = [
        "valid/wsinv": .accepted,
        "valid/intmeth": .accepted,
        "valid/esc01": .accepted,
        "valid/escnull": .accepted,
        "valid/esc02": .accepted,
        "valid/lwsdisp": .accepted,
        "valid/longreq": .accepted,
        "valid/dblreq": .accepted,
        "valid/semiuri": .accepted,
        "valid/transports": .accepted,
        "valid/mpart01": .rejected(status: 415),
        "valid/unreason": .accepted,
        "valid/noreason": .accepted,
        "invalid/badinv01": .parseError(status: 400, line: 7),
        "invalid/clerr": .parseError(status: 400, line: 10),
        "invalid/ncl": .parseError(status: 400, line: 10),
        "invalid/scalar02": .parseError(status: 400, line: 5),
        "invalid/scalarlg": .responseDropped,
        "invalid/quotbal": .parseError(status: 400, line: 2),
        "invalid/ltgtruri": .parseError(status: 400, line: 1),
        "invalid/lwsruri": .parseError(status: 400, line: 1),
        "invalid/lwsstart": .parseError(status: 400, line: 1),
        "invalid/trws": .parseError(status: 400, line: 1),
        "invalid/escruri": .rejected(status: 400),
        "invalid/baddate": .accepted,
        "invalid/regbadct": .parseError(status: 400, line: 8),
        "invalid/badaspec": .parseError(status: 400, line: 5),
        "invalid/baddn": .parseError(status: 400, line: 4),
        "invalid/badvers": .parseError(status: 505, line: 1),
        "invalid/mismatch01": .rejected(status: 400),
        "invalid/mismatch02": .rejected(status: 501),
        "invalid/bigcode": .responseDropped,
        "invalid/badbranch": .rejected(status: 400),
        "invalid/insuf": .rejected(status: 400),
        "invalid/unkscm": .rejected(status: 416),
        "invalid/novelsc": .rejected(status: 416),
        "invalid/unksm2": .rejected(status: 400),
        "invalid/bext01": .rejected(status: 420),
        "invalid/invut": .rejected(status: 415),
        "invalid/regaut01": .accepted,
        "invalid/multi01": .rejected(status: 400),
        "invalid/mcl01": .parseError(status: 400, line: 9),
        "invalid/bcast": .responseDropped,
        "invalid/zeromf": .accepted,
        "invalid/cparam01": .accepted,
        "invalid/cparam02": .accepted,
        "invalid/regescrt": .accepted,
        "invalid/sdp01": .rejected(status: 406),
        "invalid/inv2543": .accepted,
    ]

    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "RFC4475", withExtension: nil))
        var result = [(String, [UInt8])]()
        for folder in ["valid", "invalid"] {
            let dir = root.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".dat") }.sorted()
            for file in files {
                let data = try Data(contentsOf: dir.appendingPathComponent(file))
                result.append(("\(folder)/\(file.dropLast(4))", Array(data)))
            }
        }
        return result
    }

    static func load(_ name: String) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "RFC4475", withExtension: nil)).appendingPathComponent(name + ".dat")
        return Array(try Data(contentsOf: url))
    }

    func outcome(of bytes: [UInt8], validator: SIPRequestValidator = SIPRequestValidator()) -> (Outcome, SIPParseError?, SIPMessage?) {
        do {
            let message = try SIPMessageParser.parse(bytes)
            switch message {
            case .request(let request):
                if let rejection = validator.check(request) { return (.rejected(status: rejection.statusCode), nil, message) }
                return (.accepted, nil, message)
            case .response(let response):
                return (validator.discardReason(for: response) == nil ? .accepted : .responseDropped, nil, message)
            }
        } catch {
            if bytes.starts(with: Array("SIP/".utf8)) { return (.responseDropped, error, nil) }
            return (.parseError(status: error.status, line: error.line), error, nil)
        }
    }

    func testEveryMessageHasItsRFCOutcome() throws {
        let corpus = try Self.corpus()
        XCTAssertEqual(corpus.count, 49)
        XCTAssertEqual(Set(corpus.map(\.name)), Set(Self.expected.keys), "table and corpus differ")
        for (name, bytes) in corpus {
            let (got, error, _) = outcome(of: bytes)
            XCTAssertEqual(got, Self.expected[name], "\(name): \(error?.description ?? "")")
            if case .parseError = got {
                // A request that cannot be parsed can still be answered.
                XCTAssertNotNil(error?.salvage, "\(name) should salvage Via/From/To/Call-ID/CSeq")
                XCTAssertFalse(error?.reason.isEmpty ?? true)
            }
        }
    }

    func testSalvagedRequestAnswersTheError() throws {
        let bytes = try Self.load("invalid/badvers")
        XCTAssertThrowsError(try SIPMessageParser.parse(bytes)) { error in
            let e = error as! SIPParseError
            XCTAssertEqual(e.status, 505)
            let salvage = e.salvage!
            XCTAssertEqual(salvage.method, .options)
            let response = SIPResponse(replyingTo: salvage, statusCode: e.status, toTag: "abc")
            XCTAssertEqual(response.headers["Call-ID"], "badvers.31417@c.example.com")
            XCTAssertEqual(response.headers["CSeq"], "1 OPTIONS")
            XCTAssertEqual(response.to?.tag, "abc")
            XCTAssertEqual(response.reasonPhrase, "Version Not Supported")
        }
    }

    func testWsinvTortuousInvite() throws {
        guard case .request(let r) = try SIPMessageParser.parse(Self.load("valid/wsinv")) else { return XCTFail() }
        XCTAssertEqual(r.method, .invite)
        XCTAssertEqual(r.uri.parameter("unknownparam"), SIPParameter(name: "unknownparam"))
        XCTAssertEqual(r.to?.tag, "1918181833n")
        XCTAssertEqual(r.to?.uri.user, "vivekg")
        XCTAssertEqual(r.from?.displayName, "J Rosenberg \\\"")
        XCTAssertEqual(r.from?.tag, "98asjd8")
        XCTAssertEqual(r.maxForwards, 68)
        XCTAssertEqual(r.cseq, SIPCSeq(sequence: 9, method: .invite))
        XCTAssertEqual(r.callID, "wsinv.ndaksdj@192.0.2.1")
        let vias = r.vias
        XCTAssertEqual(vias.count, 3)
        XCTAssertEqual(vias[0].transport, "UDP")
        XCTAssertEqual(vias[0].host, "192.0.2.2")
        XCTAssertEqual(vias[0].branch, "390skdjuw")
        XCTAssertEqual(vias[1].transport, "TCP")
        XCTAssertEqual(vias[1].host, "spindle.example.com")
        XCTAssertEqual(vias[1].branch, "z9hG4bK9ikj8")
        XCTAssertEqual(vias[2].host, "192.168.255.111")
        XCTAssertEqual(vias[2].branch, "z9hG4bK30239")
        XCTAssertEqual(r.headers["Subject"], "")
        XCTAssertEqual(r.headers["NewFangledHeader"], "newfangled value continued newfangled value")
        XCTAssertEqual(r.headers["UnknownHeaderWithUnusualValue"], ";;,,;;,;")
        XCTAssertEqual(r.routes.first?.uri.parameter("lr"), SIPParameter(name: "lr"))
        let contact = try XCTUnwrap(r.contacts.first)
        XCTAssertEqual(contact.displayName, "Quoted string \"\"")
        XCTAssertEqual(contact.parameter("newparam")?.value, "newvalue")
        XCTAssertEqual(contact.parameter("secondparam"), SIPParameter(name: "secondparam"))
        XCTAssertEqual(contact.parameter("q")?.value, "0.33")
        XCTAssertEqual(r.contentType, "application/sdp")
        XCTAssertEqual(r.body.count, 150)
        XCTAssertNoThrow(try SessionDescription(parsing: String(decoding: r.body, as: UTF8.self)))
    }

    func testIntmethUnusualCharacters() throws {
        guard case .request(let r) = try SIPMessageParser.parse(Self.load("valid/intmeth")) else { return XCTFail() }
        XCTAssertEqual(r.method, .other("!interesting-Method0123456789_*+`.%indeed'~"))
        XCTAssertEqual(r.cseq?.method, r.method)
        XCTAssertEqual(r.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        XCTAssertEqual(r.uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        XCTAssertEqual(r.uri.host, "example.com")
        XCTAssertEqual(r.to?.displayName, "BEL:\u{07} NUL:\u{00} DEL:\u{7F}")
        XCTAssertEqual(r.from?.displayName, "token1~` token2'+_ token3*%!.-")
        XCTAssertEqual(r.from?.tag, "_token~1'+`*%!-.")
        XCTAssertEqual(r.from?.parameter("fromParam''~+*_!.-%")?.value, "\"работающий\"")
        XCTAssertEqual(r.callID, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        XCTAssertEqual(r.headers["extensionHeader-!.%*+_`'~"], "\u{FEFF}大停電")
        XCTAssertEqual(r.vias.first?.branch, "z9hG4bK-.!%66*_+`'~")
        // The URI survives a round trip.
        XCTAssertEqual(try SIPURI(parsing: r.uri.description), r.uri)
    }

    func testEscapingMessages() throws {
        guard case .request(let esc01) = try SIPMessageParser.parse(Self.load("valid/esc01")) else { return XCTFail() }
        XCTAssertEqual(esc01.uri.user, "sips:user@example.com")
        XCTAssertEqual(esc01.uri.host, "example.net")
        XCTAssertEqual(esc01.to?.uri.user, "user")
        XCTAssertEqual(esc01.from?.uri.user, "I have spaces")
        let contact = try XCTUnwrap(esc01.contacts.first)
        XCTAssertEqual(contact.uri.user, "caller")
        XCTAssertEqual(contact.uri.parameter("lr"), SIPParameter(name: "lr"))
        XCTAssertEqual(contact.uri.parameter("name")?.value, "value%41")
        XCTAssertEqual(esc01.uri.description, "sip:sips%3Auser%40example.com@example.net")

        guard case .request(let esc02) = try SIPMessageParser.parse(Self.load("valid/esc02")) else { return XCTFail() }
        XCTAssertEqual(esc02.method, .other("RE%47IST%45R"))
        XCTAssertEqual(esc02.to?.displayName, "%Z%45")
        XCTAssertEqual(esc02.contacts.count, 2, "C%6Fntact is an unknown header, not Contact")
        XCTAssertEqual(esc02.headers["C%6Fntact"], "<sip:alias2@host2.example.com>")
        XCTAssertEqual(esc02.topVia?.branch, "z9hG4bK209%fzsnel234")

        guard case .request(let escnull) = try SIPMessageParser.parse(Self.load("valid/escnull")) else { return XCTFail() }
        XCTAssertEqual(escnull.to?.uri.user, "null-\u{0}-null")
        XCTAssertEqual(escnull.contacts.map(\.uri.user), ["\u{0}", "\u{0}\u{0}"])
        XCTAssertEqual(escnull.contacts[1].uri.description, "sip:%00%00@host5.example.com")

        guard case .request(let semi) = try SIPMessageParser.parse(Self.load("valid/semiuri")) else { return XCTFail() }
        XCTAssertEqual(semi.uri.user, "user;par=u@example.net")
        XCTAssertEqual(semi.uri.host, "example.com")
        XCTAssertTrue(semi.uri.parameters.isEmpty)
        XCTAssertEqual(semi.accept, ["application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed", "message/sip", "message/sipfrag"])
    }

    func testLongAndOddButValidMessages() throws {
        guard case .request(let longreq) = try SIPMessageParser.parse(Self.load("valid/longreq")) else { return XCTFail() }
        XCTAssertEqual(longreq.vias.count, 34)
        XCTAssertEqual(longreq.vias.last?.received, "192.0.2.5")
        XCTAssertEqual(longreq.to?.uri.port, 6000)
        XCTAssertEqual(longreq.body.count, longreq.contentLength)

        guard case .request(let dblreq) = try SIPMessageParser.parse(Self.load("valid/dblreq")) else { return XCTFail() }
        XCTAssertEqual(dblreq.method, .register)
        XCTAssertEqual(dblreq.body, [])
        XCTAssertEqual(dblreq.callID, "dblreq.0ha0isndaksdj99sdfafnl3lk233412")

        guard case .request(let lwsdisp) = try SIPMessageParser.parse(Self.load("valid/lwsdisp")) else { return XCTFail() }
        XCTAssertEqual(lwsdisp.from?.displayName, "caller")

        guard case .request(let transports) = try SIPMessageParser.parse(Self.load("valid/transports")) else { return XCTFail() }
        XCTAssertEqual(transports.vias.map(\.transport), ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        XCTAssertEqual(transports.callID, "transports.kijh4akdnaqjkwendsasfdj")

        guard case .request(let mpart) = try SIPMessageParser.parse(Self.load("valid/mpart01")) else { return XCTFail() }
        XCTAssertEqual(mpart.contentType, "multipart/mixed")
        XCTAssertEqual(mpart.body.count, 553)
        XCTAssertEqual(mpart.topVia?.rport, .requested)
        // A UAS that accepts multipart bodies takes it.
        XCTAssertNil(SIPRequestValidator(acceptedContentTypes: ["multipart/mixed"]).check(mpart))

        guard case .response(let unreason) = try SIPMessageParser.parse(Self.load("valid/unreason")) else { return XCTFail() }
        XCTAssertEqual(unreason.statusCode, 200)
        XCTAssertTrue(unreason.reasonPhrase.hasPrefix("= 2**3 * 5**2 \u{043D}\u{043E}"))
        XCTAssertEqual(unreason.body.count, 154)

        guard case .response(let noreason) = try SIPMessageParser.parse(Self.load("valid/noreason")) else { return XCTFail() }
        XCTAssertEqual(noreason.statusCode, 100)
        XCTAssertEqual(noreason.reasonPhrase, "")

        guard case .request(let inv2543) = try SIPMessageParser.parse(Self.load("invalid/inv2543")) else { return XCTFail() }
        XCTAssertNil(inv2543.topVia?.branch)
        XCTAssertNil(inv2543.maxForwards)
        XCTAssertNil(inv2543.from?.tag)
        XCTAssertFalse(inv2543.body.isEmpty, "without Content-Length a datagram's body is the rest")
    }

    func testRegisterContactParameters() throws {
        guard case .request(let c1) = try SIPMessageParser.parse(Self.load("invalid/cparam01")) else { return XCTFail() }
        XCTAssertEqual(c1.contacts.first?.parameter("unknownparam"), SIPParameter(name: "unknownparam"))
        XCTAssertTrue(c1.contacts.first?.uri.parameters.isEmpty ?? false)
        guard case .request(let c2) = try SIPMessageParser.parse(Self.load("invalid/cparam02")) else { return XCTFail() }
        XCTAssertEqual(c2.contacts.first?.uri.parameter("unknownparam"), SIPParameter(name: "unknownparam"))
        XCTAssertTrue(c2.contacts.first?.parameters.isEmpty ?? false)
        guard case .request(let esc) = try SIPMessageParser.parse(Self.load("invalid/regescrt")) else { return XCTFail() }
        XCTAssertEqual(esc.contacts.first?.uri.header("Route"), "<sip:sip.example.com>")
        XCTAssertEqual(esc.contacts.first?.uri.description, "sip:user@example.com?Route=%3Csip:sip.example.com%3E")
    }

    func testRejectionsCarryTheirHeaders() throws {
        let validator = SIPRequestValidator()
        guard case .request(let bext) = try SIPMessageParser.parse(Self.load("invalid/bext01")) else { return XCTFail() }
        let r420 = try XCTUnwrap(validator.check(bext))
        XCTAssertEqual(r420.statusCode, 420)
        XCTAssertEqual(r420.extraHeaders, [SIPHeaderField(name: "Unsupported", value: "nothingSupportsThis, nothingSupportsThisEither")])
        let response = r420.response(to: bext, toTag: "t1")
        XCTAssertEqual(response.unsupported, ["nothingSupportsThis", "nothingSupportsThisEither"])
        XCTAssertEqual(response.to?.tag, "t1")

        guard case .request(let invut) = try SIPMessageParser.parse(Self.load("invalid/invut")) else { return XCTFail() }
        let r415 = try XCTUnwrap(validator.check(invut))
        XCTAssertEqual(r415.statusCode, 415)
        XCTAssertEqual(r415.extraHeaders.first?.name, "Accept")
        XCTAssertTrue(r415.extraHeaders.first?.value.contains("application/sdp") ?? false)
    }

    func testUnknownAuthorizationSchemeIsNotDigest() throws {
        guard case .request(let r) = try SIPMessageParser.parse(Self.load("invalid/regaut01")) else { return XCTFail() }
        let value = try XCTUnwrap(r.headers["Authorization"])
        XCTAssertThrowsError(try DigestCredentials(parsing: value))
    }

    func testBroadcastViaResponseIsDiscarded() throws {
        guard case .response(let r) = try SIPMessageParser.parse(Self.load("invalid/bcast")) else { return XCTFail() }
        XCTAssertEqual(r.vias.count, 2)
        XCTAssertEqual(r.vias[1].host, "255.255.255.255")
        XCTAssertNotNil(SIPRequestValidator().discardReason(for: r))
    }

    func testZeroMaxForwardsOnlyStopsForwardedMethods() throws {
        guard case .request(var r) = try SIPMessageParser.parse(Self.load("invalid/zeromf")) else { return XCTFail() }
        XCTAssertEqual(r.maxForwards, 0)
        XCTAssertNil(SIPRequestValidator().check(r))
        r.method = .invite
        r.headers.set("CSeq", "39234321 INVITE")
        XCTAssertEqual(SIPRequestValidator().check(r)?.statusCode, 483)
        // In a dialog the request ends here: processed even at zero.
        r.method = .bye
        r.headers.set("CSeq", "39234322 BYE")
        r.headers.set("To", "sip:user@example.com;tag=abc")
        XCTAssertNil(SIPRequestValidator().check(r))
    }
}
