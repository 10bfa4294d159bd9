import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack
import XCTest

/// `OutboundCall` on an endpoint without sockets: requests leave through a flow whose
/// channel is an `EmbeddedChannel`, responses come in through the endpoint's receive
/// path, time is the `EmbeddedEventLoop`'s (RFC 3261 §13.2, §9.1, §15, §22.2).
final class OutboundCallTests: XCTestCase {
    // MARK: - The INVITE

    func testInviteCarriesWhatRFC3261Asks() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(invite.method, .invite)
        XCTAssertEqual(invite.uri.description, "sip:+15551230000@192.0.2.20:5090")
        XCTAssertEqual(invite.from?.uri.description, "sip:1001@switchback.local")
        XCTAssertEqual(invite.from?.displayName, "Callback")
        XCTAssertEqual(invite.from?.tag, call.localTag, "§8.1.1.3: From carries our tag")
        XCTAssertNil(invite.to?.tag, "§8.1.1.2: To has no tag yet")
        XCTAssertEqual(invite.to?.uri, invite.uri)
        XCTAssertEqual(invite.callID, call.callID)
        XCTAssertEqual(invite.cseq, SIPCSeq(sequence: 1, method: .invite))
        XCTAssertEqual(invite.maxForwards, 70)
        XCTAssertEqual(invite.contacts.first?.uri.description, "sip:switchback@127.0.0.1:5060")
        XCTAssertEqual(invite.headers["P-Asserted-Identity"], "<sip:1001@switchback.local>")
        XCTAssertEqual(invite.contentType, "application/sdp")
        XCTAssertEqual(try SessionDescription(parsing: String(decoding: invite.body, as: UTF8.self)), CallMessages.offer)
        let via = try XCTUnwrap(invite.topVia)
        XCTAssertTrue(via.branch?.hasPrefix("z9hG4bK") ?? false, "§8.1.1.7")
        XCTAssertEqual(invite.vias.count, 1)
        XCTAssertEqual(h.registry.call(callID: call.callID).map(ObjectIdentifier.init), ObjectIdentifier(call))
    }

    // MARK: - Answer, ACK, BYE

    func testAnswerIsAcknowledgedInTheDialogThenHangupSendsBye() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)

        h.receive(h.response(180, to: invite))
        XCTAssertEqual(h.progress.map(\.status), [180])
        XCTAssertEqual(try h.writtenRequests(), [], "nothing to send for a 180")

        let ok = h.response(200, to: invite, sdp: CallMessages.remoteSDPText, recordRoute: "<sip:proxy.example.net;lr>")
        h.receive(ok)
        let ack = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(ack.method, .ack)
        XCTAssertEqual(ack.uri.description, "sip:uas@192.0.2.20:5090", "§12.2.1.1: the remote target")
        XCTAssertEqual(ack.headers.values("Route"), ["<sip:proxy.example.net;lr>"], "the route set")
        XCTAssertEqual(ack.cseq, SIPCSeq(sequence: 1, method: .ack), "§13.2.2.4: the INVITE's CSeq number")
        XCTAssertEqual(ack.to?.tag, "uas1")
        XCTAssertEqual(ack.from?.tag, call.localTag)
        XCTAssertNotEqual(ack.topVia?.branch, invite.topVia?.branch, "the ACK of a 2xx is a transaction of its own")
        XCTAssertEqual(h.answers.count, 1)
        XCTAssertEqual(h.answers.first?.remoteSDP, CallMessages.remoteSDP)
        XCTAssertEqual(call.dialog?.id, SIPDialog.ID(callID: call.callID, localTag: call.localTag, remoteTag: "uas1"))
        XCTAssertEqual(call.state, .confirmed)

        // The 2xx again while the transaction is in Accepted: ACK again (RFC 6026).
        h.receive(ok)
        XCTAssertEqual(try h.writtenRequests().map(\.method), [.ack])
        // After Timer M the transaction is gone: the 2xx is a stray the TU hands to the registry.
        h.loop.advanceTime(by: .seconds(33))
        h.receive(ok)
        let reACK = try h.writtenRequests()
        XCTAssertEqual(reACK.map(\.method), [.ack], "§13.2.2.4: the UAC core re-ACKs a stray 2xx")
        XCTAssertEqual(reACK.first?.cseq, SIPCSeq(sequence: 1, method: .ack))
        XCTAssertEqual(h.answers.count, 1, "answered once")

        call.hangup()
        let bye = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(bye.method, .bye)
        XCTAssertEqual(bye.cseq, SIPCSeq(sequence: 2, method: .bye))
        XCTAssertEqual(bye.uri.description, "sip:uas@192.0.2.20:5090")
        XCTAssertEqual(bye.to?.tag, "uas1")
        XCTAssertEqual(bye.headers.values("Route"), ["<sip:proxy.example.net;lr>"])
        XCTAssertEqual(h.endings.map(\.outcome), [.ended])
        XCTAssertEqual(h.endings.first?.hungUpBy, .local)
        XCTAssertEqual(h.endings.first?.status, 200)
        h.receive(h.response(200, to: bye))
        XCTAssertEqual(try h.writtenRequests(), [])
        XCTAssertEqual(h.endings.count, 1, "the end is reported once")
    }

    func testByeFromTheRemoteIsAnsweredAndEndsTheCall() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite, sdp: CallMessages.remoteSDPText))
        _ = try h.writtenRequests()

        h.receive(h.inDialogRequest(.bye, for: call, cseq: 1))
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.statusCode), [200])
        XCTAssertEqual(answer.first?.to?.tag, call.localTag)
        XCTAssertEqual(h.endings.map(\.outcome), [.ended])
        XCTAssertEqual(h.endings.first?.hungUpBy, .remote)

        call.hangup()
        XCTAssertEqual(try h.writtenRequests(), [], "no BYE after the remote's")
    }

    func testInDialogRequestsOfOtherKinds() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite))
        _ = try h.writtenRequests()

        h.receive(h.inDialogRequest(.info, for: call, cseq: 5))
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [200])
        h.receive(h.inDialogRequest(.info, for: call, cseq: 4))
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [500], "§12.2.2: CSeq went backwards")
        h.receive(h.inDialogRequest(.invite, for: call, cseq: 6))
        let reinvite = try h.writtenResponses()
        XCTAssertEqual(reinvite.map(\.statusCode), [100, 200], "a session refresh gets our session again")
        XCTAssertEqual(reinvite.last?.contentType, "application/sdp")
        XCTAssertEqual(try SessionDescription(parsing: String(decoding: reinvite.last?.body ?? [], as: UTF8.self)),
                       CallMessages.offer, "our session is unchanged (RFC 3264 §8)")
        h.receive(h.inDialogRequest(.bye, for: call, cseq: 7, remoteTag: "someone-else"))
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [481], "not a dialog of ours")

        var seen = [SIPMethod]()
        call.onRequest = { transaction in
            seen.append(transaction.request.method)
            transaction.respond(status: 202)
            return true
        }
        h.receive(h.inDialogRequest(.info, for: call, cseq: 8))
        XCTAssertEqual(seen, [.info])
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [202])
        XCTAssertEqual(call.state, .confirmed)
    }

    func testAReinviteThatMovesTheMediaIsAnsweredAndReported() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        var moved: [SessionDescription] = []
        call.onMediaChanged = { moved.append($0) }
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite, sdp: CallMessages.remoteSDPText))
        _ = try h.writtenRequests()

        let newSDP = "v=0\r\no=- 42 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
            + "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        var reinvite = h.inDialogRequest(.invite, for: call, cseq: 2)
        reinvite.headers.add("Content-Type", "application/sdp")
        reinvite.body = Array(newSDP.utf8)
        h.receive(reinvite)
        let responses = try h.writtenResponses()
        XCTAssertEqual(responses.map(\.statusCode), [100, 200])
        XCTAssertEqual(moved, [try SessionDescription(parsing: newSDP)], "the B leg's new media target is reported")

        var garbage = h.inDialogRequest(.invite, for: call, cseq: 3)
        garbage.headers.add("Content-Type", "application/sdp")
        garbage.body = Array("not sdp".utf8)
        h.receive(garbage)
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [100, 488])
        XCTAssertEqual(moved.count, 1)
        XCTAssertEqual(call.state, .confirmed)
    }

    // MARK: - CANCEL

    func testCancelWaitsForAProvisionalThenUsesTheInvitesBranch() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        call.cancel()
        XCTAssertEqual(try h.writtenRequests(), [], "§9.1: no CANCEL before a provisional response")

        h.receive(h.response(100, to: invite))
        let cancel = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(cancel.method, .cancel)
        XCTAssertEqual(cancel.uri, invite.uri, "§9.1: same Request-URI")
        XCTAssertEqual(cancel.callID, invite.callID)
        XCTAssertEqual(cancel.from, invite.from)
        XCTAssertEqual(cancel.to, invite.to)
        XCTAssertEqual(cancel.cseq, SIPCSeq(sequence: 1, method: .cancel), "same number, method CANCEL")
        XCTAssertEqual(cancel.headers.values("Via"), invite.headers.values("Via"), "one Via: the INVITE's top Via, same branch")

        h.receive(h.response(200, to: cancel))
        h.receive(h.response(487, to: invite))
        let ack = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(ack.method, .ack, "the transaction ACKs the 487 (§17.1.1.3)")
        XCTAssertEqual(ack.topVia?.branch, invite.topVia?.branch)
        XCTAssertEqual(h.endings.map(\.outcome), [.cancelled])
        XCTAssertEqual(h.endings.first?.status, 487)
        XCTAssertEqual(h.progress.map(\.status), [], "100 is not progress")
    }

    func testAnswerRacingTheCancelIsAcknowledgedThenHungUp() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(180, to: invite))
        call.cancel()
        let cancel = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(cancel.method, .cancel)
        h.receive(h.response(200, to: invite, sdp: CallMessages.remoteSDPText))
        h.receive(h.response(481, to: cancel))
        let sent = try h.writtenRequests()
        XCTAssertEqual(sent.map(\.method), [.ack, .bye], "§15: ACK the 2xx, then BYE")
        XCTAssertEqual(sent.last?.cseq, SIPCSeq(sequence: 2, method: .bye))
        XCTAssertEqual(sent.last?.to?.tag, "uas1")
        XCTAssertEqual(h.endings.map(\.outcome), [.cancelled])
        XCTAssertEqual(h.answers.count, 0, "never reported as answered")
    }

    func testRingTimeoutCancelsAndEndsAsNoAnswer() throws {
        let h = try CallHarness()
        let call = h.makeCall(ringTimeout: .seconds(5))
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(180, to: invite))
        h.loop.advanceTime(by: .milliseconds(4_999))
        XCTAssertEqual(try h.writtenRequests(), [])
        h.loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try h.writtenRequests().map(\.method), [.cancel])
        h.receive(h.response(487, to: invite))
        XCTAssertEqual(h.endings.map(\.outcome), [.noAnswer])
        XCTAssertEqual(h.endings.first?.status, 487)
        XCTAssertEqual(call.state, .ended)
    }

    func testRingingLongerThan64T1IsAllowed() throws {
        let h = try CallHarness()
        let call = h.makeCall(ringTimeout: .seconds(90))
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(180, to: invite))
        h.loop.advanceTime(by: .seconds(60))
        XCTAssertEqual(h.endings, [], "Timer B does not cut a ringing call")
        h.receive(h.response(200, to: invite))
        XCTAssertEqual(h.answers.count, 1)
    }

    // MARK: - Failures

    func testBusyEndsTheCallAndTheCallLeavesTheRegistryAfter64T1() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(486, to: invite))
        XCTAssertEqual(try h.writtenRequests().map(\.method), [.ack])
        XCTAssertEqual(h.endings, [OutboundCallEnding(outcome: .busy, status: 486, reason: "486 Busy Here")])
        XCTAssertEqual(h.registry.count, 1, "still findable for stray responses")
        h.loop.advanceTime(by: .seconds(32))
        XCTAssertEqual(h.registry.count, 0)
    }

    func testNoResponseAtAllFailsAfterTimerB() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.start()
        h.loop.advanceTime(by: .seconds(31))
        XCTAssertEqual(try h.writtenRequests().map(\.method), Array(repeating: .invite, count: 6), "Timer A: 0, 0.5, 1.5, 3.5, 7.5, 15.5 s")
        XCTAssertEqual(h.endings, [])
        h.loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(h.endings.map(\.outcome), [.failed])
        XCTAssertNil(h.endings.first?.status)
        XCTAssertEqual(call.state, .ended)
    }

    // MARK: - Digest

    func testChallengeIsAnsweredWithANewInviteAndTheAckCarriesTheCredentials() throws {
        let h = try CallHarness()
        let call = h.makeCall(login: DigestLogin(username: "trunkuser", password: "trunk-secret"))
        call.start()
        let first = try XCTUnwrap(h.writtenRequests().first)
        let nonces = DigestNonces(secret: Array("gateway".utf8))
        let now = Date()
        let challenge = DigestChallenge(realm: "gw.example", nonce: nonces.make(now: now))
        h.receive(h.response(407, to: first, headers: [("Proxy-Authenticate", challenge.description)]))

        let sent = try h.writtenRequests()
        XCTAssertEqual(sent.map(\.method), [.ack, .invite], "the 407 is ACKed, then the INVITE goes again")
        let second = sent[1]
        XCTAssertEqual(second.cseq, SIPCSeq(sequence: 2, method: .invite), "§22.2: CSeq + 1")
        XCTAssertEqual(second.callID, first.callID)
        XCTAssertEqual(second.from?.tag, first.from?.tag)
        XCTAssertNotEqual(second.topVia?.branch, first.topVia?.branch, "a new transaction")
        let credentials = try DigestCredentials(parsing: XCTUnwrap(second.headers["Proxy-Authorization"]))
        let ha1 = Digest.ha1(username: "trunkuser", realm: "gw.example", password: "trunk-secret")
        XCTAssertEqual(DigestVerifier(nonces: nonces).verify(credentials: credentials, method: "INVITE", ha1: ha1, now: now), .ok)

        h.receive(h.response(200, to: second))
        let ack = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(ack.cseq, SIPCSeq(sequence: 2, method: .ack))
        XCTAssertEqual(ack.headers["Proxy-Authorization"], second.headers["Proxy-Authorization"],
                       "§13.2.2.4: the ACK carries the INVITE's credentials")
        XCTAssertEqual(h.answers.count, 1)

        call.hangup()
        XCTAssertEqual(try h.writtenRequests().first?.cseq, SIPCSeq(sequence: 3, method: .bye))
    }

    func testASecondChallengeFails() throws {
        let h = try CallHarness()
        let call = h.makeCall(login: DigestLogin(username: "trunkuser", password: "wrong"))
        call.start()
        let first = try XCTUnwrap(h.writtenRequests().first)
        let challenge = DigestChallenge(realm: "gw.example", nonce: "n1").description
        h.receive(h.response(401, to: first, headers: [("WWW-Authenticate", challenge)]))
        let second = try XCTUnwrap(h.writtenRequests().last)
        XCTAssertNotNil(second.headers["Authorization"])
        h.receive(h.response(401, to: second, headers: [("WWW-Authenticate", challenge)]))
        XCTAssertEqual(try h.writtenRequests().map(\.method), [.ack], "no third INVITE")
        XCTAssertEqual(h.endings.map(\.outcome), [.failed])
        XCTAssertEqual(h.endings.first?.status, 401)
    }

    func testAChallengedByeIsAnsweredOnce() throws {
        let h = try CallHarness()
        let call = h.makeCall(login: DigestLogin(username: "trunkuser", password: "trunk-secret"))
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite))
        _ = try h.writtenRequests()
        call.hangup()
        let bye = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(401, to: bye, headers: [("WWW-Authenticate", DigestChallenge(realm: "gw.example", nonce: "n2").description)]))
        let again = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(again.method, .bye)
        XCTAssertEqual(again.cseq, SIPCSeq(sequence: 3, method: .bye))
        XCTAssertEqual(try DigestCredentials(parsing: XCTUnwrap(again.headers["Authorization"])).uri, "sip:uas@192.0.2.20:5090")
        h.receive(h.response(401, to: again, headers: [("WWW-Authenticate", DigestChallenge(realm: "gw.example", nonce: "n3").description)]))
        XCTAssertEqual(try h.writtenRequests(), [], "only once")
    }

    func testReInviteSentInTheDialogHasItsAnswerAcknowledged() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        XCTAssertFalse(call.sendInDialog(.info) { _ in }, "no dialog before the answer")
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite))
        _ = try h.writtenRequests()

        var statuses = [Int]()
        XCTAssertTrue(call.sendInDialog(.invite, headers: [SIPHeaderField(name: "Content-Type", value: "application/sdp")],
                                        body: Array(CallMessages.offer.description.utf8)) { event in
            if case .response(let response) = event { statuses.append(response.statusCode) }
        })
        let reinvite = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(reinvite.cseq, SIPCSeq(sequence: 2, method: .invite))
        XCTAssertEqual(reinvite.to?.tag, "uas1")
        XCTAssertNotNil(reinvite.contacts.first, "§14.1: a re-INVITE carries Contact")
        h.receive(h.response(200, to: reinvite))
        let ack = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(ack.method, .ack)
        XCTAssertEqual(ack.cseq, SIPCSeq(sequence: 2, method: .ack))
        XCTAssertEqual(statuses, [200])
    }

    func testCallbacksMayCallBackIn() throws {
        let h = try CallHarness()
        let call = h.makeCall()
        call.onAnswer = { [unowned call] _ in call.hangup() }
        call.start()
        let invite = try XCTUnwrap(h.writtenRequests().first)
        h.receive(h.response(200, to: invite))
        XCTAssertEqual(try h.writtenRequests().map(\.method), [.ack, .bye], "the ACK first, then the BYE asked for in onAnswer")
        XCTAssertEqual(call.ending?.outcome, .ended)
    }
}

// MARK: - Harness

/// An endpoint on an `EmbeddedEventLoop` whose calls are pinned to a flow on an
/// `EmbeddedChannel`, a transaction user that passes everything to the registry, and
/// the callbacks recorded.
final class CallHarness {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let endpoint: SIPEndpoint
    let registry = OutboundCallRegistry()
    let user: RegistryTransactionUser
    /// The far end: a documentation address. Nothing leaves the process.
    let peer: SocketAddress
    var progress = [OutboundCallProgress]()
    var answers = [OutboundCallAnswer]()
    var endings = [OutboundCallEnding]()

    init() throws {
        channel = EmbeddedChannel(loop: loop)
        peer = try SocketAddress(ipAddress: "192.0.2.20", port: 5090)
        endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(listen: []),
                               logger: Logger(label: "outbound-call-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        user = RegistryTransactionUser(registry: registry)
        endpoint.user = user
        try channel.connect(to: peer).wait()
    }

    deinit {
        _ = try? channel.finish()
        try? loop.syncShutdownGracefully()
    }

    var flow: SIPFlow { SIPFlow(transport: .udp, remote: peer, channel: channel) }

    func makeCall(ringTimeout: Duration = .seconds(60), login: DigestLogin? = nil) -> OutboundCall {
        let uri = try! SIPURI(parsing: "sip:+15551230000@192.0.2.20:5090")
        let parameters = OutboundCall.Parameters(
            requestURI: uri, from: try! SIPNameAddress(parsing: "\"Callback\" <sip:1001@switchback.local>"),
            destination: SIPDestination(transport: .udp, host: "192.0.2.20", port: 5090), offer: CallMessages.offer,
            login: login, ringTimeout: ringTimeout, flow: flow,
            extraHeaders: [SIPHeaderField(name: "P-Asserted-Identity", value: "<sip:1001@switchback.local>")])
        let call = OutboundCall(endpoint: endpoint, parameters: parameters, registry: registry)
        call.onProgress = { [unowned self] in progress.append($0) }
        call.onAnswer = { [unowned self] in answers.append($0) }
        call.onEnd = { [unowned self] in endings.append($0) }
        return call
    }

    func receive(_ response: SIPResponse) {
        endpoint.receive(response.serialized(), flow: flow)
        loop.run()
    }

    func receive(_ request: SIPRequest) {
        endpoint.receive(request.serialized(), flow: flow)
        loop.run()
    }

    /// What the endpoint wrote since the last call.
    func written() throws -> [SIPMessage] {
        loop.run()
        var out = [SIPMessage]()
        while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            XCTAssertEqual(envelope.remoteAddress, peer, "pinned to the flow")
            out.append(try SIPMessageParser.parse(Array(envelope.data.readableBytesView)))
        }
        return out
    }

    func writtenRequests() throws -> [SIPRequest] {
        try written().compactMap { message -> SIPRequest? in
            if case .request(let r) = message { return r }
            XCTFail("a response: \(message)")
            return nil
        }
    }

    func writtenResponses() throws -> [SIPResponse] {
        try written().compactMap { message -> SIPResponse? in
            if case .response(let r) = message { return r }
            XCTFail("a request: \(message)")
            return nil
        }
    }

    /// The far end's response to a request we sent (its Via, our tags), with a Contact on 2xx.
    func response(_ status: Int, to request: SIPRequest, toTag: String = "uas1", sdp: String? = nil, recordRoute: String? = nil,
                  headers: [(String, String)] = []) -> SIPResponse {
        var response = SIPResponse(replyingTo: request, statusCode: status, toTag: status == 100 ? nil : toTag)
        if let recordRoute { response.headers.add("Record-Route", recordRoute) }
        if (200...299).contains(status) && request.method == .invite { response.headers.add("Contact", "<sip:uas@192.0.2.20:5090>") }
        for (name, value) in headers { response.headers.add(name, value) }
        if let sdp {
            response.headers.add("Content-Type", "application/sdp")
            response.body = Array(sdp.utf8)
        }
        return response
    }

    /// A request from the far end inside the call's dialog.
    func inDialogRequest(_ method: SIPMethod, for call: OutboundCall, cseq: UInt32, remoteTag: String = "uas1") -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.20:5090;branch=z9hG4bK-uas-\(method.name)-\(cseq)")
        headers.add("From", "<sip:+15551230000@192.0.2.20>;tag=\(remoteTag)")
        headers.add("To", "\"Callback\" <sip:1001@switchback.local>;tag=\(call.localTag)")
        headers.add("Call-ID", call.callID)
        headers.add("CSeq", "\(cseq) \(method.name)")
        headers.add("Max-Forwards", "70")
        if method == .invite { headers.add("Contact", "<sip:uas@192.0.2.20:5090>") }
        return SIPRequest(method: method, uri: SIPURI(user: "switchback", host: "127.0.0.1", port: 5060), headers: headers)
    }
}

/// What a transaction user does for outbound calls: pass in-dialog requests, ACKs and
/// stray responses to the registry; answer 481 to what is nobody's.
final class RegistryTransactionUser: SIPTransactionUser, @unchecked Sendable {
    let registry: OutboundCallRegistry
    var unhandledStrays = [SIPResponse]()

    init(registry: OutboundCallRegistry) {
        self.registry = registry
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        if !registry.handle(request, in: transaction) { transaction.respond(status: 481) }
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        _ = registry.handleACK(ack)
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {}

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {}

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {
        if !registry.handleStray(response) { unhandledStrays.append(response) }
    }
}
