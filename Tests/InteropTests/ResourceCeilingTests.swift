import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Resource ceilings of the real server (issue 11 part 7, issue 16 part 4): every way a
/// call can end gives its RTP ports back; running out of RTP ports or of descriptors
/// refuses new calls with 503 and Retry-After, and the server serves again once the load
/// is gone; a flood of garbage datagrams and half-open TCP connections stays bounded.
/// What can be noisy (times, RSS) is measured and printed, never asserted.
final class ResourceCeilingTests: XCTestCase {
    // MARK: - Helpers

    /// The value of one metric on /metrics (0 when absent).
    static func metric(_ server: ServerProcess, _ name: String) throws -> Int {
        let text = try HTTPExchange.send("GET", URL(string: "http://127.0.0.1:\(server.httpPort)/metrics")!).text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    /// Waits (bounded) until `switchback_rtp_ports_in_use` is 0; returns what it last was.
    static func portsInUseSettle(_ server: ServerProcess, timeout: TimeInterval = 5) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var inUse = try metric(server, "switchback_rtp_ports_in_use")
        while inUse != 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            inUse = try metric(server, "switchback_rtp_ports_in_use")
        }
        return inUse
    }

    /// User + system CPU of a process so far (/proc/PID/stat fields 14 and 15, in clock ticks).
    static func cpuSeconds(_ pid: Int32) -> Double {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func residentKilobytes(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }

    static func openDescriptors(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    /// A TCP connection to the server, or nil when connect failed.
    static func connectTCP(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func prlimit(_ pid: Int32, descriptors: Int) throws {
        let tool = try Peer.require("prlimit", package: "util-linux")
        let result = try ChildProcess.run(tool, ["--pid", "\(pid)", "--nofile=\(descriptors):20000"], timeout: 10)
        guard result.status == 0 else { throw ServerProcess.Failure("prlimit failed: \(result.output)") }
    }

    // MARK: - RTP ports come back

    /// Every way an inbound session ends — hung up (BYE), refused after its port was opened
    /// (488, no common codec), CANCELled while its port was being opened, answered and
    /// never acknowledged (Timer H, 32 s) — gives its RTP port pair back.
    func testEveryInboundEndingReleasesItsRTPPorts() throws {
        let server = try ServerProcess(name: "ports-inbound")
        defer { server.stop() }
        let probe = try UDPCallProbe(serverPort: server.udpPort)
        let log = { "server log:\n\(server.rawLog.suffix(4000))" }

        let (answered, ok) = probe.call()
        XCTAssertEqual(ok?.status, 200, log())
        XCTAssertEqual(try Self.metric(server, "switchback_rtp_ports_in_use"), 1, "the call holds one pair")
        XCTAssertEqual(probe.bye(answered)?.status, 200)
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "released after BYE\n\(log())")

        let (_, refused) = probe.call(payloadType: 96)
        XCTAssertEqual(refused?.status, 488, log())
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "released after 488\n\(log())")

        for _ in 0..<5 {
            let racing = probe.invite()
            probe.cancel(racing)
            let final = probe.finalResponse(to: "INVITE", callID: racing.callID)
            XCTAssertNotNil(final, log())
            if let final, final.status == 200 {
                // The answer won the race: the CANCEL is moot (§9.2), so hang up.
                var call = racing
                call.toTag = final.header("To").flatMap { to in
                    to.range(of: "tag=").map { String(to[$0.upperBound...].prefix { $0 != ";" }) }
                }
                probe.ack(call)
                _ = probe.bye(call)
            }
        }
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "released after CANCEL\n\(log())")

        let (_, unacknowledged) = probe.call(acknowledge: false)
        XCTAssertEqual(unacknowledged?.status, 200, log())
        XCTAssertEqual(try Self.metric(server, "switchback_rtp_ports_in_use"), 1)
        // 64·T1 = 32 s without the ACK: the session ends with a BYE (§13.3.1.4).
        XCTAssertEqual(try Self.portsInUseSettle(server, timeout: 40), 0, "released after no ACK\n\(log())")
    }

    /// A B leg the trunk refuses (486) and one sent to a trunk where nothing answers
    /// give their RTP ports back, as does the caller's own leg.
    func testOutboundLegsThatFailReleaseTheirRTPPorts() throws {
        let caller = try Sipp(name: "ports-outbound-caller")
        let callee = try Sipp(name: "ports-outbound-callee")
        let number = "4930123456"
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: 61)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "ports-outbound")
        defer { server.stop() }
        let calleeRun = Background {
            try ChildProcess.run(callee.executable, [
                "-sf", "dial_callee_busy.xml", "-i", "127.0.0.1", "-p", "\(calleePorts.sip)", "-mp", "\(calleePorts.media)",
                "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
            ], in: callee.work, timeout: 50)
        }
        let result = try caller.run(scenario: "dial_caller_keys_then_bye.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed:\n\(calleeResult.output)\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }, ["busy"], log)
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "both legs' ports back\n\(log)")
    }

    /// The caller hangs up while the B leg rings: the B leg is CANCELled (487) and both
    /// legs give their ports back.
    func testACancelledOutboundLegReleasesItsRTPPorts() throws {
        let caller = try Sipp(name: "ports-cancel-caller")
        let callee = try Sipp(name: "ports-cancel-callee")
        try caller.makeDTMFPcap("4930123456#", named: "dest.pcap", seed: 81)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "ports-cancel")
        defer { server.stop() }
        let calleeRun = Background {
            try ChildProcess.run(callee.executable, [
                "-sf", "dial_callee_rings.xml", "-i", "127.0.0.1", "-p", "\(calleePorts.sip)", "-mp", "\(calleePorts.media)",
                "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
            ], in: callee.work, timeout: 50)
        }
        let result = try caller.run(scenario: "dial_caller_hangs_up.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed (it must get our CANCEL):\n\(calleeResult.output)\n"
            + "\(callee.messageTrace())\n\(log)")
        XCTAssertTrue(server.events { $0["message"] == "bridged" }.isEmpty, log)
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "both legs' ports back\n\(log)")
    }

    /// A B leg sent to a trunk where nothing answers times out (Timer B) and gives its
    /// ports back, as does the caller's leg once the script hangs up.
    func testAnOutboundLegThatTimesOutReleasesItsRTPPorts() throws {
        let caller = try Sipp(name: "ports-timeout-caller")
        // Not 49…: trunk `elsewhere`, port 9, where nothing listens.
        try caller.makeDTMFPcap("1234567#", named: "dest.pcap", seed: 71)
        let callerPorts = Sipp.ports()
        let server = try ServerProcess.dialer(trunkPort: callerPorts.sip + 1000, name: "ports-timeout")
        defer { server.stop() }
        let result = try caller.run(scenario: "dial_caller_keys_then_waits.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 75)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        let outcomes = server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }
        XCTAssertEqual(outcomes.count, 1, log)
        XCTAssertTrue(["no-answer", "failed"].contains(outcomes.first ?? ""), "\(outcomes)\n\(log)")
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, "both legs' ports back\n\(log)")
    }

    // MARK: - Ceilings

    /// Two port pairs: two calls up, the third is refused 503 with Retry-After (not
    /// hung, not crashed); once they hang up, a new call is answered.
    func testRTPPortExhaustionGets503WithRetryAfterThenCallsSucceedAgain() throws {
        let server = try ServerProcess(name: "ports-exhausted", rtpPorts: "42100-42103")
        defer { server.stop() }
        let probe = try UDPCallProbe(serverPort: server.udpPort)
        let log = { "server log:\n\(server.rawLog.suffix(4000))" }
        XCTAssertEqual(try Self.metric(server, "switchback_rtp_ports_capacity"), 2)
        let (first, firstAnswer) = probe.call()
        let (second, secondAnswer) = probe.call()
        XCTAssertEqual([firstAnswer?.status, secondAnswer?.status], [200, 200], log())
        let (_, refused) = probe.call()
        XCTAssertEqual(refused?.status, 503, log())
        XCTAssertEqual(refused?.header("Retry-After"), "5")
        XCTAssertEqual(probe.bye(first)?.status, 200)
        XCTAssertEqual(probe.bye(second)?.status, 200)
        XCTAssertEqual(try Self.portsInUseSettle(server), 0, log())
        let (again, answer) = probe.call()
        XCTAssertEqual(answer?.status, 200, "calls succeed once the load is gone\n\(log())")
        XCTAssertEqual(probe.bye(again)?.status, 200)
        XCTAssertTrue(server.isRunning)
    }

    /// Nearly out of descriptors (the server's limit lowered to what it holds plus fewer
    /// than `DescriptorHeadroom.reserve`): a new INVITE is refused 503 with Retry-After
    /// before any socket is tried, UDP is still served, nothing crashes; with the limit
    /// back, calls succeed again.
    ///
    /// The headroom is what keeps the process alive: with no descriptor free at all,
    /// libdispatch's worker-pool monitor (Swift's runtime, not our code) traps when it
    /// cannot open `/proc/self/task/N/stat` (SIGILL in `_dispatch_workq_monitor_pools`,
    /// seen 2 in 17 runs under load when this test lowered the limit to exactly what the
    /// server held). The listener's back-off on a failing accept (EMFILE) is NIO's
    /// `AcceptBackoffHandler`, counted in `switchback_sip_accept_failures_total`.
    func testDescriptorExhaustionGets503AndTheServerRecovers() throws {
        let server = try ServerProcess(name: "descriptors")
        defer { server.stop() }
        let pid = server.process.processIdentifier
        let probe = try UDPCallProbe(serverPort: server.udpPort)
        let log = { "server log:\n\(server.rawLog.suffix(4000))" }
        XCTAssertEqual(probe.options()?.status, 200, log())

        let held = Self.openDescriptors(pid)
        try Self.prlimit(pid, descriptors: held + 8)   // half of DescriptorHeadroom.reserve
        let (_, refused) = probe.call()
        XCTAssertEqual(refused?.status, 503, log())
        XCTAssertEqual(refused?.header("Retry-After"), "5")
        // The 503 can reach us before the server's log line about it is read back: wait for it.
        XCTAssertNoThrow(try server.waitForEvents(timeout: 10) { $0.values.contains { $0.contains("file descriptors free") } },
                         "the refusal was for want of descriptors\n\(log())")
        XCTAssertEqual(probe.options()?.status, 200, "UDP still served while out of descriptors\n\(log())")
        XCTAssertTrue(server.isRunning)

        try Self.prlimit(pid, descriptors: 20000)
        let (call, answer) = probe.call()
        XCTAssertEqual(answer?.status, 200, "calls succeed once descriptors are back\n\(log())")
        XCTAssertEqual(probe.bye(call)?.status, 200)
        XCTAssertTrue(server.isRunning)
    }

    /// A connection that sends nothing (or only half a message) is closed after
    /// `sip.tcp-idle-timeout`; one that keeps talking is not.
    func testIdleTCPConnectionsAreClosed() throws {
        let server = try ServerProcess(name: "tcp-idle", sipYAML: "tcp-idle-timeout: 2s")
        defer { server.stop() }
        let silent = try XCTUnwrap(Self.connectTCP(port: server.tcpPort))
        defer { close(silent) }
        let talking = try XCTUnwrap(Self.connectTCP(port: server.tcpPort))
        defer { close(talking) }
        var answers = 0
        for i in 0..<6 {
            let options = "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-idle\(i)\r\n"
                + "From: <sip:probe@127.0.0.1>;tag=idle\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: idle-\(i)\r\n"
                + "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            _ = Array(options.utf8).withUnsafeBytes { write(talking, $0.baseAddress, $0.count) }
            var poller = pollfd(fd: talking, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 2000) == 1 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                if read(talking, &buffer, buffer.count) > 0 { answers += 1 }
            }
            Thread.sleep(forTimeInterval: 0.8)
        }
        XCTAssertEqual(answers, 6, "a connection that keeps talking stays open\n\(server.rawLog.suffix(3000))")
        // The silent one was closed by the server: reading gives end of file.
        var poller = pollfd(fd: silent, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&poller, 1, 1000), 1)
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(read(silent, &buffer, buffer.count), 0, "the silent connection was closed")
        XCTAssertGreaterThanOrEqual(try Self.metric(server, "switchback_sip_tcp_connections_idle_closed_total"), 1)
        XCTAssertEqual(try Self.metric(server, "switchback_sip_tcp_connections"), 1)
    }

    /// 200,000 garbage datagrams and 2,000 half-open TCP connections (an unfinished header
    /// each): the connections held stay at the cap, the rest are closed at once and
    /// counted, and the server answers OPTIONS afterwards. RSS before and after is printed.
    func testGarbageFloodAndHalfOpenConnectionsStayBounded() throws {
        let cap = 500
        let server = try ServerProcess(name: "flood", logLevel: "info",
                                       sipYAML: "tcp-max-connections: \(cap)\ntcp-max-connections-per-source: \(cap)")
        defer { server.stop() }
        let pid = server.process.processIdentifier
        let probe = try UDPCallProbe(serverPort: server.udpPort)
        XCTAssertEqual(probe.options()?.status, 200)
        let before = Self.residentKilobytes(pid)
        let cpuBefore = Self.cpuSeconds(pid)

        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<64).map { _ in (0..<Int.random(in: 1...1400)).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let flooder = try UDPCallProbe(serverPort: server.udpPort)
        let started = Date()
        for i in 0..<200_000 {
            var datagram = garbage[i % garbage.count]
            datagram[0] = UInt8(truncatingIfNeeded: i)
            flooder.send(bytes: datagram)
        }
        let floodSeconds = Date().timeIntervalSince(started)
        // An answer means the server has read what was queued before the probe; the probe
        // itself may be lost to a socket buffer the flood filled, so it asks again (no
        // retransmissions of its own).
        var answered = false
        for _ in 0..<5 where !answered { answered = probe.options(timeout: 2)?.status == 200 }
        XCTAssertTrue(answered, "the server answers after the flood")
        let cpuFlood = Self.cpuSeconds(pid) - cpuBefore
        let afterDatagrams = Self.residentKilobytes(pid)
        // A garbage flood is not a log flood: 20 lines from the source, then one a second.
        try server.waitForEvents(timeout: 5) { $0["message"] == "malformed SIP message" }
        let logged = server.events { $0["message"] == "malformed SIP message" }.count
        XCTAssertLessThanOrEqual(logged, 20 + Int(Date().timeIntervalSince(started).rounded(.up)) + 1,
                                 "malformed-message lines during the flood")

        var connections: [Int32] = []
        defer { for fd in connections { close(fd) } }
        let partial = Array("OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-".utf8)
        for _ in 0..<2000 {
            guard let fd = Self.connectTCP(port: server.tcpPort) else { continue }
            _ = partial.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            connections.append(fd)
        }
        Thread.sleep(forTimeInterval: 2)
        let afterConnections = Self.residentKilobytes(pid)
        let open = try Self.metric(server, "switchback_sip_tcp_connections")
        let refused = try Self.metric(server, "switchback_sip_tcp_connections_refused_total")
        print("RSS (kB): before \(before), after 200k garbage datagrams \(afterDatagrams) (sent in "
            + "\(String(format: "%.1f", floodSeconds)) s; server CPU \(String(format: "%.2f", cpuFlood)) s, "
            + "\(logged) lines logged), after 2,000 half-open TCP connections \(afterConnections); "
            + "TCP connections held \(open), refused \(refused); malformed counted "
            + "\(try Self.metric(server, "switchback_sip_malformed_total"))")
        XCTAssertLessThanOrEqual(open, cap, "the connection count is capped")
        XCTAssertGreaterThanOrEqual(refused, connections.count - cap, "the rest were refused and counted")
        XCTAssertEqual(probe.options()?.status, 200, "the server still answers\n\(server.rawLog.suffix(3000))")
        XCTAssertTrue(server.isRunning)
    }
}
