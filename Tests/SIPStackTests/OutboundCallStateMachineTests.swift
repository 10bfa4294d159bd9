import Foundation
import SIP
import SIPStack
import XCTest

/// `OutboundCallStateMachine` driven event by event (RFC 3261 §13.2, §9.1, §15, §22.2).
final class OutboundCallStateMachineTests: XCTestCase {
    typealias Machine = OutboundCallStateMachine

    static let login = DigestLogin(username: "trunkuser", password: "trunk-secret")

    func machine(ringTimeout: Duration = .seconds(60), login: DigestLogin? = nil) -> Machine {
        Machine(configuration: .init(ringTimeout: ringTimeout, cancelGuard: .seconds(32), login: login,
                                     requestURI: "sip:100@192.0.2.1", cnonce: "0a4f113b"))
    }

    /// A machine that sent its INVITE and got `provisional` (if any).
    func started(_ provisional: Int? = nil, login: DigestLogin? = nil) -> Machine {
        var m = machine(login: login)
        _ = m.handle(.start)
        if let provisional { _ = m.handle(.provisional(CallMessages.response(provisional))) }
        return m
    }

    func shapes(_ m: inout Machine, _ event: Machine.Event) -> [CallActionShape] {
        CallActionShape.of(m.handle(event))
    }

    // MARK: - Start, progress, answer

    func testStartSendsTheInviteAndArmsTheRingTimeoutOnce() {
        var m = machine(ringTimeout: .seconds(45))
        XCTAssertEqual(m.state, .idle)
        XCTAssertEqual(shapes(&m, .start), [.invite(authorizationHeader: nil), .start(.ringTimeout, .seconds(45))])
        XCTAssertEqual(m.state, .calling)
        XCTAssertEqual(shapes(&m, .start), [], "a second start does nothing")
    }

    func testTryingIsNotReportedButRingingAndEarlyMediaAre() {
        var m = started()
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(100, toTag: nil))), [], "100 is hop-by-hop (§8.1.3.2)")
        XCTAssertEqual(m.state, .proceeding)
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(180))), [.progress(180, earlyMedia: false)])

        let actions = m.handle(.provisional(CallMessages.response(183, sdp: CallMessages.earlySDPText)))
        XCTAssertEqual(CallActionShape.of(actions), [.progress(183, earlyMedia: true)])
        guard case .reportProgress(let progress) = actions.first else { return XCTFail("no progress") }
        XCTAssertEqual(progress.earlyMedia, CallMessages.earlySDP, "183 with SDP gives the remote early media")
        XCTAssertEqual(progress.earlyMedia?.connection?.address, "192.0.2.30")
        XCTAssertEqual(progress.reasonPhrase, "Session Progress")
    }

    func testA183WhoseBodyIsNotSDPCarriesNoEarlyMedia() {
        var m = started()
        var plain = CallMessages.response(183)
        plain.headers.add("Content-Type", "text/plain")
        plain.body = Array("hello".utf8)
        XCTAssertEqual(shapes(&m, .provisional(plain)), [.progress(183, earlyMedia: false)])
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(183, sdp: "v=0\r\nnot sdp"))),
                       [.progress(183, earlyMedia: false)], "unparseable SDP is no media")
    }

    func testAnswerIsAcknowledgedThenReportedWithTheRemoteSDP() {
        var m = started(180)
        let actions = m.handle(.success(CallMessages.response(200, sdp: CallMessages.remoteSDPText)))
        XCTAssertEqual(CallActionShape.of(actions), [.stop(.ringTimeout), .ack(status: 200, remoteTag: "uas1"),
                                                     .answered(200, remoteSDP: true)], "§13.2.2.4: ACK before anything else")
        guard case .reportAnswered(let answer) = actions.last else { return XCTFail("no answer") }
        XCTAssertEqual(answer.remoteSDP, CallMessages.remoteSDP)
        XCTAssertEqual(m.state, .confirmed)
        XCTAssertEqual(m.answeredTag, "uas1")
    }

    func testAnswerWithoutSDPUsesTheEarlyMediaOfA183() {
        var m = started()
        _ = m.handle(.provisional(CallMessages.response(183, sdp: CallMessages.earlySDPText)))
        let actions = m.handle(.success(CallMessages.response(200)))
        guard case .reportAnswered(let answer) = actions.last else { return XCTFail("no answer") }
        XCTAssertEqual(answer.remoteSDP, CallMessages.earlySDP)
    }

    func testAnswerWithoutAnyProvisionalIsFine() {
        var m = started()
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, sdp: CallMessages.remoteSDPText))),
                       [.stop(.ringTimeout), .ack(status: 200, remoteTag: "uas1"), .answered(200, remoteSDP: true)])
    }

    func testRetransmitted2xxIsAcknowledgedAgainAndAnotherForkIsAcknowledgedAndHungUp() {
        var m = started(180)
        _ = m.handle(.success(CallMessages.response(200, sdp: CallMessages.remoteSDPText)))
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, sdp: CallMessages.remoteSDPText))),
                       [.ack(status: 200, remoteTag: "uas1")], "§13.2.2.4: the ACK was lost, send it again")
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, toTag: "fork2"))),
                       [.ack(status: 200, remoteTag: "fork2"), .bye(remoteTag: "fork2")],
                       "§13.2.2.4: a second dialog is ACKed, then ended")
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, toTag: "fork2"))),
                       [.ack(status: 200, remoteTag: "fork2")], "and only re-ACKed afterwards")
        XCTAssertEqual(m.state, .confirmed, "the call itself goes on")
        XCTAssertEqual(m.answeredTag, "uas1")
    }

    // MARK: - Final responses

    func testEveryFinalStatusEndsTheCallWithItsOutcome() {
        let table: [(Int, OutboundCallOutcome)] = [
            (486, .busy), (600, .busy),
            (408, .noAnswer), (480, .noAnswer),
            (404, .failed), (484, .failed), (403, .failed), (410, .failed), (488, .failed), (487, .failed),
            (500, .failed), (502, .failed), (503, .failed), (504, .failed),
            (603, .failed), (604, .failed), (606, .failed),
            (301, .failed), (302, .failed),
        ]
        for (status, outcome) in table {
            for provisional in [nil, 180] as [Int?] {
                var m = started(provisional)
                XCTAssertEqual(shapes(&m, .failure(CallMessages.response(status))),
                               [.stop(.ringTimeout), .ended(outcome, status: status)],
                               "\(status) after \(provisional.map(String.init) ?? "nothing")")
                XCTAssertEqual(m.state, .ended)
            }
        }
    }

    func testEndingCarriesTheReasonPhrase() {
        var m = started(180)
        guard case .reportEnded(let ending) = m.handle(.failure(CallMessages.response(486))).last else { return XCTFail() }
        XCTAssertEqual(ending.outcome, .busy)
        XCTAssertEqual(ending.status, 486)
        XCTAssertNil(ending.hungUpBy)
        XCTAssertTrue(ending.reason.contains("486 Busy Here"), ending.reason)
    }

    func testNoResponseAtAllFails() {
        var m = started()
        XCTAssertEqual(shapes(&m, .inviteTimedOut), [.stop(.ringTimeout), .ended(.failed, status: nil)],
                       "Timer B: the destination is unreachable")
    }

    // MARK: - CANCEL (§9.1)

    func testCancelBeforeAnyProvisionalWaitsForOne() {
        var m = started()
        XCTAssertEqual(shapes(&m, .cancelRequested), [], "§9.1: no CANCEL before a provisional response")
        XCTAssertEqual(m.state, .cancelPending)
        XCTAssertEqual(shapes(&m, .cancelRequested), [], "asking twice changes nothing")
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(180))), [.cancel, .start(.cancelGuard, .seconds(32))],
                       "the provisional lets the CANCEL go, and is not reported")
        XCTAssertEqual(m.state, .cancelling)
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(183))), [])
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))),
                       [.stop(.ringTimeout), .stop(.cancelGuard), .ended(.cancelled, status: 487)])
    }

    func testTryingAloneAllowsTheCancel() {
        var m = started()
        _ = m.handle(.cancelRequested)
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(100, toTag: nil))), [.cancel, .start(.cancelGuard, .seconds(32))])
    }

    func testCancelBeforeAProvisionalThatNeverComesEndsWithTheFinalWithoutAnyCancel() {
        var m = started()
        _ = m.handle(.cancelRequested)
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(486))), [.stop(.ringTimeout), .ended(.cancelled, status: 486)],
                       "we wanted out anyway: cancelled, and no CANCEL ever went")
        var n = started()
        _ = n.handle(.cancelRequested)
        XCTAssertEqual(shapes(&n, .inviteTimedOut), [.stop(.ringTimeout), .ended(.cancelled, status: nil)])
    }

    func testCancelAfterAProvisionalGoesAtOnce() {
        var m = started(180)
        XCTAssertEqual(shapes(&m, .cancelRequested), [.cancel, .start(.cancelGuard, .seconds(32))])
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))),
                       [.stop(.ringTimeout), .stop(.cancelGuard), .ended(.cancelled, status: 487)])
    }

    func testHangupBeforeTheAnswerIsACancel() {
        var m = started(183)
        XCTAssertEqual(shapes(&m, .hangupRequested), [.cancel, .start(.cancelGuard, .seconds(32))])
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))),
                       [.stop(.ringTimeout), .stop(.cancelGuard), .ended(.cancelled, status: 487)])
    }

    func testAnswerRacingTheCancelIsAcknowledgedThenHungUp() {
        var m = started(180)
        _ = m.handle(.cancelRequested)
        let actions = m.handle(.success(CallMessages.response(200, sdp: CallMessages.remoteSDPText)))
        XCTAssertEqual(CallActionShape.of(actions), [.stop(.ringTimeout), .stop(.cancelGuard),
                                                     .ack(status: 200, remoteTag: "uas1"), .bye(remoteTag: "uas1"),
                                                     .ended(.cancelled, status: 200)], "§15: ACK the 2xx, then BYE")
        guard case .reportEnded(let ending) = actions.last else { return XCTFail() }
        XCTAssertEqual(ending.hungUpBy, .local)
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, sdp: CallMessages.remoteSDPText))),
                       [.ack(status: 200, remoteTag: "uas1")], "its retransmissions are still ACKed")
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))), [], "nothing else after the end")
    }

    func testAnswerRacingAPendingCancelIsAcknowledgedThenHungUpToo() {
        var m = started()
        _ = m.handle(.cancelRequested)
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200))),
                       [.stop(.ringTimeout), .ack(status: 200, remoteTag: "uas1"), .bye(remoteTag: "uas1"),
                        .ended(.cancelled, status: 200)])
    }

    func testNoFinalWithin64T1AfterTheCancelEndsTheCall() {
        var m = started(180)
        _ = m.handle(.cancelRequested)
        XCTAssertEqual(shapes(&m, .timerFired(.cancelGuard)), [.stop(.ringTimeout), .ended(.cancelled, status: nil)])
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))), [], "a late 487 changes nothing")
    }

    // MARK: - Ring time-out

    func testRingTimeoutAfterAProvisionalCancelsAndEndsAsNoAnswer() {
        var m = started(180)
        XCTAssertEqual(shapes(&m, .timerFired(.ringTimeout)), [.cancel, .start(.cancelGuard, .seconds(32))])
        XCTAssertEqual(m.cancelCause, .ringTimeout)
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))), [.stop(.cancelGuard), .ended(.noAnswer, status: 487)],
                       "487 after our ring time-out is no-answer")
    }

    func testRingTimeoutBeforeAnyProvisionalWaitsToCancel() {
        var m = started()
        XCTAssertEqual(shapes(&m, .timerFired(.ringTimeout)), [])
        XCTAssertEqual(m.state, .cancelPending)
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(100, toTag: nil))), [.cancel, .start(.cancelGuard, .seconds(32))])
        XCTAssertEqual(shapes(&m, .failure(CallMessages.response(487))), [.stop(.cancelGuard), .ended(.noAnswer, status: 487)])
    }

    func testAfterTheRingTimeoutBusyAndFailuresStillSayWhatHappened() {
        for (status, outcome) in [(486, OutboundCallOutcome.busy), (480, .noAnswer), (503, .failed), (404, .failed)] {
            var m = started(180)
            _ = m.handle(.timerFired(.ringTimeout))
            XCTAssertEqual(shapes(&m, .failure(CallMessages.response(status))), [.stop(.cancelGuard), .ended(outcome, status: status)],
                           "\(status)")
        }
    }

    func testAnswerRacingTheRingTimeoutCancelIsHungUpAsNoAnswer() {
        var m = started(180)
        _ = m.handle(.timerFired(.ringTimeout))
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200))),
                       [.stop(.cancelGuard), .ack(status: 200, remoteTag: "uas1"), .bye(remoteTag: "uas1"),
                        .ended(.noAnswer, status: 200)])
    }

    func testRingTimeoutThenNothingEndsAsNoAnswer() {
        var m = started(180)
        _ = m.handle(.timerFired(.ringTimeout))
        XCTAssertEqual(shapes(&m, .timerFired(.cancelGuard)), [.ended(.noAnswer, status: nil)])
        var n = started()
        _ = n.handle(.timerFired(.ringTimeout))
        XCTAssertEqual(shapes(&n, .inviteTimedOut), [.ended(.noAnswer, status: nil)])
    }

    func testATimerThatWasCancelledIsIgnoredWhenItFiresLate() {
        var m = started(180)
        _ = m.handle(.success(CallMessages.response(200)))
        XCTAssertEqual(shapes(&m, .timerFired(.ringTimeout)), [], "the ring time-out was stopped by the answer")
        XCTAssertEqual(shapes(&m, .timerFired(.cancelGuard)), [], "never armed")
        XCTAssertEqual(m.state, .confirmed)
    }

    // MARK: - Authentication (§22.2)

    static let nonces = DigestNonces(secret: Array("trunk nonce secret".utf8))
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func challenge(_ status: Int, realm: String = "trunk.example") -> SIPResponse {
        let challenge = DigestChallenge(realm: realm, nonce: Self.nonces.make(now: Self.now, salt: 7), opaque: "op4que")
        let header = status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate"
        return CallMessages.response(status, headers: [(header, challenge.description)])
    }

    func testA401IsAnsweredOnceWithCredentialsTheServerAccepts() {
        var m = started(login: Self.login)
        let actions = m.handle(.failure(challenge(401)))
        XCTAssertEqual(CallActionShape.of(actions), [.invite(authorizationHeader: "Authorization")])
        XCTAssertEqual(m.state, .calling, "a new INVITE transaction: no provisional yet")
        guard case .sendInvite(let authorization?) = actions.first else { return XCTFail("no credentials") }
        let credentials = authorization.credentials
        XCTAssertEqual(credentials.username, "trunkuser")
        XCTAssertEqual(credentials.realm, "trunk.example")
        XCTAssertEqual(credentials.uri, "sip:100@192.0.2.1")
        XCTAssertEqual(credentials.opaque, "op4que")
        XCTAssertEqual(credentials.qop, "auth")
        XCTAssertEqual(credentials.cnonce, "0a4f113b")
        let ha1 = Digest.ha1(username: "trunkuser", realm: "trunk.example", password: "trunk-secret")
        XCTAssertEqual(DigestVerifier(nonces: Self.nonces).verify(credentials: credentials, method: "INVITE", ha1: ha1, now: Self.now), .ok,
                       "the trunk's verifier accepts what we computed")

        // The retry rings and is answered like any INVITE.
        XCTAssertEqual(shapes(&m, .provisional(CallMessages.response(180))), [.progress(180, earlyMedia: false)])
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200))),
                       [.stop(.ringTimeout), .ack(status: 200, remoteTag: "uas1"), .answered(200, remoteSDP: false)])
    }

    func testA407IsAnsweredWithProxyAuthorization() {
        var m = started(100, login: Self.login)
        XCTAssertEqual(shapes(&m, .failure(challenge(407))), [.invite(authorizationHeader: "Proxy-Authorization")])
        XCTAssertEqual(m.challengesAnswered, 1)
    }

    func testASecondChallengeAfterOurCredentialsFails() {
        var m = started(login: Self.login)
        _ = m.handle(.failure(challenge(401)))
        XCTAssertEqual(shapes(&m, .failure(challenge(401))), [.stop(.ringTimeout), .ended(.failed, status: 401)],
                       "credentials refused: we do not loop")
        var n = started(login: Self.login)
        _ = n.handle(.failure(challenge(407)))
        XCTAssertEqual(shapes(&n, .failure(challenge(401))), [.stop(.ringTimeout), .ended(.failed, status: 401)])
    }

    func testAChallengeWithoutCredentialsOrWithoutADigestChallengeFails() {
        var m = started()
        XCTAssertEqual(shapes(&m, .failure(challenge(401))), [.stop(.ringTimeout), .ended(.failed, status: 401)])
        var n = started(login: Self.login)
        XCTAssertEqual(shapes(&n, .failure(CallMessages.response(407, headers: [("Proxy-Authenticate", "Basic realm=\"x\"")]))),
                       [.stop(.ringTimeout), .ended(.failed, status: 407)])
        guard case .reportEnded(let ending) = started(login: Self.login).handleCopy(.failure(CallMessages.response(401))).last else {
            return XCTFail()
        }
        XCTAssertTrue(ending.reason.contains("WWW-Authenticate"), ending.reason)
    }

    func testAChallengeWhileCancellingIsNotAnswered() {
        var m = started(login: Self.login)
        _ = m.handle(.cancelRequested)
        XCTAssertEqual(shapes(&m, .failure(challenge(401))), [.stop(.ringTimeout), .ended(.cancelled, status: 401)])
    }

    // MARK: - In the call

    func testHangupAfterTheAnswerSendsBye() {
        var m = started(180)
        _ = m.handle(.success(CallMessages.response(200)))
        let actions = m.handle(.hangupRequested)
        XCTAssertEqual(CallActionShape.of(actions), [.bye(remoteTag: "uas1"), .ended(.ended, status: 200)])
        guard case .reportEnded(let ending) = actions.last else { return XCTFail() }
        XCTAssertEqual(ending.hungUpBy, .local)
        XCTAssertEqual(shapes(&m, .hangupRequested), [], "once")
        XCTAssertEqual(shapes(&m, .byeReceived), [], "a crossing BYE changes nothing")
    }

    func testCancelAfterTheAnswerSendsByeAsCancelled() {
        var m = started(180)
        _ = m.handle(.success(CallMessages.response(200)))
        XCTAssertEqual(shapes(&m, .cancelRequested), [.bye(remoteTag: "uas1"), .ended(.cancelled, status: 200)],
                       "a fork's loser that answered anyway")
    }

    func testByeFromTheRemoteEndsTheCall() {
        var m = started(180)
        XCTAssertEqual(shapes(&m, .byeReceived), [], "no dialog yet: nothing to end")
        _ = m.handle(.success(CallMessages.response(200)))
        let actions = m.handle(.byeReceived)
        XCTAssertEqual(CallActionShape.of(actions), [.ended(.ended, status: 200)])
        guard case .reportEnded(let ending) = actions.last else { return XCTFail() }
        XCTAssertEqual(ending.hungUpBy, .remote)
        XCTAssertEqual(shapes(&m, .hangupRequested), [], "already over: no BYE")
    }

    func testCancelBeforeStartEndsAtOnceWithoutAnyMessage() {
        var m = machine()
        XCTAssertEqual(shapes(&m, .cancelRequested), [.ended(.cancelled, status: nil)])
        XCTAssertEqual(shapes(&m, .start), [], "an ended call does not start")
    }

    func testNothingButRetransmitted2xxMattersAfterTheEnd() {
        var m = started(180)
        _ = m.handle(.failure(CallMessages.response(486)))
        for event: Machine.Event in [.provisional(CallMessages.response(180)), .failure(CallMessages.response(486)),
                                     .timerFired(.ringTimeout), .timerFired(.cancelGuard), .cancelRequested, .hangupRequested,
                                     .byeReceived, .inviteTimedOut, .start] {
            XCTAssertEqual(shapes(&m, event), [], "\(event)")
        }
        XCTAssertEqual(shapes(&m, .success(CallMessages.response(200, toTag: "late"))),
                       [.ack(status: 200, remoteTag: "late"), .bye(remoteTag: "late")],
                       "a 2xx after the end still gets ACK and BYE (§13.2.2.4)")
    }

    // MARK: - re-INVITE from the remote party (RFC 3261 §14.2, RFC 3264 §8)

    static func sdp(address: String, port: Int, version: Int = 2) -> SessionDescription {
        try! SessionDescription(parsing: "v=0\r\no=- 42 \(version) IN IP4 \(address)\r\ns=-\r\nc=IN IP4 \(address)\r\nt=0 0\r\n"
            + "m=audio \(port) RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
    }

    func testReinvitesAreAnsweredAndAMovedMediaIsReported() {
        struct Row {
            var offer: Machine.ReinviteOffer
            var expected: [CallActionShape]
            var line: UInt
        }
        let rows: [Row] = [
            // A session refresh without a body: our session again, nothing moved.
            Row(offer: .none, expected: [.answerReinvite], line: #line),
            // The same address and port as the answer (a refresh with SDP): nothing moved.
            Row(offer: .offer(Self.sdp(address: "192.0.2.20", port: 30000)), expected: [.answerReinvite], line: #line),
            // A new port, then a new address: the user follows each.
            Row(offer: .offer(Self.sdp(address: "192.0.2.20", port: 30002)),
                expected: [.answerReinvite, .mediaChanged("192.0.2.20", 30002)], line: #line),
            Row(offer: .offer(Self.sdp(address: "198.51.100.7", port: 30002, version: 3)),
                expected: [.answerReinvite, .mediaChanged("198.51.100.7", 30002)], line: #line),
            // An RFC 2543 hold (c=0.0.0.0) names nowhere to send: answered, nothing moved.
            Row(offer: .offer(Self.sdp(address: "0.0.0.0", port: 30002)), expected: [.answerReinvite], line: #line),
            // Back from hold to the last real address: moved again.
            Row(offer: .offer(Self.sdp(address: "198.51.100.7", port: 30002, version: 4)),
                expected: [.answerReinvite, .mediaChanged("198.51.100.7", 30002)], line: #line),
            // A body that is no SDP offer.
            Row(offer: .malformed("bad"), expected: [.rejectReinvite(488)], line: #line),
        ]
        var m = started(180)
        _ = m.handle(.success(CallMessages.response(200, sdp: CallMessages.remoteSDPText)))
        for row in rows {
            XCTAssertEqual(shapes(&m, .reinviteReceived(row.offer)), row.expected, line: row.line)
            XCTAssertEqual(m.state, .confirmed, line: row.line)
        }
        if case .offer(let last) = rows[rows.count - 2].offer { XCTAssertEqual(m.remoteSession, last) }
    }

    func testAReinviteOutsideTheConfirmedDialogIsRefused() {
        var ringing = started(180)
        XCTAssertEqual(shapes(&ringing, .reinviteReceived(.none)), [.rejectReinvite(481)])
        var over = started(180)
        _ = over.handle(.success(CallMessages.response(200, sdp: CallMessages.remoteSDPText)))
        _ = over.handle(.byeReceived)
        XCTAssertEqual(shapes(&over, .reinviteReceived(.offer(Self.sdp(address: "192.0.2.99", port: 4000)))),
                       [.rejectReinvite(481)])
    }
}

extension OutboundCallStateMachine {
    /// Handles an event on a copy (for one-line checks on a fresh machine).
    func handleCopy(_ event: Event) -> [Action] {
        var copy = self
        return copy.handle(event)
    }
}
