import XCTest
@testable import SIP

final class SDPOfferAnswerTests: XCTestCase {
    func testAnswerFollowsOffererOrderAndEchoesTelephoneEvent() throws {
        let offer = try SessionDescription(parsing: SDPTests.sippOffer)
        let (answer, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.50", localPort: 20000, sessionID: 42, sessionVersion: 1)
        XCTAssertEqual(media, NegotiatedAudio(remoteAddress: "127.0.1.1", remotePort: 6000, codec: .pcma, payloadType: 8, telephoneEventPayloadType: 96, ptimeMilliseconds: 30, direction: .recvonly))
        XCTAssertEqual(answer.media.count, 2)
        XCTAssertEqual(answer.media[0].formats, ["8", "96"])
        XCTAssertEqual(answer.media[0].port, 20000)
        XCTAssertEqual(answer.media[0].direction, .recvonly)
        XCTAssertEqual(answer.media[0].fmtp[96], "0-15")
        XCTAssertEqual(answer.media[1].port, 0, "video rejected")
        XCTAssertEqual(answer.media[1].media, "video")
        XCTAssertEqual(answer.origin.sessionID, 42)
        XCTAssertEqual(answer.connection?.address, "192.0.2.50")
        XCTAssertTrue(answer.description.hasPrefix("v=0\r\no=- 42 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\nm=audio 20000 RTP/AVP 8 96\r\n"))
        // The offerer, reading our answer, gets the mirror image.
        let back = try SDPOfferAnswer.accept(answer: answer, to: offer)
        XCTAssertEqual(back.codec, .pcma)
        XCTAssertEqual(back.remoteAddress, "192.0.2.50")
        XCTAssertEqual(back.direction, .sendonly)
    }

    func testPreferredRestrictsCodecsAndStaticPayloadTypesNeedNoRtpmap() throws {
        let offer = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0 8 101\r\nc=IN IP4 10.0.0.2\r\na=rtpmap:101 telephone-event/8000\r\n")
        let (_, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "10.0.0.9", localPort: 30000, preferred: [.pcma], sessionID: 1, sessionVersion: 1)
        XCTAssertEqual(media.codec, .pcma)
        XCTAssertEqual(media.remoteAddress, "10.0.0.2", "media-level c= wins")
        XCTAssertEqual(media.telephoneEventPayloadType, 101)
        XCTAssertEqual(media.ptimeMilliseconds, 20)
        XCTAssertEqual(media.direction, .sendrecv)
    }

    func testDynamicPayloadTypeForG711AndDirections() throws {
        for (offered, answered) in [("sendonly", SDPDirection.recvonly), ("recvonly", .sendonly), ("inactive", .inactive), ("sendrecv", .sendrecv)] {
            let offer = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=\(offered)\r\nm=audio 7078 RTP/AVP 3 97\r\na=rtpmap:3 GSM/8000\r\na=rtpmap:97 PCMU/8000\r\n")
            let (answer, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "10.0.0.9", localPort: 30000, sessionID: 1, sessionVersion: 1)
            XCTAssertEqual(media.payloadType, 97)
            XCTAssertEqual(media.codec, .pcmu)
            XCTAssertNil(media.telephoneEventPayloadType)
            XCTAssertEqual(media.direction, answered)
            XCTAssertEqual(answer.media[0].direction, answered)
        }
    }

    func testNoCommonCodecAndNoAudio() throws {
        let gsm = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 3 18\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.answer(to: gsm, localAddress: "h", localPort: 1, sessionID: 1, sessionVersion: 1)) { error in
            guard case .noCommonCodec = error as? SDPNegotiationError else { return XCTFail("\(error)") }
        }
        let rejectedAudio = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=video 5000 RTP/AVP 31\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.answer(to: rejectedAudio, localAddress: "h", localPort: 1, sessionID: 1, sessionVersion: 1)) { error in
            XCTAssertEqual(error as? SDPNegotiationError, .noAudioStream)
        }
        let noConnection = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.answer(to: noConnection, localAddress: "h", localPort: 1, sessionID: 1, sessionVersion: 1)) { error in
            XCTAssertEqual(error as? SDPNegotiationError, .missingConnection)
        }
    }

    func testOfferAndAcceptingAnswers() throws {
        let offer = SDPOfferAnswer.offer(localAddress: "203.0.113.5", localPort: 22000, sessionID: 7, sessionVersion: 7)
        XCTAssertEqual(offer.description, """
        v=0\r
        o=- 7 7 IN IP4 203.0.113.5\r
        s=-\r
        c=IN IP4 203.0.113.5\r
        t=0 0\r
        m=audio 22000 RTP/AVP 0 8 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-16\r
        a=ptime:20\r
        a=sendrecv\r

        """)
        let answer = try SessionDescription(parsing: "v=0\r\no=- 9 9 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n")
        let media = try SDPOfferAnswer.accept(answer: answer, to: offer)
        XCTAssertEqual(media, NegotiatedAudio(remoteAddress: "198.51.100.1", remotePort: 40000, codec: .pcma, payloadType: 8, telephoneEventPayloadType: 101, ptimeMilliseconds: 20, direction: .sendonly))

        let rejected = try SessionDescription(parsing: "v=0\r\no=- 9 9 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.accept(answer: rejected, to: offer)) { XCTAssertEqual($0 as? SDPNegotiationError, .audioRejected) }
        let foreign = try SessionDescription(parsing: "v=0\r\no=- 9 9 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.accept(answer: foreign, to: offer))
        let extra = try SessionDescription(parsing: "v=0\r\no=- 9 9 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n")
        XCTAssertThrowsError(try SDPOfferAnswer.accept(answer: extra, to: offer))
    }

    /// Fuzz/Crashes/SDPFuzz/crash-49e38fe3bcc459bb002e6904ea3298f0cf3e44e9: the first audio line is not RTP/AVP,
    /// so the answer takes the second; the offerer read the answer's first (rejected) line
    /// and refused an answer it had every reason to accept.
    func testOffererReadsTheAudioStreamTheAnswerKept() throws {
        let crash = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP- 192.0.3.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP[ 0 8 101\r\na=rtpmap/ 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap/80008000\r\na=fmtp:102 0-16\r\na=ptime:40\r\na=sendrIN \r\n"
        let offer = try SessionDescription(parsing: crash)
        let (answer, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.1", localPort: 40000, sessionID: 1, sessionVersion: 1)
        XCTAssertEqual(answer.media.map(\.port), [0, 40000])
        XCTAssertEqual(try SDPOfferAnswer.accept(answer: answer, to: offer).codec, media.codec)
    }

    /// The answerer rejects a live audio stream it has no codec for and answers the next.
    func testOffererReadsPastAStreamTheAnswerRejected() throws {
        let offer = try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
            + "m=audio 4000 RTP/AVP 18\r\nm=audio 4002 RTP/AVP 8\r\n")
        let (answer, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.1", localPort: 40000, sessionID: 1, sessionVersion: 1)
        XCTAssertEqual(answer.media.map(\.port), [0, 40000])
        let accepted = try SDPOfferAnswer.accept(answer: answer, to: offer)
        XCTAssertEqual(accepted.codec, media.codec)
        XCTAssertEqual(accepted.remotePort, 40000, "the offerer sends to the stream the answer kept")
    }
}
