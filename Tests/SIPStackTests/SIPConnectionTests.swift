import Foundation
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack
import XCTest

/// TCP connections: the caps and the idle rule as a table (`SIPConnectionTable`), and the
/// endpoint carrying them out on `EmbeddedChannel` connections: refusing unframeable
/// streams with 400/513, closing idle connections but not those a call or a
/// registration depends on.
final class SIPConnectionTests: XCTestCase {
    // MARK: - The table

    final class Token {}

    func testCapsOverallAndPerSourceAndClosingFreesARoom() {
        var table = SIPConnectionTable(limits: .init(maximumConnections: 3, maximumConnectionsPerSource: 2,
                                                     idleTimeout: .seconds(60)))
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let tokens = (0..<5).map { _ in Token() }
        let ids = tokens.map(ObjectIdentifier.init)
        XCTAssertEqual(table.admit(ids[0], source: "192.0.2.1", now: now), .accepted)
        XCTAssertEqual(table.admit(ids[1], source: "192.0.2.1", now: now), .accepted)
        XCTAssertEqual(table.admit(ids[2], source: "192.0.2.1", now: now), .overSourceCap)
        XCTAssertEqual(table.admit(ids[2], source: "192.0.2.2", now: now), .accepted)
        XCTAssertEqual(table.admit(ids[3], source: "192.0.2.3", now: now), .overTotalCap)
        XCTAssertEqual(table.acceptedConnections, 3)
        table.closed(ids[0])
        table.closed(ids[0])
        XCTAssertEqual(table.acceptedConnections, 2, "closing twice frees one room")
        XCTAssertEqual(table.admit(ids[3], source: "192.0.2.1", now: now), .accepted)
        // Connections we open ourselves are never refused and never counted.
        table.opened(ids[4], source: "192.0.2.1", now: now)
        XCTAssertEqual(table.acceptedConnections, 3)
        XCTAssertEqual(table.count, 4)
    }

    func testIdleUnlessPinnedOrHeldByARegistration() {
        var table = SIPConnectionTable(limits: .init(maximumConnections: 10, maximumConnectionsPerSource: 10,
                                                     idleTimeout: .seconds(60)))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let tokens = (0..<5).map { _ in Token() }
        let (quiet, busy, inCall, registered) = (ObjectIdentifier(tokens[0]), ObjectIdentifier(tokens[1]),
                                                 ObjectIdentifier(tokens[2]), ObjectIdentifier(tokens[3]))
        for id in [quiet, busy, inCall, registered] { _ = table.admit(id, source: "192.0.2.1", now: start) }
        // Ours, to a trunk: a long call's dialog may be silent on it for minutes.
        let toTrunk = ObjectIdentifier(tokens[4])
        table.opened(toTrunk, source: "192.0.2.9", now: start)
        table.pin(inCall)
        table.hold(registered, until: start + .seconds(3600))
        table.touched(busy, now: start + .seconds(50))
        XCTAssertEqual(table.idle(now: start + .seconds(59)), [])
        XCTAssertEqual(table.idle(now: start + .seconds(60)), [quiet])
        XCTAssertEqual(Set(table.idle(now: start + .seconds(110))), [quiet, busy])
        table.unpin(inCall)
        table.unpin(inCall)
        XCTAssertEqual(Set(table.idle(now: start + .seconds(110))), [quiet, busy, inCall], "the call ended")
        XCTAssertFalse(table.idle(now: start + .seconds(3599)).contains(registered), "held while registered")
        XCTAssertTrue(table.idle(now: start + .seconds(3600)).contains(registered), "the registration expired")
        XCTAssertFalse(table.idle(now: start + .seconds(86_400)).contains(toTrunk), "our own connections are never idle-closed")
    }

    // MARK: - The endpoint

    /// A TCP connection from the harness's peer, with the stream handlers in front.
    func connect(_ h: EndpointHarness, limits: SIPStreamFramer.Limits = .default) throws -> EmbeddedChannel {
        let connection = EmbeddedChannel(loop: h.loop)
        // As the listener's child channel initializer does: admitted before anything else.
        try h.endpoint.admit(connection)
        try connection.pipeline.syncOperations.addHandler(ByteToMessageHandler(SIPStreamDecoder(limits: limits)))
        try connection.pipeline.syncOperations.addHandler(SIPStreamHandler(endpoint: h.endpoint))
        try connection.connect(to: h.peer).wait()
        h.loop.run()
        return connection
    }

    func written(on connection: EmbeddedChannel) throws -> [SIPResponse] {
        var responses = [SIPResponse]()
        while let buffer = try connection.readOutbound(as: ByteBuffer.self) {
            guard case .response(let response) = try SIPMessageParser.parse(Array(buffer.readableBytesView)) else {
                XCTFail("wrote a request")
                continue
            }
            responses.append(response)
        }
        return responses
    }

    func testOversizeMessageGets513ThenTheConnectionCloses() throws {
        let h = try EndpointHarness()
        let connection = try connect(h, limits: .init(maximumHeaderBytes: 2048, maximumMessageBytes: 4096))
        let big = String(decoding: EndpointHarness.options(transport: "TCP"), as: UTF8.self)
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: 50000")
        try connection.writeInbound(ByteBuffer(string: big + String(repeating: "x", count: 3000)))
        h.loop.run()
        let responses = try written(on: connection)
        XCTAssertEqual(responses.map(\.statusCode), [513])
        XCTAssertEqual(responses.first?.callID, "endpoint-call-1", "answered with the request's own headers")
        XCTAssertFalse(connection.isActive)
        XCTAssertTrue(h.user.requests.isEmpty)
        XCTAssertEqual(h.endpoint.statistics.streamsRefused, 1)
        let log = h.logs.entries.first { $0.message == "refusing SIP TCP stream" }
        XCTAssertEqual(log?.metadata["remote"], "192.0.2.10:40000", "logged with the peer's address")
    }

    func testMissingOrGarbledContentLengthGets400ThenTheConnectionCloses() throws {
        for replacement in ["", "Content-Length: zero\r\n"] {
            let h = try EndpointHarness()
            let connection = try connect(h)
            let text = String(decoding: EndpointHarness.options(transport: "TCP"), as: UTF8.self)
                .replacingOccurrences(of: "Content-Length: 0\r\n", with: replacement)
            try connection.writeInbound(ByteBuffer(string: text + String(decoding: EndpointHarness.options(transport: "TCP"),
                                                                        as: UTF8.self)))
            h.loop.run()
            XCTAssertEqual(try written(on: connection).map(\.statusCode), [400], "'\(replacement)'")
            XCTAssertFalse(connection.isActive)
            XCTAssertTrue(h.user.requests.isEmpty, "nothing after the unframeable message is read")
        }
    }

    func testAnEndlessHeaderIsClosedWithoutAnAnswer() throws {
        let h = try EndpointHarness()
        let connection = try connect(h, limits: .init(maximumHeaderBytes: 1024, maximumMessageBytes: 4096))
        try connection.writeInbound(ByteBuffer(string: "OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
            + String(repeating: "X-Filler: 0123456789\r\n", count: 100)))
        h.loop.run()
        XCTAssertEqual(try written(on: connection).count, 0)
        XCTAssertFalse(connection.isActive)
    }

    func testIdleConnectionIsClosedButOneInACallOrRegisteredIsKept() throws {
        let h = try EndpointHarness()
        let idle = try connect(h)
        XCTAssertEqual(h.endpoint.connectionTable.count, 1)
        h.endpoint.closeIdleConnections(now: .now() + .seconds(61))
        h.loop.run()
        XCTAssertFalse(idle.isActive, "no traffic, nothing depends on it")
        XCTAssertEqual(h.endpoint.statistics.connectionsClosedIdle, 1)
        XCTAssertEqual(h.endpoint.connectionTable.count, 0)

        // A call pins its connection.
        let inCall = try connect(h)
        let flow = SIPFlow(transport: .tcp, remote: h.peer, channel: inCall)
        h.endpoint.pinConnection(of: flow)
        h.endpoint.closeIdleConnections(now: .now() + .seconds(3600))
        XCTAssertTrue(inCall.isActive)
        h.endpoint.unpinConnection(of: flow)
        h.endpoint.closeIdleConnections(now: .now() + .seconds(61))
        h.loop.run()
        XCTAssertFalse(inCall.isActive, "the call ended")

        // A REGISTER answered 200 with a binding of 600 s holds it that long.
        let registered = try connect(h)
        let register = String(decoding: EndpointHarness.options(transport: "TCP"), as: UTF8.self)
            .replacingOccurrences(of: "OPTIONS", with: "REGISTER")
        try registered.writeInbound(ByteBuffer(string: register))
        h.loop.run()
        XCTAssertEqual(h.user.requests.map(\.request.method), [.register])
        var ok = SIPResponse(replyingTo: h.user.requests[0].request, statusCode: 200, toTag: "reg")
        ok.headers.add("Contact", "<sip:alice@192.0.2.10:5070;transport=tcp>;expires=600")
        h.user.requests[0].respond(ok)
        h.loop.run()
        h.endpoint.closeIdleConnections(now: .now() + .seconds(300))
        XCTAssertTrue(registered.isActive, "held while the registration lives")
        h.endpoint.closeIdleConnections(now: .now() + .seconds(700))
        h.loop.run()
        XCTAssertFalse(registered.isActive, "the registration expired and nothing else came")
    }
}
