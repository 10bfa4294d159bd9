import Foundation
import XCTest
@testable import SIP

final class DigestTests: XCTestCase {
    // RFC 7616 §3.9.1
    static let rfc7616Challenge = """
    Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    """
    static let rfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

    func testRFC7616SHA256Example() throws {
        let challenge = try DigestChallenge(parsing: Self.rfc7616Challenge)
        XCTAssertEqual(challenge.algorithm, .sha256)
        XCTAssertEqual(challenge.qop, ["auth", "auth-int"])
        XCTAssertEqual(challenge.realm, "http-auth@example.org")
        let credentials = DigestCredentials.answering(challenge: challenge, method: "GET", uri: "/dir/index.html", username: "Mufasa", password: "Circle of Life", cnonce: Self.rfc7616Cnonce, nonceCount: 1)
        XCTAssertEqual(credentials.response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        XCTAssertEqual(credentials.nonceCount, "00000001")
        XCTAssertEqual(credentials.qop, "auth")
        XCTAssertEqual(credentials.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        XCTAssertEqual(try DigestCredentials(parsing: credentials.description), credentials)
    }

    func testRFC7616MD5Example() throws {
        var challenge = try DigestChallenge(parsing: Self.rfc7616Challenge)
        challenge.algorithm = .md5
        let credentials = DigestCredentials.answering(challenge: challenge, method: "GET", uri: "/dir/index.html", username: "Mufasa", password: "Circle of Life", cnonce: Self.rfc7616Cnonce, nonceCount: 1)
        XCTAssertEqual(credentials.response, "8ca523f5e9506fed4657c9700eebdbec")
    }

    func testRFC2617Example() throws {
        let authorization = """
        Digest username="Mufasa",
                         realm="testrealm@host.com",
                         nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                         uri="/dir/index.html",
                         qop=auth,
                         nc=00000001,
                         cnonce="0a4f113b",
                         response="6629fae49393a05397450978507c4ef1",
                         opaque="5ccc069c403ebaf9f0171e9517f40e41"
        """
        let credentials = try DigestCredentials(parsing: authorization)
        XCTAssertEqual(credentials.username, "Mufasa")
        XCTAssertEqual(credentials.algorithm, .md5)
        let ha1 = Digest.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life")
        let expected = Digest.response(ha1: ha1, algorithm: .md5, nonce: credentials.nonce, nonceCount: credentials.nonceCount, cnonce: credentials.cnonce, qop: credentials.qop, method: "GET", uri: credentials.uri)
        XCTAssertEqual(expected, "6629fae49393a05397450978507c4ef1")
        let challenge = DigestChallenge(realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque: "5ccc069c403ebaf9f0171e9517f40e41")
        let client = DigestCredentials.answering(challenge: challenge, method: "GET", uri: "/dir/index.html", username: "Mufasa", password: "Circle Of Life", cnonce: "0a4f113b")
        XCTAssertEqual(client.response, "6629fae49393a05397450978507c4ef1")
    }

    func testTolerantCredentialParsing() throws {
        let c = try DigestCredentials(parsing: "digest  RESPONSE=\"ABCDEF\",uri=sip:a@b , username = bob,realm=\"r\", nonce=n, algorithm=sha-256")
        XCTAssertEqual(c.username, "bob")
        XCTAssertEqual(c.uri, "sip:a@b")
        XCTAssertEqual(c.response, "abcdef")
        XCTAssertEqual(c.algorithm, .sha256)
        XCTAssertNil(c.qop)
        XCTAssertEqual(try DigestCredentials(parsing: "Digest username=\"a\\\"b\", realm=r, nonce=n, uri=u, response=x").username, "a\"b")
        for bad in ["Basic dXNlcjpwYXNz", "Digest realm=r, nonce=n, uri=u, response=x", "Digest username=a, realm=r, nonce=n, uri=u, response=x, algorithm=SHA-999",
                    "Digest username=\"a, realm=r", "Digest username", "Digest username=a realm=r", "Digest username=a, realm=r, nonce=n, uri=u, response=x, qop=auth"] {
            XCTAssertThrowsError(try DigestCredentials(parsing: bad), bad)
        }
    }

    func testChallengeSerialisation() throws {
        let challenge = DigestChallenge(realm: "switchback.local", nonce: "abc", opaque: "o", stale: true, algorithm: .sha256)
        XCTAssertEqual(challenge.description, "Digest realm=\"switchback.local\", nonce=\"abc\", opaque=\"o\", stale=true, algorithm=SHA-256, qop=\"auth\"")
        XCTAssertEqual(try DigestChallenge(parsing: challenge.description), challenge)
        XCTAssertThrowsError(try DigestChallenge(parsing: "Digest nonce=\"x\""))
    }

    func testNoncesAndVerifier() throws {
        let nonces = DigestNonces(secret: Array("server secret".utf8), lifetime: 300)
        let verifier = DigestVerifier(nonces: nonces, realm: "switchback.local")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let nonce = nonces.make(now: t0, salt: 0x1234)
        XCTAssertEqual(nonces.validity(of: nonce, now: t0), .valid)
        XCTAssertNotEqual(nonce, nonces.make(now: t0, salt: 0x1235))
        XCTAssertEqual(nonces.validity(of: nonce, now: t0 + 301), .expired)
        XCTAssertEqual(DigestNonces(secret: Array("other".utf8)).validity(of: nonce, now: t0), .invalid)
        XCTAssertEqual(nonces.validity(of: "garbage", now: t0), .invalid)

        for algorithm in [DigestAlgorithm.md5, .sha256, .md5Session, .sha256Session] {
            let challenge = DigestChallenge(realm: "switchback.local", nonce: nonce, algorithm: algorithm)
            let ha1 = Digest.ha1(username: "1001", realm: "switchback.local", password: "pw", algorithm: algorithm)
            let good = DigestCredentials.answering(challenge: challenge, method: "REGISTER", uri: "sip:switchback.local", username: "1001", password: "pw", cnonce: "c1", nonceCount: 3)
            XCTAssertEqual(verifier.verify(credentials: good, method: "REGISTER", ha1: ha1, now: t0 + 10), .ok, "\(algorithm)")
            XCTAssertEqual(verifier.verify(credentials: good, method: "INVITE", ha1: ha1, now: t0 + 10), .wrongResponse, "method is covered")
            XCTAssertEqual(verifier.verify(credentials: good, method: "REGISTER", ha1: ha1, now: t0 + 1000), .stale)
            let wrong = DigestCredentials.answering(challenge: challenge, method: "REGISTER", uri: "sip:switchback.local", username: "1001", password: "nope", cnonce: "c1")
            XCTAssertEqual(verifier.verify(credentials: wrong, method: "REGISTER", ha1: ha1, now: t0 + 10), .wrongResponse)
            XCTAssertEqual(verifier.verify(credentials: wrong, method: "REGISTER", ha1: ha1, now: t0 + 1000), .wrongResponse, "stale only when the response is right")
        }
        var forged = DigestCredentials.answering(challenge: DigestChallenge(realm: "switchback.local", nonce: "\(nonce.dropLast())0"), method: "REGISTER", uri: "sip:x", username: "u", password: "p", cnonce: "c")
        let ha1 = Digest.ha1(username: "u", realm: "switchback.local", password: "p")
        XCTAssertEqual(verifier.verify(credentials: forged, method: "REGISTER", ha1: ha1, now: t0), .badNonce)
        forged.qop = "auth-int"
        guard case .malformed = verifier.verify(credentials: forged, method: "REGISTER", ha1: ha1, now: t0) else { return XCTFail() }
    }

    /// Fuzz/Crashes/DigestFuzz/crash-1b2d7050d3dcdae1d5e35cfc6e8af17ab3fcbcfb: a qop list with a blank element read back
    /// without it, so the challenge did not survive being written and read again.
    func testChallengeWithBlankQopElementsReadsBackAsWritten() throws {
        let crash: [UInt8] = [
            0x44, 0x69, 0x67, 0x65, 0x73, 0x74, 0x20, 0x72, 0x65, 0x61, 0x6c, 0x6d, 0x3d, 0xde, 0x8c, 0x88,
            0x96, 0x8b, 0x9c, 0x27, 0x6c, 0x6d, 0x3d, 0x22, 0x68, 0x74, 0x74, 0x70, 0x2d, 0x61, 0x75, 0x74,
            0x68, 0x40, 0x65, 0x78, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x5e, 0x22, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c,
            0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c,
            0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x6d,
            0x3d, 0x20, 0x73, 0x77, 0x01, 0x00, 0x43, 0x6c, 0x22, 0x2c, 0x20, 0x6e, 0x6f, 0x6e, 0x63, 0x70,
            0x3d, 0x22, 0x61, 0x75, 0x74, 0x68, 0xd4, 0xdf, 0x9e, 0x92, 0x74, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2,
            0x6c, 0x6d, 0x3d, 0x20, 0x73, 0x77, 0x01, 0x00, 0x63, 0x6c, 0x22, 0x2c, 0x20, 0x6e, 0x6f, 0x6e,
            0x63, 0x65, 0x3d, 0x49, 0x6e, 0x74, 0x63, 0x22, 0x2c, 0x20, 0x6f, 0x70, 0x61, 0x71, 0x75, 0x65,
            0x3d, 0x22, 0x6f, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2, 0x72, 0x67, 0x22, 0x2c, 0x20, 0x71, 0x6f,
            0x70, 0x3d, 0x22, 0x61, 0x75, 0x74, 0x68, 0xd4, 0xdf, 0x9e, 0x92, 0x74, 0xa2, 0xa2, 0xa2, 0xa2,
            0xa2, 0x30, 0x2c, 0x20, 0x73, 0x74, 0x61, 0x6c, 0x65, 0x3d, 0x74, 0x60, 0x60, 0x60, 0x60, 0x60,
            0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x70, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,
            0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x6d, 0x3d, 0x4d, 0x44, 0x32, 0x72, 0x75, 0x65, 0x2c, 0x30,
            0x2c, 0x20, 0x73, 0x74, 0x61, 0x6c, 0x65, 0x73, 0x74, 0x20, 0x75, 0x73, 0x65, 0x72, 0x6e, 0x61,
            0x6d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x3d, 0x2a, 0x20, 0x20, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c,
            0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c,
            0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x20, 0x2c, 0x2c,
            0x2c, 0x75, 0x66, 0x00, 0x3d, 0xdf, 0x2f, 0x64, 0x69, 0x63, 0x65, 0x0d, 0x0d, 0x0d, 0x0d, 0xf4,
            0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0x0d, 0x0d, 0x0d, 0x22,
        ]
        for value in [String(decoding: crash, as: UTF8.self), "Digest realm=r, nonce=n, qop=\"auth, ,x\""] {
            let challenge = try DigestChallenge(parsing: value)
            XCTAssertFalse(challenge.qop.contains(""), "blank qop element kept: \(challenge.qop)")
            XCTAssertEqual(try DigestChallenge(parsing: challenge.description), challenge)
        }
        XCTAssertEqual(try DigestChallenge(parsing: "Digest realm=r, nonce=n, qop=\"auth, ,x\"").qop, ["auth", "x"])
    }

    /// Fuzz/Crashes/DigestFuzz/crash-9f35bc7f7aa88fa46f0d7599ef6567172d79ec3c: a quoted qop with spaces was accepted,
    /// then written back unquoted (qop and nc are tokens) and could not be read again.
    func testCredentialsWithANonTokenQopAreRefused() {
        let crash: [UInt8] = [
            0x44, 0x69, 0x67, 0x65, 0x73, 0x74, 0x20, 0x75, 0x73, 0x65, 0x72, 0x6e, 0x61, 0x6d, 0x65, 0x3d,
            0x22, 0x4d, 0x75, 0x66, 0x61, 0x73, 0x61, 0x22, 0x2c, 0x20, 0x72, 0x65, 0x61, 0x6c, 0x6d, 0x3d,
            0x22, 0x68, 0x74, 0x74, 0x70, 0x2d, 0x61, 0x75, 0x74, 0x68, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70,
            0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x22, 0x2c, 0x20, 0x75, 0x72, 0x69, 0x3d, 0x22, 0x2f, 0x64,
            0x69, 0x72, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x6d, 0x3d, 0x20, 0x73, 0x77, 0x01, 0x00,
            0x43, 0x6c, 0x22, 0x2c, 0x20, 0x6e, 0x6f, 0x6e, 0x63, 0x70, 0x3d, 0x22, 0x61, 0x75, 0x74, 0x68,
            0xd4, 0xdf, 0x9e, 0x92, 0x74, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2, 0x30, 0x2c, 0x20, 0x22, 0x2c,
            0x20, 0x6f, 0x70, 0x61, 0x71, 0x75, 0x65, 0x3d, 0x22, 0x6f, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2, 0xa2,
            0x72, 0x67, 0x22, 0x2c, 0x20, 0x71, 0x6f, 0x70, 0x3d, 0x22, 0x61, 0x75, 0x74, 0x68, 0xd4, 0xdf,
            0x9e, 0x92, 0x74, 0xa2, 0x6c, 0x6d, 0x3d, 0x20, 0x73, 0x77, 0x01, 0x00, 0x63, 0x6c, 0x22, 0x2c,
            0x20, 0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x3d, 0x49, 0x9c, 0x74, 0x63, 0x22, 0x2c, 0x20, 0x6f, 0x70,
            0x61, 0x71, 0x75, 0x65, 0x3d, 0x22, 0x6f, 0xa2, 0xa2, 0xa2, 0xa2, 0x76, 0x22, 0x2c, 0x20, 0x6e,
            0x63, 0x3d, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31, 0x2c, 0x20, 0x63, 0x6e, 0x6f, 0x6e,
            0x63, 0x65, 0x3d, 0x22, 0x22, 0x2c, 0x20, 0x71, 0x6f, 0x30, 0x3d, 0x61, 0x75, 0x74, 0x68, 0x2c,
            0x20, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x3d, 0x22, 0x38, 0x63, 0x61, 0x35, 0x32,
            0x33, 0x66, 0x35, 0x65, 0x3b, 0x35, 0x30, 0x36, 0x66, 0x65, 0x64, 0x34, 0x36, 0x35, 0x37, 0x63,
            0x39, 0x37, 0x30, 0x30, 0x65, 0x65, 0x62, 0x64, 0x62, 0x65, 0x63, 0x22, 0x2c, 0x20, 0x6f, 0x70,
            0x61, 0x65, 0x75, 0x71, 0x3d, 0x22, 0x46, 0x51, 0x68, 0x65, 0x2f, 0x71, 0x61, 0x55, 0x39, 0x32,
            0x35, 0x6b, 0x66, 0x6e, 0x7a, 0x6a, 0x43, 0x65, 0x76, 0x30, 0x63, 0x69, 0x6e, 0x79, 0x37, 0x51,
            0x4d, 0x6b, 0x50, 0x71, 0x4d, 0x41, 0x46, 0x52, 0x74, 0x7a, 0x43, 0x55, 0x59, 0x6f, 0x35, 0x74,
            0x64, 0x53, 0x22,
        ]
        XCTAssertThrowsError(try DigestCredentials(parsing: String(decoding: crash, as: UTF8.self)))
        XCTAssertThrowsError(try DigestCredentials(parsing: "Digest username=a, realm=r, nonce=n, uri=u, response=x, qop=\"auth x\", cnonce=c, nc=00000001"))
        XCTAssertNoThrow(try DigestCredentials(parsing: "Digest username=a, realm=r, nonce=n, uri=u, response=x, qop=\"auth\", cnonce=c, nc=00000001"))
    }
}
