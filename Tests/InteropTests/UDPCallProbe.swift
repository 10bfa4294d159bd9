import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bare SIP user agent on one UDP socket, for tests that need exact control over what
/// is sent and when (an INVITE never acknowledged, a CANCEL racing the answer, calls held
/// open while others arrive): requests are text, responses come back as text.
final class UDPCallProbe {
    let socket: Int32
    let port: Int
    let serverPort: Int
    let service: String

    struct Response {
        let text: String
        var status: Int { Int(text.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0 }
        func header(_ name: String) -> String? {
            for line in text.components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        var cseqMethod: String { header("CSeq")?.split(separator: " ").last.map(String.init) ?? "" }
        var callID: String { header("Call-ID") ?? "" }
    }

    /// One INVITE dialog as the probe sees it.
    struct Call {
        let callID: String
        let fromTag: String
        let branch: String
        var toTag: String?
    }

    init(serverPort: Int, service: String = "100") throws {
        self.serverPort = serverPort
        self.service = service
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw ServerProcess.Failure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socket)
            throw ServerProcess.Failure("bind: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }

    func send(_ text: String) {
        send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(serverPort).bigEndian)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(socket, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// The next datagram within `timeout`, nil when none came.
    func receive(timeout: TimeInterval) -> String? {
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(socket, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Responses to `method` of `callID` until a final one (or `timeout`): the final one.
    func finalResponse(to method: String, callID: String, timeout: TimeInterval = 10) -> Response? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let text = receive(timeout: deadline.timeIntervalSinceNow), text.hasPrefix("SIP/2.0 ") else { continue }
            let response = Response(text: text)
            if response.callID == callID, response.cseqMethod == method, response.status >= 200 { return response }
        }
        return nil
    }

    private var target: String { "sip:\(service)@127.0.0.1:\(serverPort)" }
    private var local: String { "127.0.0.1:\(port)" }

    private static func token() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    /// Sends an INVITE offering PCMU (or only `payloadType`) at `mediaPort`.
    func invite(mediaPort: Int = 9, payloadType: Int = 0) -> Call {
        let call = Call(callID: "probe-\(Self.token())", fromTag: Self.token(), branch: "z9hG4bK-\(Self.token())")
        let codec = payloadType == 0 ? "a=rtpmap:0 PCMU/8000" : "a=rtpmap:\(payloadType) opus/48000/2"
        let sdp = "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "m=audio \(mediaPort) RTP/AVP \(payloadType)\r\n\(codec)\r\n"
        send("INVITE \(target) SIP/2.0\r\nVia: SIP/2.0/UDP \(local);branch=\(call.branch);rport\r\n"
            + "From: <sip:probe@\(local)>;tag=\(call.fromTag)\r\nTo: <\(target)>\r\nCall-ID: \(call.callID)\r\n"
            + "CSeq: 1 INVITE\r\nContact: <sip:probe@\(local)>\r\nMax-Forwards: 70\r\n"
            + "Content-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n\(sdp)")
        return call
    }

    /// INVITE, then its final response; a 2xx is acknowledged unless `acknowledge` is false.
    func call(mediaPort: Int = 9, payloadType: Int = 0, acknowledge: Bool = true) -> (Call, Response?) {
        var call = invite(mediaPort: mediaPort, payloadType: payloadType)
        let response = finalResponse(to: "INVITE", callID: call.callID)
        call.toTag = response?.header("To").flatMap { to in
            to.range(of: "tag=").map { String(to[$0.upperBound...].prefix { $0 != ";" && $0 != ">" }) }
        }
        if let response, (200...299).contains(response.status), acknowledge { ack(call) }
        return (call, response)
    }

    func ack(_ call: Call) {
        send(inDialog("ACK", call, cseq: 1, branch: "z9hG4bK-\(Self.token())"))
    }

    func cancel(_ call: Call) {
        send("CANCEL \(target) SIP/2.0\r\nVia: SIP/2.0/UDP \(local);branch=\(call.branch);rport\r\n"
            + "From: <sip:probe@\(local)>;tag=\(call.fromTag)\r\nTo: <\(target)>\r\nCall-ID: \(call.callID)\r\n"
            + "CSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    }

    /// BYE, and its final response.
    func bye(_ call: Call) -> Response? {
        send(inDialog("BYE", call, cseq: 2, branch: "z9hG4bK-\(Self.token())"))
        return finalResponse(to: "BYE", callID: call.callID)
    }

    /// OPTIONS outside any dialog, and its final response.
    func options(timeout: TimeInterval = 5) -> Response? {
        let callID = "probe-options-\(Self.token())"
        send("OPTIONS \(target) SIP/2.0\r\nVia: SIP/2.0/UDP \(local);branch=z9hG4bK-\(Self.token());rport\r\n"
            + "From: <sip:probe@\(local)>;tag=\(Self.token())\r\nTo: <\(target)>\r\nCall-ID: \(callID)\r\n"
            + "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        return finalResponse(to: "OPTIONS", callID: callID, timeout: timeout)
    }

    private func inDialog(_ method: String, _ call: Call, cseq: Int, branch: String) -> String {
        "\(method) \(target) SIP/2.0\r\nVia: SIP/2.0/UDP \(local);branch=\(branch);rport\r\n"
            + "From: <sip:probe@\(local)>;tag=\(call.fromTag)\r\nTo: <\(target)>;tag=\(call.toTag ?? "")\r\n"
            + "Call-ID: \(call.callID)\r\nCSeq: \(cseq) \(method)\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    }
}
