import Logging
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack
import XCTest

/// `sip.event-loops`: which loop a Call-ID belongs to, Call-IDs of our own calls that come
/// back to the loop that made them, and endpoints that hand a message read on one loop to
/// the loop its Call-ID belongs to.
final class SIPLoopAssignmentTests: XCTestCase {
    func testTheLoopOfACallIDIsFixedAndSpreads() {
        // FNV-1a 64: the same in every process (these values are the function's, computed once).
        let table: [(callID: String, loops: Int, loop: Int)] = [
            ("a", 2, 0), ("b", 2, 1), ("c", 2, 0), ("endpoint-call-1", 2, 1), ("a84bc@192.0.2.10", 3, 1),
            ("3c2a9f@switchback", 4, 0),
        ]
        for row in table {
            XCTAssertEqual(SIPLoopAssignment(loops: row.loops).loop(forCallID: row.callID), row.loop, "\(row)")
        }
        XCTAssertEqual(SIPLoopAssignment(loops: 1).loop(forCallID: "anything"), 0)
        XCTAssertEqual(SIPLoopAssignment(loops: 0).loops, 1, "at least one loop")

        // Foreign Call-IDs (a phone's, a trunk's) spread over the loops, none left idle.
        let four = SIPLoopAssignment(loops: 4)
        var perLoop = [Int](repeating: 0, count: 4)
        for n in 0..<4_000 { perLoop[four.loop(forCallID: "\(n)-\(n * 7919)@192.0.2.\(n % 250)")] += 1 }
        for count in perLoop { XCTAssertGreaterThan(count, 800, "\(perLoop)") }
    }

    func testOurCallIDsComeBackToTheLoopThatMadeThem() {
        let three = SIPLoopAssignment(loops: 3)
        for loop in 0..<3 {
            for _ in 0..<50 {
                let callID = three.makeCallID(for: loop)
                XCTAssertEqual(three.loop(forCallID: callID), loop, callID)
                XCTAssertTrue(callID.hasSuffix("@switchback"), callID)
            }
        }
        var drawn = 0
        let one = SIPLoopAssignment(loops: 1).makeCallID(for: 0) { drawn += 1; return "t\(drawn)" }
        XCTAssertEqual(one, "t1@switchback", "one loop: the first tag drawn")
    }

    func testARequestReadOnOneLoopIsHandledOnTheLoopOfItsCallID() throws {
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let users = [RecordingTransactionUser(), RecordingTransactionUser()]
        let endpoints = (0..<2).map {
            SIPEndpoint(eventLoop: loops[$0], configuration: SIPEndpointConfiguration(listen: []),
                        logger: Logger(label: "loops-test"))
        }
        SIPEndpoint.share(endpoints)
        for (endpoint, user) in zip(endpoints, users) { endpoint.user = user }
        XCTAssertEqual(endpoints.map(\.loopIndex), [0, 1])
        for endpoint in endpoints {
            XCTAssertEqual(endpoint.loopAssignment.loop(forCallID: endpoint.makeCallID()), endpoint.loopIndex)
        }

        let channel = EmbeddedChannel(loop: loops[0])
        let peer = try SocketAddress(ipAddress: "192.0.2.10", port: 40_000)
        try channel.connect(to: peer).wait()
        defer { _ = try? channel.finish() }
        let assignment = SIPLoopAssignment(loops: 2)
        let onLoop1 = (0...).lazy.map { "call-\($0)@192.0.2.10" }.first { assignment.loop(forCallID: $0) == 1 }!
        let onLoop0 = (0...).lazy.map { "call-\($0)@192.0.2.10" }.first { assignment.loop(forCallID: $0) == 0 }!

        // Both read by endpoint 0 (the kernel gave the datagrams to its socket).
        for (n, callID) in [onLoop1, onLoop0].enumerated() {
            endpoints[0].receive(Self.options(callID: callID, branch: "z9hG4bK-\(n)"),
                                 flow: SIPFlow(transport: .udp, remote: peer, channel: channel))
        }
        XCTAssertEqual(users[0].requests.map { $0.request.callID }, [onLoop0], "its own at once")
        XCTAssertEqual(users[1].requests.count, 0, "the other's waits for loop 1")
        loops[1].run()
        XCTAssertEqual(users[1].requests.map { $0.request.callID }, [onLoop1], "handed to loop 1")
        XCTAssertEqual(users[0].requests.count, 1)
        XCTAssertEqual(endpoints.map(\.statistics.messagesReceived), [2, 0], "counted where read")

        // The owner's transaction: its retransmission, read by endpoint 0 again, is absorbed there.
        users[1].requests[0].respond(status: 200)
        endpoints[0].receive(Self.options(callID: onLoop1, branch: "z9hG4bK-0"),
                             flow: SIPFlow(transport: .udp, remote: peer, channel: channel))
        loops[1].run()
        loops[0].run()
        XCTAssertEqual(users[1].requests.count, 1, "the retransmission met its transaction on loop 1")
        var answers = [Int]()
        while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            if case .response(let response) = try SIPMessageParser.parse(Array(envelope.data.readableBytesView)) {
                answers.append(response.statusCode)
            }
        }
        XCTAssertEqual(answers, [200, 200], "the answer, then again for the retransmission")
        for loop in loops { try loop.syncShutdownGracefully() }
    }

    private static func options(callID: String, branch: String) -> [UInt8] {
        Array(("OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=\(branch);rport\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=caller-tag\r\nTo: <sip:100@192.0.2.1>\r\n"
            + "Call-ID: \(callID)\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8)
    }
}
