import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack
import XCTest

/// `SIPEndpoint` without sockets: bytes go in through its receive path on a flow whose
/// channel is an `EmbeddedChannel`, time is the `EmbeddedEventLoop`'s, and the tests
/// read what the endpoint wrote (RFC 3261 §17.2, §9.2, §13.3.1.4, §18.2).
final class SIPEndpointTests: XCTestCase {
    // MARK: - INVITE server transactions

    func testInviteGets100TryingAtOnceThenTheResponseOfTheTransactionUser() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        let trying = try h.writtenResponses()
        XCTAssertEqual(trying.map(\.response.statusCode), [100], "§17.2.1: 100 before the TU says anything")
        XCTAssertNil(trying.first?.response.to?.tag, "100 Trying carries no To tag here (§8.2.6.1)")
        XCTAssertEqual(h.user.requests.map(\.request.method), [.invite])

        // §18.2.2 with RFC 3581 §4: the answer goes to the packet's source port, and
        // the Via says where the request really came from.
        XCTAssertEqual(trying.first?.destination, h.peer)
        let via = try XCTUnwrap(trying.first?.response.topVia)
        XCTAssertEqual(via.received, "192.0.2.10")
        XCTAssertEqual(via.rport, .value(40_000))

        h.user.requests[0].respond(status: 486)
        let busy = try h.writtenResponses()
        XCTAssertEqual(busy.map(\.response.statusCode), [486])
        XCTAssertNotNil(busy.first?.response.to?.tag, "§8.2.6.2: final responses carry a To tag")
        XCTAssertEqual(busy.first?.response.callID, "endpoint-call-1")
        XCTAssertEqual(busy.first?.response.cseq, SIPCSeq(sequence: 1, method: .invite))
    }

    func testRetransmittedInviteGetsTheLastResponseAgainAndReachesTheTUOnce() throws {
        let h = try EndpointHarness()
        let invite = EndpointHarness.invite()
        h.receive(invite)
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [100])
        h.receive(invite)
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [100], "the 100 again")

        h.user.requests[0].respond(status: 180, toTag: "uas-tag")
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [180])
        h.receive(invite)
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [180], "now the 180")

        h.user.requests[0].respond(status: 486, toTag: "uas-tag")
        let final = try h.writtenResponses()
        h.receive(invite)
        let again = try h.writtenResponses()
        XCTAssertEqual(again.map(\.response.statusCode), [486], "§17.2.1: a retransmitted INVITE in Completed gets the final again")
        XCTAssertEqual(again.first?.bytes, final.first?.bytes, "byte for byte the same response")
        XCTAssertEqual(h.user.requests.count, 1, "retransmissions are absorbed by the transaction")
    }

    func testNon2xxFinalIsRetransmittedOnTimerGUntilTheACK() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        _ = try h.writtenResponses()
        h.user.requests[0].respond(status: 404, toTag: "uas-tag")
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [404])
        h.loop.advanceTime(by: .milliseconds(500))
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [404], "Timer G at T1")
        h.loop.advanceTime(by: .milliseconds(999))
        XCTAssertEqual(try h.writtenResponses().count, 0)
        h.loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [404], "then at 2·T1")

        // §17.1.1.3: the ACK of a non-2xx uses the INVITE's branch; it ends the retransmissions.
        h.receive(EndpointHarness.ack(branch: "z9hG4bK-invite-1", toTag: "uas-tag"))
        h.loop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try h.writtenResponses().count, 0, "no retransmission after the ACK")
        XCTAssertTrue(h.user.acks.isEmpty, "the ACK of a non-2xx stays in the transaction layer")
        XCTAssertTrue(h.user.timedOut.isEmpty)
    }

    func test2xxIsRetransmittedOnTimerTicksAndStopsAfterTheACK() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        _ = try h.writtenResponses()
        h.user.requests[0].respond(status: 200, toTag: "uas-tag")
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.response.statusCode), [200])

        // §13.3.1.4: T1, then doubling: 500 ms, 1 s, 2 s after each previous one.
        for (gap, label) in [(500, "T1"), (1000, "2·T1"), (2000, "4·T1")] {
            h.loop.advanceTime(by: .milliseconds(Int64(gap - 1)))
            XCTAssertEqual(try h.writtenResponses().count, 0, "nothing before \(label)")
            h.loop.advanceTime(by: .milliseconds(1))
            let again = try h.writtenResponses()
            XCTAssertEqual(again.map(\.response.statusCode), [200], "the 2xx again after \(label)")
            XCTAssertEqual(again.first?.bytes, answer.first?.bytes)
        }

        // The ACK for a 2xx is a transaction of its own (new branch), matched by
        // Call-ID and CSeq; it reaches the TU once and stops the retransmissions.
        h.receive(EndpointHarness.ack(branch: "z9hG4bK-ack-for-2xx", toTag: "uas-tag"))
        XCTAssertEqual(h.user.acks.count, 1)
        h.receive(EndpointHarness.ack(branch: "z9hG4bK-ack-for-2xx", toTag: "uas-tag"))
        XCTAssertEqual(h.user.acks.count, 1, "a retransmitted ACK is absorbed")
        h.loop.advanceTime(by: .seconds(40))
        XCTAssertEqual(try h.writtenResponses().count, 0, "no retransmission after the ACK")
        XCTAssertTrue(h.user.timedOut.isEmpty, "an acknowledged 2xx never times out")
    }

    func testUnacknowledged2xxIsCappedAtT2AndTimesOutAfter64T1() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        _ = try h.writtenResponses()
        h.user.requests[0].respond(status: 200, toTag: "uas-tag")
        _ = try h.writtenResponses()

        var sentAt = [Int]()   // milliseconds
        for step in 1...160 {  // 40 s in 250 ms steps
            h.loop.advanceTime(by: .milliseconds(250))
            sentAt += try h.writtenResponses().map { _ in step * 250 }
        }
        // 500, 1000, 2000, then T2 = 4 s each, until Timer L at 64·T1 = 32 s.
        XCTAssertEqual(sentAt, [500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500])
        XCTAssertEqual(h.user.timedOut.count, 1, "§13.3.1.4: no ACK within 64·T1, the TU is told")
        XCTAssertTrue(h.user.timedOut.first === h.user.requests.first)
    }

    // MARK: - CANCEL

    func testCancelIsAnswered200AndTheTUIsTold() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        _ = try h.writtenResponses()
        let cancel = EndpointHarness.cancel(branch: "z9hG4bK-invite-1")
        h.receive(cancel)
        let ok = try h.writtenResponses()
        XCTAssertEqual(ok.map(\.response.statusCode), [200], "§9.2: the CANCEL itself gets 200")
        XCTAssertEqual(ok.first?.response.cseq, SIPCSeq(sequence: 1, method: .cancel))
        XCTAssertEqual(h.user.cancelled.count, 1)
        XCTAssertTrue(h.user.cancelled.first === h.user.requests.first, "the TU learns which INVITE was cancelled")
        XCTAssertTrue(h.user.requests.first?.isCancelled ?? false)

        h.receive(cancel)
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [200], "a retransmitted CANCEL gets its 200 again")
        XCTAssertEqual(h.user.cancelled.count, 1, "and does not tell the TU twice")

        // The TU then ends the INVITE with 487 (§9.2), which the caller ACKs.
        h.user.requests[0].respond(status: 487, toTag: "uas-tag")
        let terminated = try h.writtenResponses()
        XCTAssertEqual(terminated.map(\.response.statusCode), [487])
        XCTAssertEqual(terminated.first?.response.cseq, SIPCSeq(sequence: 1, method: .invite))
        h.receive(EndpointHarness.ack(branch: "z9hG4bK-invite-1", toTag: "uas-tag"))
        h.loop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try h.writtenResponses().count, 0)
    }

    func testCancelAfterTheFinalResponseIsAnswered200ButNotPassedOn() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.invite())
        h.user.requests[0].respond(status: 486, toTag: "uas-tag")
        _ = try h.writtenResponses()
        h.receive(EndpointHarness.cancel(branch: "z9hG4bK-invite-1"))
        XCTAssertEqual(try h.writtenResponses().map(\.response.statusCode), [200])
        XCTAssertTrue(h.user.cancelled.isEmpty, "§9.2: a CANCEL after the final response has no effect on the INVITE")
    }

    func testCancelMatchingNoTransactionGets481() throws {
        let h = try EndpointHarness()
        h.receive(EndpointHarness.cancel(branch: "z9hG4bK-never-seen"))
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.response.statusCode), [481], "§9.2: no matching transaction, 481")
        XCTAssertNotNil(answer.first?.response.to?.tag)
        XCTAssertTrue(h.user.cancelled.isEmpty)
        XCTAssertTrue(h.user.requests.isEmpty, "CANCEL never reaches the TU as a request")
    }

    // MARK: - Bad input

    func testMalformedRequestWithSalvageableHeadersGets400NamingTheProblem() throws {
        let h = try EndpointHarness()
        // The body is shorter than Content-Length says (RFC 4475 clerr): unreadable, but
        // Via, From, To, Call-ID and CSeq are intact, so it can be answered.
        let text = String(decoding: EndpointHarness.invite(), as: UTF8.self)
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: 999")
        h.receive(Array(text.utf8))
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.response.statusCode), [400])
        let response = try XCTUnwrap(answer.first?.response)
        XCTAssertTrue(response.reasonPhrase.hasPrefix("Bad Request ("), response.reasonPhrase)
        XCTAssertTrue(response.reasonPhrase.contains("Content-Length 999"), response.reasonPhrase)
        XCTAssertEqual(response.callID, "endpoint-call-1")
        XCTAssertNotNil(response.to?.tag, "§8.2.6.2: a To tag even on a refusal")
        XCTAssertEqual(answer.first?.destination, h.peer, "answered where it came from (rport)")
        XCTAssertTrue(h.user.requests.isEmpty, "the TU never sees it")
        XCTAssertEqual(h.endpoint.statistics.malformedMessages, 1)

        let logged = h.logs.entries.filter { $0.message == "malformed SIP message" }
        XCTAssertEqual(logged.count, 1)
        XCTAssertTrue(logged.first?.metadata["reason"]?.contains("Content-Length") ?? false, "\(logged)")
        XCTAssertEqual(logged.first?.metadata["from"], "udp:192.0.2.10:40000")
    }

    func testUnsupportedVersionGets505() throws {
        let h = try EndpointHarness()
        let text = String(decoding: EndpointHarness.options(), as: UTF8.self)
            .replacingOccurrences(of: "OPTIONS sip:100@192.0.2.1 SIP/2.0", with: "OPTIONS sip:100@192.0.2.1 SIP/7.0")
        h.receive(Array(text.utf8))
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.response.statusCode), [505])
        XCTAssertTrue(answer.first?.response.reasonPhrase.hasPrefix("Version Not Supported") ?? false)
    }

    func testRequestTheValidatorRefusesGetsItsStatusAndHeaders() throws {
        let h = try EndpointHarness()
        let text = String(decoding: EndpointHarness.options(), as: UTF8.self)
            .replacingOccurrences(of: "Content-Length: 0", with: "Require: foo, bar\r\nContent-Length: 0")
        h.receive(Array(text.utf8))
        let answer = try h.writtenResponses()
        XCTAssertEqual(answer.map(\.response.statusCode), [420], "§8.2.2.3")
        XCTAssertEqual(answer.first?.response.unsupported, ["foo", "bar"])
        XCTAssertNotNil(answer.first?.response.to?.tag)
        XCTAssertTrue(h.user.requests.isEmpty)
        XCTAssertEqual(h.endpoint.statistics.requestsRejected, 1)
    }

    func testMalformedResponseGetsNothing() throws {
        let h = try EndpointHarness()
        // RFC 4475 bigcode: a status code of ten digits.
        let text = "SIP/2.0 4294967301 better not break the receiver\r\n"
            + "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n"
            + "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\r\n"
            + "CSeq: 353494 INVITE\r\n"
            + "From: <sip:user@example.com>;tag=39ansfi3\r\n"
            + "To: <sip:user@example.edu>;tag=902jndnke3\r\n"
            + "Content-Length: 0\r\n\r\n"
        h.receive(Array(text.utf8))
        h.loop.advanceTime(by: .seconds(5))
        XCTAssertNil(try h.channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self), "nobody to answer")
        XCTAssertTrue(h.user.strays.isEmpty, "an unreadable response reaches no one")
        XCTAssertEqual(h.endpoint.statistics.malformedMessages, 1)
        XCTAssertEqual(h.logs.entries.filter { $0.message == "malformed SIP message" }.count, 1)
    }

    func testReadableResponseMatchingNoTransactionGoesToTheTUUnanswered() throws {
        let h = try EndpointHarness()
        let text = "SIP/2.0 200 OK\r\n"
            + "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-not-ours\r\n"
            + "From: <sip:100@192.0.2.1>;tag=a\r\nTo: <sip:alice@192.0.2.10>;tag=b\r\n"
            + "Call-ID: stray-1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
        h.receive(Array(text.utf8))
        XCTAssertEqual(try h.writtenResponses().count, 0)
        XCTAssertEqual(h.user.strays.map(\.callID), ["stray-1"], "§13.2.2.4: a stray 2xx is the UAC core's to ACK")
    }

    // MARK: - TCP

    func testReliableTransportAnswersOnTheConnectionWithoutRetransmitting() throws {
        let h = try EndpointHarness()
        let connection = EmbeddedChannel(loop: h.loop)
        try connection.connect(to: h.peer).wait()
        h.receive(EndpointHarness.invite(transport: "TCP"), transport: .tcp, channel: connection)
        h.user.requests[0].respond(status: 200, toTag: "uas-tag")
        h.loop.run()
        var statuses = [Int]()
        while let buffer = try connection.readOutbound(as: ByteBuffer.self) {
            guard case .response(let response) = try SIPMessageParser.parse(Array(buffer.readableBytesView)) else {
                return XCTFail("not a response")
            }
            statuses.append(response.statusCode)
        }
        XCTAssertEqual(statuses, [100, 200], "written on the connection itself (§18.2.2)")
        h.loop.advanceTime(by: .seconds(10))
        XCTAssertNil(try connection.readOutbound(as: ByteBuffer.self), "§17.2.1: no retransmissions over TCP")
        XCTAssertNil(try h.channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self), "nothing on the UDP side")
        _ = try connection.finish()
    }

    func testStreamHandlersFrameSplitMessagesAndReportAStreamCutShort() throws {
        let h = try EndpointHarness()
        let connection = EmbeddedChannel(loop: h.loop)
        try connection.pipeline.syncOperations.addHandler(ByteToMessageHandler(SIPStreamDecoder()))
        try connection.pipeline.syncOperations.addHandler(SIPStreamHandler(endpoint: h.endpoint))
        try connection.connect(to: h.peer).wait()

        // A keep-alive, then an OPTIONS in two pieces: one message, once complete.
        let options = EndpointHarness.options(transport: "TCP")
        try connection.writeInbound(ByteBuffer(bytes: Array("\r\n\r\n".utf8) + options.prefix(40)))
        XCTAssertTrue(h.user.requests.isEmpty)
        try connection.writeInbound(ByteBuffer(bytes: options.dropFirst(40)))
        XCTAssertEqual(h.user.requests.map(\.request.method), [.options])

        // A Content-Length larger than what follows, then the peer goes away.
        let short = String(decoding: EndpointHarness.options(transport: "TCP"), as: UTF8.self)
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: 500") + "twenty bytes of body"
        try connection.writeInbound(ByteBuffer(bytes: Array(short.utf8)))
        connection.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        h.loop.run()
        XCTAssertEqual(h.user.requests.count, 1, "the incomplete message is never processed")
        XCTAssertFalse(connection.isActive, "the endpoint closes a connection it cannot frame")
        let closing = h.logs.entries.filter { $0.message == "closing SIP TCP connection" }
        XCTAssertEqual(closing.count, 1)
        XCTAssertTrue(closing.first?.metadata["reason"]?.contains("connection closed inside a message") ?? false, "\(closing)")
    }
}

// MARK: - Harness

/// An endpoint on an `EmbeddedEventLoop`, a UDP "listener" that is an `EmbeddedChannel`,
/// a recording transaction user and captured logs.
final class EndpointHarness {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let endpoint: SIPEndpoint
    let user = RecordingTransactionUser()
    let logs = CapturedLogs()
    /// Where the test's requests come from: a documentation address, with a source port
    /// other than the Via's so that rport handling shows. Nothing leaves the process.
    let peer: SocketAddress

    init() throws {
        channel = EmbeddedChannel(loop: loop)
        peer = try SocketAddress(ipAddress: "192.0.2.10", port: 40_000)
        let logs = self.logs
        let logger = Logger(label: "sip-endpoint-test") { _ in CapturingLogHandler(logs: logs) }
        endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(listen: []), logger: logger)
        endpoint.user = user
        try channel.connect(to: peer).wait()
    }

    deinit {
        _ = try? channel.finish()
        try? loop.syncShutdownGracefully()
    }

    func receive(_ bytes: [UInt8], transport: SIPTransportKind = .udp, channel: EmbeddedChannel? = nil) {
        endpoint.receive(bytes, flow: SIPFlow(transport: transport, remote: peer, channel: channel ?? self.channel))
        loop.run()
    }

    struct Written {
        var response: SIPResponse
        var bytes: [UInt8]
        var destination: SocketAddress
    }

    /// Everything the endpoint wrote on the UDP channel since the last call (after the
    /// loop ran the pending flush), each parsed as a response.
    func writtenResponses() throws -> [Written] {
        loop.run()
        var out = [Written]()
        while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            let bytes = Array(envelope.data.readableBytesView)
            guard case .response(let response) = try SIPMessageParser.parse(bytes) else {
                XCTFail("wrote something that is not a response: \(String(decoding: bytes, as: UTF8.self))")
                continue
            }
            out.append(Written(response: response, bytes: bytes, destination: envelope.remoteAddress))
        }
        return out
    }

    static func invite(transport: String = "UDP") -> [UInt8] {
        request("INVITE", branch: "z9hG4bK-invite-1", transport: transport)
    }

    static func options(transport: String = "UDP") -> [UInt8] {
        request("OPTIONS", branch: "z9hG4bK-options-1", transport: transport)
    }

    static func cancel(branch: String) -> [UInt8] {
        request("CANCEL", branch: branch)
    }

    static func ack(branch: String, toTag: String) -> [UInt8] {
        request("ACK", branch: branch, toTag: toTag)
    }

    private static func request(_ method: String, branch: String, transport: String = "UDP", toTag: String? = nil) -> [UInt8] {
        let to = "<sip:100@192.0.2.1>" + (toTag.map { ";tag=\($0)" } ?? "")
        let text = "\(method) sip:100@192.0.2.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/\(transport) 192.0.2.10:5070;branch=\(branch);rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: <sip:alice@192.0.2.10>;tag=caller-tag\r\n"
            + "To: \(to)\r\n"
            + "Call-ID: endpoint-call-1\r\n"
            + "CSeq: 1 \(method)\r\n"
            + "Contact: <sip:alice@192.0.2.10:5070>\r\n"
            + "Content-Length: 0\r\n\r\n"
        return Array(text.utf8)
    }
}

/// A transaction user that records what the endpoint tells it and answers nothing
/// by itself: the tests answer through the recorded transactions.
final class RecordingTransactionUser: SIPTransactionUser, @unchecked Sendable {
    var requests = [ServerTransaction]()
    var acks = [SIPRequest]()
    var cancelled = [ServerTransaction]()
    var timedOut = [ServerTransaction]()
    var strays = [SIPResponse]()

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        requests.append(transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        acks.append(ack)
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {
        cancelled.append(transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {
        timedOut.append(transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {
        strays.append(response)
    }
}

/// Log events kept in memory, metadata flattened to strings.
final class CapturedLogs: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var stored = [Entry]()

    var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func append(_ entry: Entry) {
        lock.lock()
        defer { lock.unlock() }
        stored.append(entry)
    }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var flat = [String: String]()
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { flat[key] = "\(value)" }
        logs.append(CapturedLogs.Entry(level: event.level, message: event.message.description, metadata: flat))
    }
}
