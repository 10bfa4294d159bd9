import SIP
@testable import SIPStack
import XCTest

/// `InboundSessionStateMachine` driven with events, its actions compared as shapes
/// (RFC 3261 §13.3, §14.2, §15, §9.2; RFC 3264).
final class InboundSessionStateMachineTests: XCTestCase {
    typealias Machine = InboundSessionStateMachine

    static let callerSDPText = "v=0\r\no=- 7 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        + "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    static let holdSDPText = "v=0\r\no=- 7 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        + "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"
    static let movedSDPText = "v=0\r\no=- 7 3 IN IP4 192.0.2.11\r\ns=-\r\nc=IN IP4 192.0.2.11\r\nt=0 0\r\n"
        + "m=audio 41000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

    static func request(_ method: SIPMethod, cseq: UInt32 = 1, body: String? = nil,
                        contentType: String = "application/sdp") -> SIPRequest {
        var request = TestMessages.request(method, cseq: cseq, toTag: method == .invite && cseq == 1 ? nil : "ours")
        if let body {
            request.headers.add("Content-Type", contentType)
            request.body = Array(body.utf8)
        }
        return request
    }

    static var invite: SIPRequest { request(.invite, body: callerSDPText) }
    static var offerlessInvite: SIPRequest { request(.invite) }

    func machine(ring: Duration = .zero) -> Machine {
        Machine(configuration: .init(ring: ring, sessionID: 99))
    }

    /// Answered and ACKed: the call is up.
    func confirmedMachine() -> Machine {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 20_000))
        _ = m.handle(.ack(Self.request(.ack)))
        XCTAssertEqual(m.state, .confirmed)
        return m
    }

    // MARK: - Answering

    func testInviteWithSDPIsAnsweredWhenMediaOpensAndTheCallIsUpAtTheACK() throws {
        var m = machine()
        XCTAssertEqual(Shape.of(m.handle(.invite(Self.invite))), [.openMedia])
        XCTAssertEqual(m.state, .openingMedia)
        let answered = m.handle(.mediaOpened(address: "127.0.0.1", port: 20_000))
        XCTAssertEqual(Shape.of(answered), [.invite(200, sdp: true), .answered(offered: true)])
        guard case .respondToInvite(let ok) = answered.first, let sdp = ok.sdp else { return XCTFail("no 200 with SDP") }
        XCTAssertEqual(sdp.connection?.address, "127.0.0.1")
        XCTAssertEqual(sdp.media.first?.port, 20_000)
        XCTAssertEqual(m.state, .awaitingACK)
        let up = m.handle(.ack(Self.request(.ack)))
        XCTAssertEqual(Shape.of(up), [.confirmed])
        guard case .reportConfirmed(let audio) = up.first else { return XCTFail() }
        XCTAssertEqual(audio.remoteAddress, "192.0.2.10", "media goes to the offer's address, from the ACK on")
        XCTAssertEqual(audio.remotePort, 40_000)
        XCTAssertEqual(m.state, .confirmed)
        XCTAssertEqual(Shape.of(m.handle(.ack(Self.request(.ack)))), [], "a retransmitted ACK changes nothing")
    }

    func testRingTimeSends180ThenAnswersWhenItRunsOut() {
        var m = machine(ring: .seconds(2))
        XCTAssertEqual(Shape.of(m.handle(.invite(Self.invite))), [.invite(180, sdp: false), .start(.ring, .seconds(2))])
        XCTAssertEqual(m.state, .ringing)
        XCTAssertEqual(Shape.of(m.handle(.mediaOpened(address: "127.0.0.1", port: 1))), [], "no media asked for yet")
        XCTAssertEqual(Shape.of(m.handle(.timerFired(.ring))), [.openMedia])
        XCTAssertEqual(Shape.of(m.handle(.timerFired(.ring))), [], "fires once")
        XCTAssertEqual(m.state, .openingMedia)
    }

    func testOfferlessInviteGetsOurOfferAndTheAnswerComesInTheACK() throws {
        var m = machine()
        _ = m.handle(.invite(Self.offerlessInvite))
        let answered = m.handle(.mediaOpened(address: "127.0.0.1", port: 20_002))
        XCTAssertEqual(Shape.of(answered), [.invite(200, sdp: true), .answered(offered: false)])
        guard case .respondToInvite(let ok) = answered.first, let offer = ok.sdp else { return XCTFail() }
        // The caller answers our offer in the ACK (RFC 3264 §4).
        let answer = try SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.10", localPort: 40_100,
                                               sessionID: 5, sessionVersion: 1).answer
        let up = m.handle(.ack(Self.request(.ack, body: answer.description)))
        XCTAssertEqual(Shape.of(up), [.confirmed])
        guard case .reportConfirmed(let audio) = up.first else { return XCTFail() }
        XCTAssertEqual(audio.remoteAddress, "192.0.2.10")
        XCTAssertEqual(audio.remotePort, 40_100)
    }

    func testOfferlessInviteWhoseACKCarriesNoAnswerIsHungUp() {
        var m = machine()
        _ = m.handle(.invite(Self.offerlessInvite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 20_002))
        let actions = m.handle(.ack(Self.request(.ack)))
        XCTAssertEqual(Shape.of(actions), [.bye(41), .ended("bad-answer")])
        XCTAssertEqual(m.state, .ended)
    }

    func testBadOffersAreRefused() {
        var m = machine()
        XCTAssertEqual(Shape.of(m.handle(.invite(Self.request(.invite, body: "hello", contentType: "text/plain")))),
                       [.invite(415, sdp: false), .ended("refused 415")])
        m = machine()
        XCTAssertEqual(Shape.of(m.handle(.invite(Self.request(.invite, body: "not sdp")))),
                       [.invite(400, sdp: false), .ended("refused 400")])
        m = machine()
        let video = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\n"
        _ = m.handle(.invite(Self.request(.invite, body: video)))
        XCTAssertEqual(Shape.of(m.handle(.mediaOpened(address: "127.0.0.1", port: 1))), [.invite(488, sdp: false), .ended("refused 488")])
        m = machine()
        var noTag = Self.invite
        noTag.headers.set("From", "<sip:alice@192.0.2.10>")
        XCTAssertEqual(Shape.of(m.handle(.invite(noTag))), [.invite(400, sdp: false), .ended("refused 400")])
    }

    func testNoMediaPortIs503() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        let actions = m.handle(.mediaFailed(reason: "ports exhausted"))
        XCTAssertEqual(Shape.of(actions), [.invite(503, sdp: false), .ended("refused 503")])
        guard case .respondToInvite(let response)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(response.headers.first { $0.name == "Retry-After" }?.value, "5",
                       "a passing shortage says when to try again (RFC 3261 §21.5.4)")
    }

    // MARK: - CANCEL

    func testCancelWhileRingingIs487AndStopsTheRingTimer() {
        var m = machine(ring: .seconds(2))
        _ = m.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(m.handle(.cancel)), [.stop(.ring), .invite(487, sdp: false), .ended("cancelled")])
        XCTAssertEqual(Shape.of(m.handle(.timerFired(.ring))), [])
        XCTAssertEqual(m.state, .ended)
    }

    func testCancelWhileMediaOpensIs487AndTheLatePortIsIgnored() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(m.handle(.cancel)), [.invite(487, sdp: false), .ended("cancelled")])
        XCTAssertEqual(Shape.of(m.handle(.mediaOpened(address: "127.0.0.1", port: 1))), [])
    }

    func testCancelAfterThe200HasNoEffect() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 1))
        XCTAssertEqual(Shape.of(m.handle(.cancel)), [], "§9.2: the INVITE has its final response")
        XCTAssertEqual(m.state, .awaitingACK)
        var up = confirmedMachine()
        XCTAssertEqual(Shape.of(up.handle(.cancel)), [])
        XCTAssertEqual(up.state, .confirmed)
    }

    // MARK: - ACK time-out

    func testA200NeverAcknowledgedEndsWithBye() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 1))
        XCTAssertEqual(Shape.of(m.handle(.ackTimedOut)), [.bye(3), .ended("no-ack")])
        XCTAssertEqual(Shape.of(m.handle(.ack(Self.request(.ack)))), [], "too late")
        var up = confirmedMachine()
        XCTAssertEqual(Shape.of(up.handle(.ackTimedOut)), [], "only a session waiting for its ACK times out")
    }

    // MARK: - BYE in each state

    func testByeInEachState() {
        var idle = machine()
        XCTAssertEqual(Shape.of(idle.handle(.bye)), [.request(481)])

        var ringing = machine(ring: .seconds(2))
        _ = ringing.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(ringing.handle(.bye)), [.request(200), .stop(.ring), .invite(487, sdp: false), .ended("cancelled")],
                       "§15.1.2: BYE in the early dialog ends the INVITE too")

        var opening = machine()
        _ = opening.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(opening.handle(.bye)), [.request(200), .invite(487, sdp: false), .ended("cancelled")])

        var waiting = machine()
        _ = waiting.handle(.invite(Self.invite))
        _ = waiting.handle(.mediaOpened(address: "127.0.0.1", port: 1))
        XCTAssertEqual(Shape.of(waiting.handle(.bye)), [.request(200), .ended("remote")])

        var up = confirmedMachine()
        XCTAssertEqual(Shape.of(up.handle(.bye)), [.request(200), .ended("remote")])
        XCTAssertEqual(Shape.of(up.handle(.bye)), [.request(481)], "over")
    }

    // MARK: - Our hang-up

    func testHangupBeforeTheAnswerRefusesTheInvite() {
        var m = machine(ring: .seconds(2))
        _ = m.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(m.handle(.hangupRequested(status: 486, q850: 17))),
                       [.stop(.ring), .invite(486, sdp: false), .ended("local 486")])
    }

    func testHangupBeforeTheACKWaitsForIt() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 1))
        XCTAssertEqual(Shape.of(m.handle(.hangupRequested(status: 480, q850: 16))), [], "§15: no BYE before the ACK")
        XCTAssertEqual(Shape.of(m.handle(.ack(Self.request(.ack)))), [.bye(16), .ended("local 200")])
    }

    func testHangupAfterTheACKSendsByeWithTheCause() {
        var m = confirmedMachine()
        XCTAssertEqual(Shape.of(m.handle(.hangupRequested(status: 480, q850: 31))), [.bye(31), .ended("local 200")])
        XCTAssertEqual(Shape.of(m.handle(.hangupRequested(status: 480, q850: 16))), [])
    }

    // MARK: - re-INVITE and hold

    func testReinviteForHoldIsAnsweredWithANewVersionAndReported() throws {
        var m = confirmedMachine()
        let actions = m.handle(.reinvite(Self.request(.invite, cseq: 2, body: Self.holdSDPText)))
        XCTAssertEqual(Shape.of(actions), [.request(200, sdp: true), .mediaChanged])
        guard case .respondToRequest(let ok) = actions.first, let sdp = ok.sdp,
              case .reportMediaChanged(let audio) = actions.last else { return XCTFail() }
        XCTAssertEqual(sdp.origin.sessionVersion, 2, "RFC 3264 §8: a new description has version + 1")
        XCTAssertEqual(sdp.media.first?.direction, .recvonly, "hold: our answer to sendonly is recvonly")
        XCTAssertEqual(audio.direction, .recvonly)
        XCTAssertEqual(m.localVersion, 2)
    }

    func testReinviteToANewAddressRetargetsTheMedia() {
        var m = confirmedMachine()
        let actions = m.handle(.reinvite(Self.request(.invite, cseq: 2, body: Self.movedSDPText)))
        guard case .reportMediaChanged(let audio) = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(audio.remoteAddress, "192.0.2.11")
        XCTAssertEqual(audio.remotePort, 41_000)
        XCTAssertEqual(audio.codec, .pcma)
    }

    func testReinviteWithoutSDPGetsOurSessionAsAnOffer() {
        var m = confirmedMachine()
        XCTAssertEqual(Shape.of(m.handle(.reinvite(Self.request(.invite, cseq: 2)))), [.request(200, sdp: true)])
    }

    func testUnacceptableReinviteIs488AndKeepsTheVersion() {
        var m = confirmedMachine()
        XCTAssertEqual(Shape.of(m.handle(.reinvite(Self.request(.invite, cseq: 2, body: "garbage")))), [.request(488)])
        XCTAssertEqual(m.localVersion, 1)
        XCTAssertEqual(m.state, .confirmed)
    }

    func testReinviteBeforeTheACKIs500WithRetryAfter() {
        var m = machine()
        _ = m.handle(.invite(Self.invite))
        _ = m.handle(.mediaOpened(address: "127.0.0.1", port: 1))
        let actions = m.handle(.reinvite(Self.request(.invite, cseq: 2, body: Self.holdSDPText)))
        XCTAssertEqual(Shape.of(actions), [.request(500)])
        guard case .respondToRequest(let response) = actions.first else { return XCTFail() }
        XCTAssertEqual(response.headers.first?.name, "Retry-After", "§14.2")
    }

    // MARK: - INFO

    func testInfoCarriesDigits() {
        var m = confirmedMachine()
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 2, body: "Signal=5\r\nDuration=160\r\n",
                                                            contentType: "application/dtmf-relay")))),
                       [.request(200), .digit("5")])
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 3, body: "#", contentType: "application/dtmf")))),
                       [.request(200), .digit("#")])
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 4)))), [.request(200)], "keep-alive")
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 5, body: "x", contentType: "text/plain")))),
                       [.request(415)])
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 6, body: "Duration=1",
                                                            contentType: "application/dtmf-relay")))),
                       [.request(400)])
    }

    func testInfoOutsideTheCallIs481() {
        var m = machine(ring: .seconds(1))
        _ = m.handle(.invite(Self.invite))
        XCTAssertEqual(Shape.of(m.handle(.info(Self.request(.info, cseq: 2, body: "5", contentType: "application/dtmf")))),
                       [.request(481)])
    }
}

/// Actions reduced to what the tests compare.
enum Shape: Equatable {
    case invite(Int, sdp: Bool)
    case request(Int, sdp: Bool = false)
    case openMedia
    case bye(Int)
    case start(InboundSessionStateMachine.Timer, Duration)
    case stop(InboundSessionStateMachine.Timer)
    case answered(offered: Bool)
    case confirmed
    case mediaChanged
    case digit(Character)
    case ended(String)

    static func of(_ actions: [InboundSessionStateMachine.Action]) -> [Shape] { actions.map(Shape.init) }

    init(_ action: InboundSessionStateMachine.Action) {
        switch action {
        case .respondToInvite(let r): self = .invite(r.status, sdp: r.sdp != nil)
        case .respondToRequest(let r): self = .request(r.status, sdp: r.sdp != nil)
        case .openMedia: self = .openMedia
        case .sendBYE(let q850): self = .bye(q850)
        case .startTimer(let t, let d): self = .start(t, d)
        case .cancelTimer(let t): self = .stop(t)
        case .reportAnswered(let audio): self = .answered(offered: audio != nil)
        case .reportConfirmed: self = .confirmed
        case .reportMediaChanged: self = .mediaChanged
        case .reportDigit(let d): self = .digit(d)
        case .reportEnded(let ending):
            switch ending {
            case .remoteHangup: self = .ended("remote")
            case .cancelled: self = .ended("cancelled")
            case .localHangup(let status): self = .ended("local \(status)")
            case .noACK: self = .ended("no-ack")
            case .refused(let status, _): self = .ended("refused \(status)")
            case .badAnswerInACK: self = .ended("bad-answer")
            }
        }
    }

}
