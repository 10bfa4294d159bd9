import Foundation
import SIP
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Bad SIP on real sockets against the real `switchback serve`: every RFC 4475 torture
/// message gets the answer the RFC names (or silence, for responses), and thousands of
/// broken datagrams and streams leave the server answering, running and saying in its
/// log what was wrong with each.
///
/// Everything is sent to 127.0.0.1 only. Responses to a request go to its top Via
/// (RFC 3261 §18.2.2), and the corpus names foreign hosts there (192.0.2.x,
/// host5.example.net...). So before sending a request the test rewrites the sent-by
/// (host and port) of its top Via to this test's own socket, 127.0.0.1:port, and
/// nothing else: the rest of the message — the torture under test, folding and odd
/// whitespace of that Via included — stays byte for byte as in the RFC. The server
/// stamps `received=127.0.0.1` on any other top Via host (§18.2.1), so even a mutated
/// Via cannot send its answer off this machine.
final class MalformedInputTests: XCTestCase {
    // MARK: - RFC 4475 on a real socket

    func testEveryRFC4475MessageGetsTheAnswerTheRFCNames() throws {
        let corpus = try RFC4475Corpus.load()
        XCTAssertEqual(corpus.count, 49, "RFC 4475 has 49 messages")
        let server = try ServerProcess(name: "rfc4475")
        defer { server.stop() }

        // One socket per message: each answer is known by where it arrives.
        var exchanges = [TortureExchange]()
        for message in corpus {
            let socket = try LoopbackUDPSocket()
            var bytes = message.bytes
            if message.expectation.kind == .request {
                guard let rewritten = TopViaRewriter.rewrite(bytes, sentBy: "127.0.0.1:\(socket.port)") else {
                    XCTFail("\(message.name): no top Via whose sent-by could point at 127.0.0.1; not sent")
                    continue
                }
                bytes = rewritten
            }
            exchanges.append(TortureExchange(message: message, socket: socket, sent: bytes))
        }
        for exchange in exchanges { try exchange.socket.send(exchange.sent, toPort: server.udpPort) }

        // Collect until every request has its final answer, then listen on: 300 ms for
        // anything unexpected (silence is what responses must get), and 800 ms after the
        // last ACK — longer than T1 (500 ms), when an un-ACKed final would come again.
        let start = Date()
        var allAnsweredAt: Date?
        var lastACKAt = Date.distantPast
        while Date().timeIntervalSince(start) < 10 {
            if allAnsweredAt == nil, exchanges.allSatisfy(\.isAnswered) { allAnsweredAt = Date() }
            if let answered = allAnsweredAt, Date().timeIntervalSince(answered) > 0.3, Date().timeIntervalSince(lastACKAt) > 0.8 { break }
            for index in LoopbackUDPSocket.readable(exchanges.map(\.socket), timeout: 0.05) {
                let exchange = exchanges[index]
                while let datagram = exchange.socket.receive(timeout: 0) {
                    exchange.record(datagram)
                    if let ack = exchange.acknowledgementDue() {
                        try exchange.socket.send(ack, toPort: server.udpPort)
                        lastACKAt = Date()
                    }
                }
            }
        }
        XCTAssertNotNil(allAnsweredAt, "not every request was answered within 10 s")

        for exchange in exchanges { check(exchange) }
        XCTAssertTrue(server.isRunning)
    }

    private func check(_ exchange: TortureExchange) {
        let name = exchange.message.name
        let expected = exchange.message.expectation
        let context = "\(name) (RFC 4475 §\(expected.section))"
        for garbage in exchange.unreadable { XCTFail("\(context): unreadable answer: \(String(decoding: garbage, as: UTF8.self))") }
        let statuses = exchange.responses.map(\.statusCode)
        guard expected.kind == .request, let status = expected.status else {
            XCTAssertEqual(statuses, [], "\(context): a response must never be answered")
            return
        }
        // Exactly the provisional responses named, then the final, once: an extra
        // final would be a retransmission that our ACK should have stopped.
        XCTAssertEqual(statuses, (expected.provisional ?? []) + [status], "\(context): \(expected.why)")
        guard let final = exchange.responses.last, final.statusCode == status else { return }
        for (header, values) in expected.headers ?? [:] {
            let listed = Set(final.headers.values(header).flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            XCTAssertTrue(listed.isSuperset(of: values.map { $0.lowercased() }),
                          "\(context): \(header) should list \(values), has \(final.headers.values(header))")
        }
        if let text = expected.reasonContains {
            XCTAssertTrue(final.reasonPhrase.contains(text), "\(context): reason phrase '\(final.reasonPhrase)' should name '\(text)'")
        }
        if let vias = expected.vias {
            XCTAssertEqual(final.headers.values("Via").count, vias, "\(context): every Via is copied (§8.2.6.2)")
        }
        // §8.2.6.2: the response copies Call-ID, and a final response tags a To it can read.
        if let callID = RawHeaders.first(["call-id", "i"], in: exchange.sent) {
            XCTAssertEqual(final.callID, callID, "\(context): Call-ID copied")
        }
        if final.to != nil {
            XCTAssertNotNil(final.to?.tag, "\(context): final response without a To tag")
        }
    }

    // MARK: - Robustness

    func testGarbageLeavesTheServerAnsweringAndLoggingWhy() throws {
        let started = Date()
        let server = try ServerProcess(name: "garbage")
        defer { server.stop() }
        let socket = try LoopbackUDPSocket()
        let corpus = try RFC4475Corpus.load()
        let requests = corpus.filter { $0.expectation.kind == .request }
            .compactMap { TopViaRewriter.rewrite($0.bytes, sentBy: "127.0.0.1:\(socket.port)") }
        XCTAssertEqual(requests.count, 44)

        var random = SplitMix64(seed: 4475)
        let datagrams = GarbageDatagrams.make(requests: requests, replyPort: socket.port, random: &random)
        XCTAssertGreaterThanOrEqual(datagrams.count, 2000)
        XCTAssertTrue(datagrams.contains { $0.count >= 60_000 }, "one datagram of 60 KB")
        // Bursts of 100, reading the answers in between so neither side's buffer overflows.
        var answers = [Int: Int]()   // status → count
        func take(_ datagram: [UInt8]) {
            if let response = LenientResponseReader.read(datagram) { answers[response.statusCode, default: 0] += 1 }
        }
        for (index, datagram) in datagrams.enumerated() {
            try socket.send(datagram, toPort: server.udpPort)
            if index % 100 == 99 {
                while let answer = socket.receive(timeout: 0.002) { take(answer) }
            }
        }
        XCTAssertTrue(server.isRunning, "the server died on UDP garbage:\n\(server.rawLog.suffix(3000))")

        // UDP still answers — the same socket, behind all the garbage (its answer comes
        // after every answer to the garbage: one socket, one server loop), and a fresh one.
        XCTAssertEqual(try options(overUDP: socket, server: server, callID: "after-garbage-1", skipped: take)?.statusCode, 200)
        // Broken requests whose Via, From, To, Call-ID and CSeq survived are refused
        // with 400, not ignored (§8.2; the truncations and flips of the corpus).
        XCTAssertGreaterThan(answers[400, default: 0], 100, "answers by status: \(answers)")
        XCTAssertEqual(try options(overUDP: LoopbackUDPSocket(), server: server, callID: "after-garbage-2")?.statusCode, 200)

        // A 60 KB datagram that is a good OPTIONS is still one message (§18.1.1 allows
        // up to 65,535 bytes over UDP) and gets its 200.
        let padding = "X-Padding: " + String(repeating: "p", count: 60_000) + "\r\n"
        XCTAssertEqual(try options(overUDP: socket, server: server, callID: "padded-60k", extraHeaders: padding)?.statusCode, 200)

        try brokenStreams(server: server, random: &random)

        // TCP still answers on a fresh connection.
        let tcp = try LoopbackTCPConnection(port: server.tcpPort)
        XCTAssertTrue(tcp.send(SIPProbe.options(transport: "TCP", port: tcp.localPort, callID: "after-streams")))
        XCTAssertEqual(tcp.readResponse(timeout: 5)?.statusCode, 200, "TCP OPTIONS after the broken streams")
        XCTAssertTrue(server.isRunning, "the server died:\n\(server.rawLog.suffix(3000))")

        // The log says what was wrong with the messages it could not read, but one source's
        // flood is throttled (`PeerWarningThrottle`: 20 lines, then one a second): every
        // warning is either a line or counted as held back in the next line, and the
        // counters count every message. Log lines are written off the event loop, so the
        // last one (the bad TCP frame, answered by the 200 that followed it) may still be on
        // its way when that 200 arrives: wait for it.
        try server.waitForEvents(timeout: 10) { $0["message"] == "malformed SIP message" && ($0["from"] ?? "").hasPrefix("tcp:") }
        let warnings = server.events { Self.peerWarnings.contains($0["message"] ?? "") }
        let malformed = warnings.filter { $0["message"] == "malformed SIP message" }
        let floodSeconds = Int(Date().timeIntervalSince(started).rounded(.up))
        XCTAssertLessThanOrEqual(warnings.count, 20 + floodSeconds + 1, "one source's flood is throttled: \(warnings.count) lines")
        let heldBack = warnings.compactMap { Int($0["held-back"] ?? "0") }.reduce(0, +)
        let counted = try ResourceCeilingTests.metric(server, "switchback_sip_malformed_total")
            + ResourceCeilingTests.metric(server, "switchback_sip_rejected_total")
        XCTAssertEqual(warnings.count + heldBack, counted, "the lines and their held-back counts account for every warning")
        XCTAssertGreaterThan(counted, 1000, "most garbage is unreadable")
        XCTAssertTrue(malformed.allSatisfy { !($0["reason"] ?? "").isEmpty && $0["line"] != nil }, "every event names its reason and line")
        let reasons = Set(malformed.compactMap { $0["reason"] })
        XCTAssertGreaterThanOrEqual(reasons.count, 8, "reasons are specific, not one catch-all: \(reasons)")
        XCTAssertTrue(malformed.contains { ($0["from"] ?? "").hasPrefix("tcp:") }, "a framed but unreadable TCP message is logged too")
        // Streams that cannot be framed are refused (answered where possible, then closed).
        let closed = server.events { ["closing SIP TCP connection", "refusing SIP TCP stream"].contains($0["message"] ?? "") }
            .compactMap { $0["reason"] }
        XCTAssertTrue(closed.contains { $0.contains("Content-Length") }, "unframeable stream: \(closed)")
        XCTAssertTrue(closed.contains { $0.contains("header section exceeds 32768 bytes") }, "endless header line: \(closed)")
        XCTAssertTrue(closed.contains { $0.contains("closed") }, "stream ended inside a body: \(closed)")

        XCTAssertTrue(server.events { $0["message"] == "answered" }.isEmpty, "no garbage ever started a call")
        print("garbage: \(datagrams.count) datagrams, answers by status \(answers.sorted { $0.key < $1.key }), \(counted) malformed or "
              + "rejected in \(warnings.count) lines (\(heldBack) held back) with \(reasons.count) distinct reasons, "
              + "\(closed.count) TCP connections closed, "
              + String(format: "%.1f s", Date().timeIntervalSince(started)))

        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "robustness run must stay bounded")
    }

    /// What `SIPEndpoint` warns about a peer's message (throttled per source).
    static let peerWarnings: Set<String> = ["malformed SIP message", "request without usable Via", "request rejected"]

    /// Broken TCP streams: each one closed by the server (or by us), none answered.
    private func brokenStreams(server: ServerProcess, random: inout SplitMix64) throws {
        // 1. Garbage that ends in an empty line: a header section without Content-Length
        //    cannot be framed on a stream (§18.3); the server drops the connection.
        let garbage = try LoopbackTCPConnection(port: server.tcpPort)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
        bytes += Array("\r\n\r\n".utf8)
        XCTAssertTrue(garbage.send(bytes))
        let afterGarbage = garbage.waitForClose(timeout: 5)
        XCTAssertTrue(afterGarbage.closed, "garbage stream should be closed by the server")
        XCTAssertEqual(afterGarbage.received, [], "garbage gets no answer")

        // 2. A Content-Length larger than what follows, then our side closes: the
        //    message never completes and is never processed.
        let short = try LoopbackTCPConnection(port: server.tcpPort)
        var truncated = SIPProbe.options(transport: "TCP", port: short.localPort, callID: "short-body", contentLength: 500)
        truncated += Array("only twenty bytes...".utf8)
        XCTAssertTrue(short.send(truncated))
        short.shutdownWrite()
        let afterShort = short.waitForClose(timeout: 5)
        XCTAssertTrue(afterShort.closed, "the server closes after our EOF")
        XCTAssertEqual(afterShort.received, [], "an incomplete message is not answered")

        // 3. An endless header line: more than the 32 KiB a header section may take.
        let endless = try LoopbackTCPConnection(port: server.tcpPort)
        _ = endless.send(Array("OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nX-Endless: ".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 8192)
        for _ in 0..<12 {   // 96 KB, or less if the server hangs up first
            if !endless.send(chunk) { break }
        }
        let afterEndless = endless.waitForClose(timeout: 5)
        XCTAssertTrue(afterEndless.closed, "the server drops a connection whose header never ends")
        XCTAssertEqual(afterEndless.received, [])

        // 4. A framed message that is not SIP, then a good OPTIONS on the same
        //    connection: the bad one is logged and dropped, the connection lives on. The
        //    UDP garbage before it spent this source's warnings: one a second again.
        Thread.sleep(forTimeInterval: 1.1)
        let mixed = try LoopbackTCPConnection(port: server.tcpPort)
        XCTAssertTrue(mixed.send(Array("\u{01}\u{02}NOT SIP AT ALL\r\nContent-Length: 0\r\n\r\n".utf8)))
        XCTAssertTrue(mixed.send(SIPProbe.options(transport: "TCP", port: mixed.localPort, callID: "after-bad-frame")))
        XCTAssertEqual(mixed.readResponse(timeout: 5)?.statusCode, 200, "connection survives a framed bad message")
    }

    /// Sends an OPTIONS and waits (bounded) for the answer carrying its Call-ID,
    /// skipping answers to earlier datagrams on the same socket.
    private func options(overUDP socket: LoopbackUDPSocket, server: ServerProcess, callID: String,
                         extraHeaders: String = "", skipped: ([UInt8]) -> Void = { _ in }) throws -> SIPResponse? {
        try socket.send(SIPProbe.options(transport: "UDP", port: socket.port, callID: callID, extraHeaders: extraHeaders),
                        toPort: server.udpPort)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard let datagram = socket.receive(timeout: 0.2) else { continue }
            if case .response(let response)? = try? SIPMessageParser.parse(datagram), response.callID == callID {
                return response
            }
            skipped(datagram)
        }
        return nil
    }
}

// MARK: - The corpus and what the server should answer

/// What expectations.json says about one file (see the "about" entry there).
struct RFC4475Expectation: Decodable {
    enum Kind: String, Decodable { case request, response }
    var section: String
    var rfc: String
    var kind: Kind
    var status: Int?
    var provisional: [Int]?
    var headers: [String: [String]]?
    var reasonContains: String?
    var vias: Int?
    var why: String
}

/// The RFC 4475 messages copied into the fixtures, each with its expectation.
enum RFC4475Corpus {
    struct Message {
        var name: String
        var bytes: [UInt8]
        var expectation: RFC4475Expectation
    }

    private struct File: Decodable {
        var messages: [String: RFC4475Expectation]
    }

    static func load() throws -> [Message] {
        let root = InteropPaths.fixtures.appendingPathComponent("rfc4475")
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: root.appendingPathComponent("expectations.json")))
        var messages = [Message]()
        for folder in ["valid", "invalid"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
                .filter { $0.hasSuffix(".dat") }.sorted()
            for name in names {
                let key = "\(folder)/\(name)"
                guard let expectation = file.messages[key] else {
                    throw ServerProcess.Failure("expectations.json has no entry for \(key)")
                }
                let bytes = try Data(contentsOf: root.appendingPathComponent(key))
                messages.append(Message(name: key, bytes: Array(bytes), expectation: expectation))
            }
        }
        let unused = Set(file.messages.keys).subtracting(messages.map(\.name))
        guard unused.isEmpty else { throw ServerProcess.Failure("expectations.json names missing files: \(unused.sorted())") }
        return messages
    }
}

/// One torture message in flight: what was sent, what came back, and the ACK a UAC
/// owes for a non-2xx final answer to its INVITE (§17.1.1.3).
final class TortureExchange {
    let message: RFC4475Corpus.Message
    let socket: LoopbackUDPSocket
    let sent: [UInt8]
    private(set) var responses = [SIPResponse]()
    private(set) var unreadable = [[UInt8]]()
    private var acknowledged = false
    /// The request as the server reads it; nil when it cannot (then the server holds no
    /// transaction for it and nothing needs acknowledging).
    private let parsedRequest: SIPRequest?

    init(message: RFC4475Corpus.Message, socket: LoopbackUDPSocket, sent: [UInt8]) {
        self.message = message
        self.socket = socket
        self.sent = sent
        if case .request(let request)? = try? SIPMessageParser.parse(sent) { parsedRequest = request } else { parsedRequest = nil }
    }

    var isAnswered: Bool {
        message.expectation.kind == .response || responses.contains { $0.statusCode >= 200 }
    }

    func record(_ datagram: [UInt8]) {
        if let response = LenientResponseReader.read(datagram) {
            responses.append(response)
        } else {
            unreadable.append(datagram)
        }
    }

    /// The ACK for a non-2xx final response to an INVITE the server holds a transaction
    /// for: same Request-URI and top Via (branch) as the INVITE, To from the response.
    func acknowledgementDue() -> [UInt8]? {
        guard !acknowledged, let invite = parsedRequest, invite.method == .invite,
              let final = responses.last, final.statusCode >= 300 else { return nil }
        acknowledged = true
        let startLine = sent.split(separator: 10, maxSplits: 1).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let words = startLine.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        let requestURI = words.count == 3 ? String(words[1]) : invite.uri.description
        var lines = ["ACK \(requestURI) SIP/2.0"]
        if let via = final.headers.values("Via").first { lines.append("Via: \(via)") }
        lines.append("Max-Forwards: 70")
        for name in ["From", "To", "Call-ID"] {
            if let value = final.headers[name] { lines.append("\(name): \(value)") }
        }
        if let cseq = invite.cseq { lines.append("CSeq: \(cseq.sequence) ACK") }
        lines.append("Content-Length: 0")
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }
}

/// Points a request's top Via at another sent-by, touching nothing else.
enum TopViaRewriter {
    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// The message with the sent-by (host and optional port) of its first Via value
    /// replaced by `sentBy`; nil when the header section has no Via with a readable
    /// sent-protocol.
    static func rewrite(_ bytes: [UInt8], sentBy: String) -> [UInt8]? {
        var index = 0
        while index < bytes.count, bytes[index] == cr || bytes[index] == lf { index += 1 }
        guard let startLineEnd = bytes[index...].firstIndex(of: lf) else { return nil }
        var lineStart = startLineEnd + 1
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: lf) ?? bytes.count
            var contentEnd = lineEnd
            if contentEnd > lineStart, bytes[contentEnd - 1] == cr { contentEnd -= 1 }
            if contentEnd == lineStart { return nil }   // the empty line: no Via in the headers
            if bytes[lineStart] != sp, bytes[lineStart] != tab,
               let colon = bytes[lineStart..<contentEnd].firstIndex(of: UInt8(ascii: ":")) {
                let name = String(decoding: bytes[lineStart..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                if name == "via" || name == "v" { return replaceSentBy(bytes, valueStart: colon + 1, with: sentBy) }
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// via-parm = sent-protocol LWS sent-by; sent-protocol = name SLASH version SLASH
    /// transport, with LWS (folding included) allowed around each SLASH (§25.1).
    private static func replaceSentBy(_ bytes: [UInt8], valueStart: Int, with sentBy: String) -> [UInt8]? {
        var i = valueStart
        func skipLWS() { while i < bytes.count, [sp, tab, cr, lf].contains(bytes[i]) { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < bytes.count, isTokenCharacter(bytes[i]) { i += 1 }
            return i > start
        }
        func slash() -> Bool {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "/") else { return false }
            i += 1
            return true
        }
        skipLWS(); guard token() else { return nil }
        skipLWS(); guard slash() else { return nil }
        skipLWS(); guard token() else { return nil }
        skipLWS(); guard slash() else { return nil }
        skipLWS(); guard token() else { return nil }
        skipLWS()
        let hostStart = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "[") {
            while i < bytes.count, bytes[i] != UInt8(ascii: "]") { i += 1 }
            i = min(i + 1, bytes.count)
        } else {
            let ends: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: ":"), sp, tab, cr, lf]
            while i < bytes.count, !ends.contains(bytes[i]) { i += 1 }
        }
        guard i > hostStart else { return nil }
        var end = i
        // sent-by = host [ COLON port ], COLON allowing whitespace around it.
        var j = i
        while j < bytes.count, bytes[j] == sp || bytes[j] == tab { j += 1 }
        if j < bytes.count, bytes[j] == UInt8(ascii: ":") {
            j += 1
            while j < bytes.count, bytes[j] == sp || bytes[j] == tab { j += 1 }
            let digits = j
            while j < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[j]) { j += 1 }
            if j > digits { end = j }
        }
        return Array(bytes[..<hostStart]) + Array(sentBy.utf8) + Array(bytes[end...])
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-.!%*_+`'~".utf8).contains(byte)
        }
    }
}

/// Reads a response even when it cannot be parsed strictly: a 400 copies the broken
/// From or To that caused it (§8.2.6.2 copies them as they came), so the answer to a
/// malformed request is often malformed in the same way. Status line and header
/// fields (unfolded) are enough for the checks here.
enum LenientResponseReader {
    static func read(_ bytes: [UInt8]) -> SIPResponse? {
        if case .response(let response)? = try? SIPMessageParser.parse(bytes) { return response }
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? text
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusLine.count >= 2, statusLine[0] == "SIP/2.0", statusLine[1].count == 3, let status = Int(statusLine[1]) else {
            return nil
        }
        var fields = [(String, String)]()
        for line in lines {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
                fields[fields.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((line[..<colon].trimmingCharacters(in: .whitespaces),
                               line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return SIPResponse(statusCode: status, reasonPhrase: statusLine.count > 2 ? String(statusLine[2]) : "",
                           headers: SIPHeaders(fields))
    }
}

/// A lenient look at header values in raw bytes, for comparing what was sent with
/// what came back (no unfolding; enough for single-line headers).
enum RawHeaders {
    static func first(_ names: [String], in bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? text
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            if names.contains(name) { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// Well-formed requests the robustness test uses to see that the server still answers.
enum SIPProbe {
    static func options(transport: String, port: Int, callID: String, extraHeaders: String = "", contentLength: Int = 0) -> [UInt8] {
        let text = "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/\(transport) 127.0.0.1:\(port);branch=z9hG4bK-\(callID);rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: <sip:probe@127.0.0.1>;tag=probe\r\n"
            + "To: <sip:100@127.0.0.1>\r\n"
            + "Call-ID: \(callID)\r\n"
            + "CSeq: 1 OPTIONS\r\n"
            + extraHeaders
            + "Content-Length: \(contentLength)\r\n\r\n"
        return Array(text.utf8)
    }
}

// MARK: - Garbage

/// A small seeded generator (SplitMix64) so a failing run can be replayed exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// About 2,000 broken datagrams of every kind a network or an attacker produces.
enum GarbageDatagrams {
    static func make(requests: [[UInt8]], replyPort: Int, random: inout SplitMix64) -> [[UInt8]] {
        var out = [[UInt8]]()
        func pick() -> [UInt8] { requests.randomElement(using: &random)! }

        // Random binary.
        for _ in 0..<400 {
            let count = Int.random(in: 1...1400, using: &random)
            out.append((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        // Random printable lines: looks like text, is not SIP.
        for _ in 0..<250 {
            var text = [UInt8]()
            for _ in 0..<Int.random(in: 1...20, using: &random) {
                text += (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
                text += [13, 10]
            }
            out.append(text)
        }
        // Truncations of real requests, cut anywhere.
        for _ in 0..<400 {
            let message = pick()
            out.append(Array(message.prefix(Int.random(in: 1..<message.count, using: &random))))
        }
        // Byte flips: a few bytes anywhere replaced by anything.
        for _ in 0..<400 {
            var message = pick()
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                message[Int.random(in: 0..<message.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            out.append(message)
        }
        // Line surgery: a header line dropped, doubled or swapped with another.
        for _ in 0..<250 {
            var lines = String(decoding: pick(), as: UTF8.self).components(separatedBy: "\r\n")
            let a = Int.random(in: 0..<lines.count, using: &random), b = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: lines.remove(at: a)
            case 1: lines.insert(lines[a], at: b)
            default: lines.swapAt(a, b)
            }
            out.append(Array(lines.joined(separator: "\r\n").utf8))
        }
        // NUL bytes: inserted into real requests, and datagrams of nothing but NULs.
        for _ in 0..<150 {
            var message = pick()
            for _ in 0..<Int.random(in: 1...5, using: &random) {
                message.insert(0, at: Int.random(in: 0...message.count, using: &random))
            }
            out.append(message)
        }
        for count in [1, 2, 16, 512, 1500] { out.append([UInt8](repeating: 0, count: count)) }
        // Huge headers: one enormous value, thousands of lines, hundreds of Vias.
        for n in 0..<40 {
            let callID = "huge-\(n)"
            switch n % 4 {
            case 0:
                out.append(SIPProbe.options(transport: "UDP", port: replyPort, callID: callID,
                                            extraHeaders: "Subject: " + String(repeating: "s", count: 10_000 + n * 1000) + "\r\n"))
            case 1:
                out.append(SIPProbe.options(transport: "UDP", port: replyPort, callID: callID,
                                            extraHeaders: String(repeating: "X-H: v\r\n", count: 2000 + n * 50)))
            case 2:
                let vias = (0..<300).map { "Via: SIP/2.0/UDP 127.0.0.1:\(replyPort);branch=z9hG4bK\($0)\r\n" }.joined()
                out.append(SIPProbe.options(transport: "UDP", port: replyPort, callID: callID, extraHeaders: vias))
            default:
                out.append(SIPProbe.options(transport: "UDP", port: replyPort, callID: callID,
                                            extraHeaders: "Via: SIP/2.0/UDP " + String(repeating: "h", count: 20_000) + ":\(replyPort)\r\n"))
            }
        }
        // A 60 KB datagram of random bytes, keep-alives, an empty datagram, odd starts.
        out.append((0..<60_000).map { _ in UInt8.random(in: 0...255, using: &random) })
        out += [[], [13, 10], [13, 10, 13, 10], Array("SIP/2.0".utf8), Array("INVITE".utf8), Array("\r\n\r\nINVITE sip: SIP/2.0\r\n\r\n".utf8)]
        // Bodies that lie about their length, and negative or absurd numbers.
        for (n, value) in ["-1", "99999999999999999999", "1e3", "0x10", "", "5, 5", "18446744073709551616"].enumerated() {
            var probe = String(decoding: SIPProbe.options(transport: "UDP", port: replyPort, callID: "cl-\(n)"), as: UTF8.self)
            probe = probe.replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: \(value)")
            out.append(Array(probe.utf8))
        }
        while out.count < 2000 {
            out.append((0..<Int.random(in: 1...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        return out
    }
}

// MARK: - Sockets (plain BSD sockets, loopback only)

struct SocketFailure: Error, CustomStringConvertible {
    let call: String
    let code: Int32
    var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port)).bigEndian
    address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
    return address
}

private func boundPort(_ descriptor: Int32) throws -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard result == 0 else { throw SocketFailure(call: "getsockname", code: errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}

private func sendWithoutSIGPIPE(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
}

private func waitReadable(_ descriptors: [Int32], timeout: TimeInterval) -> [Int] {
    var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let count = poll(&fds, nfds_t(fds.count), Int32(max(0, timeout * 1000)))
    guard count > 0 else { return [] }
    return fds.indices.filter { fds[$0].revents != 0 }
}

/// A UDP socket bound to 127.0.0.1 on an ephemeral port; sends only to 127.0.0.1.
final class LoopbackUDPSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure(call: "socket", code: errno) }
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: 0)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SocketFailure(call: "bind", code: code)
        }
        descriptor = fd
        port = try boundPort(fd)
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], toPort port: Int) throws {
        var address = loopbackAddress(port: port)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw SocketFailure(call: "sendto (\(bytes.count) bytes)", code: errno) }
    }

    /// One datagram, or nil when none arrives within `timeout`.
    func receive(timeout: TimeInterval) -> [UInt8]? {
        guard !waitReadable([descriptor], timeout: timeout).isEmpty else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let capacity = buffer.count
        let count = recv(descriptor, &buffer, capacity, 0)
        return count >= 0 ? Array(buffer.prefix(count)) : nil
    }

    /// Indices of the sockets with a datagram waiting.
    static func readable(_ sockets: [LoopbackUDPSocket], timeout: TimeInterval) -> [Int] {
        waitReadable(sockets.map(\.descriptor), timeout: timeout)
    }
}

/// A TCP connection to 127.0.0.1. Sends never raise SIGPIPE: a peer that hung up
/// is a result here, not a crash.
final class LoopbackTCPConnection {
    let descriptor: Int32
    let localPort: Int

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure(call: "socket", code: errno) }
        var address = loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SocketFailure(call: "connect", code: code)
        }
        descriptor = fd
        localPort = try boundPort(fd)
    }

    deinit { close(descriptor) }

    /// False once the peer has closed or reset the connection.
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { sendWithoutSIGPIPE(descriptor, $0) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Reads until the peer closes (or resets) the connection, at most `timeout`.
    func waitForClose(timeout: TimeInterval) -> (closed: Bool, received: [UInt8]) {
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            guard !waitReadable([descriptor], timeout: deadline.timeIntervalSinceNow).isEmpty else { continue }
            let count = recv(descriptor, &buffer, 65_536, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return (true, received) }
            if count > 0 { received += buffer.prefix(count) }
        }
        return (false, received)
    }

    /// The next SIP response on the stream, framed by Content-Length (§18.3).
    func readResponse(timeout: TimeInterval) -> SIPResponse? {
        var pending = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            if case .message(let start, let length) = SIPStreamFraming.next(in: pending),
               case .response(let response)? = try? SIPMessageParser.parse(pending, in: start..<(start + length), stream: true) {
                return response
            }
            guard !waitReadable([descriptor], timeout: deadline.timeIntervalSinceNow).isEmpty else { continue }
            let count = recv(descriptor, &buffer, 65_536, 0)
            if count <= 0 { return nil }
            pending += buffer.prefix(count)
        }
        return nil
    }
}
