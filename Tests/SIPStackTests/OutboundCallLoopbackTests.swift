import Foundation
import Logging
import NIOCore
import NIOPosix
import SIP
import SIPStack
import XCTest

/// `OutboundCall` over real UDP sockets on 127.0.0.1 (ephemeral ports): against a second
/// `SIPEndpoint` playing a scripted UAS, and against SIPp's built-in UAS.
final class OutboundCallLoopbackTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    var loop: any EventLoop { group.next() }

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    func startEndpoint(_ user: any SIPTransactionUser) throws -> SIPEndpoint {
        let endpoint = SIPEndpoint(eventLoop: loop,
                                   configuration: SIPEndpointConfiguration(listen: [SIPListenAddress(transport: .udp, host: "127.0.0.1", port: 0)]),
                                   logger: Logger(label: "loopback", factory: { _ in SwiftLogNoOpLogHandler() }))
        endpoint.user = user
        try endpoint.start().wait()
        return endpoint
    }

    /// Places a call from `caller` to `port` on the loop, recording its callbacks.
    func placeCall(from caller: SIPEndpoint, registry: OutboundCallRegistry, to port: Int, user: String = "100",
                   recorder: CallRecorder) throws -> OutboundCall {
        try loop.submit {
            let offer = SDPOfferAnswer.offer(localAddress: "127.0.0.1", localPort: 20_000, sessionID: 7, sessionVersion: 1)
            let parameters = OutboundCall.Parameters(
                requestURI: SIPURI(user: user, host: "127.0.0.1", port: port),
                from: SIPNameAddress(uri: SIPURI(user: "1001", host: "127.0.0.1")),
                destination: SIPDestination(transport: .udp, host: "127.0.0.1", port: port),
                offer: offer, ringTimeout: .seconds(20))
            let call = OutboundCall(endpoint: caller, parameters: parameters, registry: registry)
            recorder.attach(to: call)
            call.start()
            return call
        }.wait()
    }

    func testCallAnsweredByAScriptedUASThenHungUp() throws {
        let uas = ScriptedUAS(script: .answer)
        let callee = try startEndpoint(uas)
        let registry = OutboundCallRegistry()
        let callerUser = RegistryTransactionUser(registry: registry)   // the endpoint holds its user weakly
        let caller = try startEndpoint(callerUser)
        defer {
            try? caller.stop().wait()
            try? callee.stop().wait()
            withExtendedLifetime(callerUser) {}
        }
        let recorder = CallRecorder(self)
        let port = try XCTUnwrap(loop.submit { callee.boundAddresses.first?.port }.wait())
        let call = try placeCall(from: caller, registry: registry, to: port, recorder: recorder)

        wait(for: [recorder.answered, uas.acknowledged], timeout: 10)
        try loop.submit {
            XCTAssertEqual(recorder.progress.map(\.status), [180])
            XCTAssertEqual(recorder.answers.first?.remoteSDP?.media.first?.port, 40_000, "the UAS's SDP answer")
            XCTAssertEqual(uas.acks.count, 1, "the 2xx was ACKed (§13.2.2.4)")
            XCTAssertEqual(uas.acks.first?.cseq, SIPCSeq(sequence: 1, method: .ack))
            XCTAssertEqual(uas.acks.first?.uri.port, port, "to the UAS's Contact")
            XCTAssertEqual(call.dialog?.id.remoteTag, uas.localTag)
            call.hangup()
        }.wait()

        wait(for: [uas.byeReceived, recorder.ended], timeout: 10)
        try loop.submit {
            XCTAssertEqual(uas.byes.first?.cseq, SIPCSeq(sequence: 2, method: .bye))
            XCTAssertEqual(uas.byes.first?.to?.tag, uas.localTag)
            XCTAssertEqual(recorder.endings.map(\.outcome), [.ended])
            XCTAssertEqual(recorder.endings.first?.hungUpBy, .local)
            XCTAssertEqual(uas.invites, 1, "no INVITE retransmission reached the TU")
        }.wait()
    }

    func testBusyUASEndsAsBusyAndTheRejectionIsAcknowledged() throws {
        let uas = ScriptedUAS(script: .reject(486))
        let callee = try startEndpoint(uas)
        let registry = OutboundCallRegistry()
        let callerUser = RegistryTransactionUser(registry: registry)   // the endpoint holds its user weakly
        let caller = try startEndpoint(callerUser)
        defer {
            try? caller.stop().wait()
            try? callee.stop().wait()
            withExtendedLifetime(callerUser) {}
        }
        let recorder = CallRecorder(self)
        let port = try XCTUnwrap(loop.submit { callee.boundAddresses.first?.port }.wait())
        _ = try placeCall(from: caller, registry: registry, to: port, recorder: recorder)

        wait(for: [recorder.ended], timeout: 10)
        // Timer G would resend the 486 at T1 (500 ms) and 1.5 s if the ACK had not arrived.
        Thread.sleep(forTimeInterval: 1.7)
        try loop.submit {
            XCTAssertEqual(recorder.endings.map(\.outcome), [.busy])
            XCTAssertEqual(recorder.endings.first?.status, 486)
            XCTAssertEqual(recorder.answers.count, 0)
            XCTAssertEqual(callee.statistics.messagesSent, 3, "100, 180 and 486 once each: the ACK stopped Timer G")
            XCTAssertEqual(callee.statistics.messagesReceived, 2, "the INVITE and its ACK")
            XCTAssertTrue(uas.timedOut.isEmpty)
        }.wait()
    }

    func testCallToSippAsTheUAS() throws {
        guard let sipp = Self.executable("sipp") else {
            return XCTFail("sipp is not installed: apt-get install sip-tester")
        }
        let port = try Self.freeUDPPort()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sipcall-sipp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let log = work.appendingPathComponent("sipp.out")
        XCTAssertTrue(FileManager.default.createFile(atPath: log.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sipp)
        process.arguments = ["-sn", "uas", "-i", "127.0.0.1", "-p", "\(port)", "-m", "1", "-timeout", "30s", "-nostdin",
                             "-trace_err", "-trace_msg"]
        process.currentDirectoryURL = work
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer {
            if process.isRunning { process.terminate() }   // by its own pid
            process.waitUntilExit()
            try? output.close()
        }

        let registry = OutboundCallRegistry()
        let callerUser = RegistryTransactionUser(registry: registry)   // the endpoint holds its user weakly
        let caller = try startEndpoint(callerUser)
        defer {
            try? caller.stop().wait()
            withExtendedLifetime(callerUser) {}
        }
        let recorder = CallRecorder(self)
        // sipp may still be starting: the INVITE's retransmissions (Timer A) cover that.
        let call = try placeCall(from: caller, registry: registry, to: port, user: "service", recorder: recorder)
        wait(for: [recorder.answered], timeout: 15)
        try loop.submit {
            XCTAssertEqual(recorder.answers.first?.status, 200)
            XCTAssertNotNil(recorder.answers.first?.remoteSDP, "sipp's 200 carries SDP")
            call.hangup()
        }.wait()
        wait(for: [recorder.ended], timeout: 10)

        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(process.isRunning, "sipp finished its one call")
        if !process.isRunning {
            let trace = Self.traces(in: work)
            XCTAssertEqual(process.terminationStatus, 0, "sipp counts the call successful (INVITE, ACK, BYE):\n\(trace)")
            let messages = (try? FileManager.default.contentsOfDirectory(atPath: work.path))?.filter { $0.hasSuffix("_messages.log") } ?? []
            let text = messages.compactMap { try? String(contentsOf: work.appendingPathComponent($0), encoding: .utf8) }.joined()
            XCTAssertTrue(text.contains("ACK sip:"), "sipp saw our ACK")
            XCTAssertTrue(text.contains("BYE sip:"), "sipp saw our BYE")
        }
        try loop.submit {
            XCTAssertEqual(recorder.endings.map(\.outcome), [.ended])
        }.wait()
    }

    // MARK: - Helpers

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A UDP port free a moment ago on 127.0.0.1 (the kernel's choice).
    static func freeUDPPort() throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 0
        try channel.close().wait()
        return port
    }

    static func traces(in directory: URL) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.sorted().compactMap { name in
            (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)).map { "== \(name)\n\($0.suffix(3000))" }
        }.joined(separator: "\n")
    }
}

/// An outbound call's callbacks, kept and turned into expectations. Touched on the loop only.
final class CallRecorder: @unchecked Sendable {
    var progress = [OutboundCallProgress]()
    var answers = [OutboundCallAnswer]()
    var endings = [OutboundCallEnding]()
    let answered: XCTestExpectation
    let ended: XCTestExpectation

    init(_ test: XCTestCase) {
        answered = XCTestExpectation(description: "answered")
        ended = XCTestExpectation(description: "ended")
        answered.assertForOverFulfill = false
        ended.assertForOverFulfill = false
    }

    func attach(to call: OutboundCall) {
        call.onProgress = { self.progress.append($0) }
        call.onAnswer = {
            self.answers.append($0)
            self.answered.fulfill()
        }
        call.onEnd = {
            self.endings.append($0)
            self.ended.fulfill()
        }
    }
}

/// A tiny UAS: answers an INVITE with 180 then 200 and SDP (or rejects it), records the
/// ACK and answers BYE.
final class ScriptedUAS: SIPTransactionUser, @unchecked Sendable {
    enum Script {
        case answer
        case reject(Int)
    }

    let script: Script
    let localTag = SIPEndpoint.makeTag()
    var invites = 0
    var acks = [SIPRequest]()
    var byes = [SIPRequest]()
    var timedOut = [ServerTransaction]()
    let acknowledged = XCTestExpectation(description: "ACK received")
    let byeReceived = XCTestExpectation(description: "BYE received")

    init(script: Script) {
        self.script = script
        acknowledged.assertForOverFulfill = false
        byeReceived.assertForOverFulfill = false
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        switch request.method {
        case .invite:
            invites += 1
            transaction.respond(status: 180, toTag: localTag)
            switch script {
            case .answer:
                endpoint.eventLoop.scheduleTask(in: .milliseconds(50)) {
                    let local = endpoint.advertisedAddress(for: .udp)
                    var ok = SIPResponse(replyingTo: request, statusCode: 200, toTag: self.localTag)
                    ok.headers.add("Contact", "<sip:uas@\(local.host):\(local.port)>")
                    ok.headers.add("Content-Type", "application/sdp")
                    let answer = SDPOfferAnswer.offer(localAddress: local.host, localPort: 40_000, sessionID: 9, sessionVersion: 1)
                    ok.body = Array(answer.description.utf8)
                    transaction.respond(ok)
                }
            case .reject(let status):
                transaction.respond(status: status, toTag: localTag)
            }
        case .bye:
            byes.append(request)
            transaction.respond(status: 200)
            byeReceived.fulfill()
        default:
            transaction.respond(status: 405)
        }
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        acks.append(ack)
        acknowledged.fulfill()
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {
        transaction.respond(status: 487, toTag: localTag)
    }

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {
        timedOut.append(transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {}
}
