import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack
import XCTest

/// `InboundSession` on an endpoint without sockets: the caller's requests come in through
/// the endpoint's receive path on a flow whose channel is an `EmbeddedChannel`, our
/// responses and BYEs are read from it, time is the `EmbeddedEventLoop`'s.
final class InboundSessionTests: XCTestCase {
    func testRingAnswerACKInfoAndByeOnTheWire() throws {
        let h = try SessionHarness(ring: .seconds(1))
        h.receive(h.invite(sdp: InboundSessionStateMachineTests.callerSDPText))
        let early = try h.writtenResponses()
        XCTAssertEqual(early.map(\.statusCode), [100, 180])
        let tag = try XCTUnwrap(early.last?.to?.tag)
        let session = try XCTUnwrap(h.sessions.first)
        XCTAssertEqual(tag, session.localTag)
        XCTAssertEqual(h.mediaRequests, 0, "no media port while ringing")

        h.loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(h.mediaRequests, 1)
        session.mediaOpened(address: "127.0.0.1", port: 20_000)
        let ok = try XCTUnwrap(h.writtenResponses().first)
        XCTAssertEqual(ok.statusCode, 200)
        XCTAssertEqual(ok.to?.tag, tag, "the early dialog's tag")
        XCTAssertEqual(ok.contentType, "application/sdp")
        XCTAssertEqual(ok.contacts.first?.uri.description, "sip:switchback@127.0.0.1:5060")
        XCTAssertNotNil(ok.headers["Allow"])
        XCTAssertEqual(h.answered, 1)
        XCTAssertEqual(h.confirmed.count, 0, "no media is sent before the ACK")

        h.receive(h.inDialog(.ack, cseq: 1, toTag: tag))
        XCTAssertEqual(h.confirmed.map(\.remotePort), [40_000])

        var info = h.inDialog(.info, cseq: 2, toTag: tag)
        info.headers.add("Content-Type", "application/dtmf-relay")
        info.body = Array("Signal=7\r\nDuration=100\r\n".utf8)
        h.receive(info)
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [200])
        XCTAssertEqual(h.digits, ["7"])

        h.receive(h.inDialog(.info, cseq: 1, toTag: tag))
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [500], "§12.2.2: CSeq went backwards")

        h.receive(h.inDialog(.bye, cseq: 3, toTag: tag))
        XCTAssertEqual(try h.writtenResponses().map(\.statusCode), [200])
        XCTAssertEqual(h.endings, [.remoteHangup])
    }

    func testCancelWhileRingingIsAnswered487() throws {
        let h = try SessionHarness(ring: .seconds(5))
        let invite = h.invite(sdp: InboundSessionStateMachineTests.callerSDPText)
        h.receive(invite)
        _ = try h.writtenResponses()
        var cancel = invite
        cancel.method = .cancel
        cancel.headers.set("CSeq", "1 CANCEL")
        cancel.body = []
        cancel.headers.remove("Content-Type")
        h.receive(cancel)
        let responses = try h.writtenResponses()
        XCTAssertEqual(responses.map(\.statusCode).sorted(), [200, 487])
        XCTAssertEqual(h.endings, [.cancelled])
        h.loop.advanceTime(by: .seconds(5))
        XCTAssertEqual(h.mediaRequests, 0, "the ring timer stopped")
    }

    func testOurHangupSendsByeWithTheReason() throws {
        let h = try SessionHarness()
        h.receive(h.invite(sdp: InboundSessionStateMachineTests.callerSDPText))
        let session = try XCTUnwrap(h.sessions.first)
        session.mediaOpened(address: "127.0.0.1", port: 20_000)
        _ = try h.writtenResponses()
        h.receive(h.inDialog(.ack, cseq: 1, toTag: session.localTag))
        session.hangup(q850: 31)
        let bye = try XCTUnwrap(h.writtenRequests().first)
        XCTAssertEqual(bye.method, .bye)
        XCTAssertEqual(bye.headers["Reason"], "Q.850;cause=31")
        XCTAssertEqual(bye.uri.description, "sip:alice@192.0.2.10:5070", "§12.2.1.1: the caller's Contact")
        XCTAssertEqual(bye.from?.tag, session.localTag)
        XCTAssertEqual(h.endings, [.localHangup(status: 200)])
    }
}

/// An endpoint on an `EmbeddedEventLoop` whose transaction user starts an
/// `InboundSession` for every INVITE and passes the rest to the registry.
final class SessionHarness: SIPTransactionUser, @unchecked Sendable {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let endpoint: SIPEndpoint
    let registry = InboundSessionRegistry()
    let peer: SocketAddress
    let ring: Duration
    var sessions: [InboundSession] = []
    var mediaRequests = 0
    var answered = 0
    var confirmed: [NegotiatedAudio] = []
    var digits: [Character] = []
    var endings: [InboundSessionStateMachine.Ending] = []

    init(ring: Duration = .zero) throws {
        self.ring = ring
        channel = EmbeddedChannel(loop: loop)
        peer = try SocketAddress(ipAddress: "192.0.2.10", port: 5070)
        endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(listen: []),
                               logger: Logger(label: "inbound-session-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        endpoint.user = self
        try channel.connect(to: peer).wait()
    }

    deinit {
        _ = try? channel.finish()
        try? loop.syncShutdownGracefully()
    }

    var flow: SIPFlow { SIPFlow(transport: .udp, remote: peer, channel: channel) }

    func receive(_ request: SIPRequest) {
        endpoint.receive(request.serialized(), flow: flow)
        loop.run()
    }

    func invite(sdp: String?) -> SIPRequest {
        var request = TestMessages.request(.invite, branch: "z9hG4bK-invite-1")
        if let sdp {
            request.headers.add("Content-Type", "application/sdp")
            request.body = Array(sdp.utf8)
        }
        return request
    }

    func inDialog(_ method: SIPMethod, cseq: UInt32, toTag: String) -> SIPRequest {
        TestMessages.request(method, branch: "z9hG4bK-\(method.name)-\(cseq)", cseq: cseq, toTag: toTag)
    }

    func written() throws -> [SIPMessage] {
        loop.run()
        var out = [SIPMessage]()
        while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            out.append(try SIPMessageParser.parse(Array(envelope.data.readableBytesView)))
        }
        return out
    }

    func writtenResponses() throws -> [SIPResponse] {
        try written().compactMap { if case .response(let r) = $0 { return r } else { return nil } }
    }

    func writtenRequests() throws -> [SIPRequest] {
        try written().compactMap { if case .request(let r) = $0 { return r } else { return nil } }
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        if request.to?.tag != nil {
            if !registry.handle(request, in: transaction) { transaction.respond(status: 481) }
            return
        }
        let session = InboundSession(endpoint: endpoint, invite: transaction, parameters: .init(ring: ring), registry: registry)
        session.onOpenMedia = { [unowned self] in mediaRequests += 1 }
        session.onAnswered = { [unowned self] _ in answered += 1 }
        session.onConfirmed = { [unowned self] in confirmed.append($0) }
        session.onDigit = { [unowned self] in digits.append($0) }
        session.onEnd = { [unowned self] in endings.append($0) }
        sessions.append(session)
        session.start()
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        _ = registry.handleACK(ack)
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {
        _ = registry.handleCancel(of: transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {
        _ = registry.handleTimeout(of: transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {}
}
