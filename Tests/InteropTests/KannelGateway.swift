import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// A real Kannel (Debian `kannel`) on loopback for the SMS tests: bearerbox with a `fake`
/// SMSC, smsbox whose `sms-service` GETs every text to Switchback's `/sms/inbound` and whose
/// sendsms port takes Switchback's replies, and the test's own fake SMSC
/// (Fixtures/kannel/fake_smsc.py, Kannel's fake protocol) where texts are injected and
/// replies come out. Started and stopped by the test.
final class KannelGateway {
    let directory: URL
    let smscPort: Int
    let smsboxPort: Int
    let adminPort: Int
    let sendSMSPort: Int
    static let username = "switchback"
    static let password = "sendsms-pass"
    let secret: String
    private(set) var bearerbox: Process?
    private(set) var smsbox: Process?
    private let smsc = Process()
    private let smscInput = Pipe()
    private let smscOutput = LineCollector()

    /// Ports chosen now (Switchback's configuration needs the sendsms port before Kannel starts).
    init(name: String, secret: String) throws {
        directory = try InteropPaths.temporaryDirectory(name)
        self.secret = secret
        let ports = try Self.freePorts(4)
        (smscPort, smsboxPort, adminPort, sendSMSPort) = (ports[0], ports[1], ports[2], ports[3])
    }

    var sendSMSURL: String { "http://127.0.0.1:\(sendSMSPort)/cgi-bin/sendsms" }

    /// The `sms:` section of Switchback's configuration for this gateway.
    func switchbackYAML(serviceNumber: String, campaign: String, extra: String = "") -> String {
        """
        sms:
          gateways:
            - name: kannel
              secret: "\(secret)"
              sources: ["127.0.0.1"]
              sendsms: "\(sendSMSURL)"
              username: \(Self.username)
              password: \(Self.password)
          numbers:
            "\(serviceNumber)": { campaign: \(campaign) }
          reply-retry: { backoff: 300ms, max-backoff: 1s }
        \(extra)
        """
    }

    /// Writes kannel.conf pointing at Switchback's HTTP port, starts bearerbox, the fake SMSC
    /// and smsbox, and waits until the SMSC is connected and sendsms answers.
    func start(switchbackHTTPPort: Int) throws {
        let conf = """
        group = core
        admin-port = \(adminPort)
        admin-password = admin-pass
        smsbox-port = \(smsboxPort)
        box-allow-ip = 127.0.0.1
        log-file = "\(directory.path)/bearerbox.log"
        log-level = 1
        access-log = "\(directory.path)/access.log"

        group = smsc
        smsc = fake
        smsc-id = fake
        port = \(smscPort)
        connect-allow-ip = 127.0.0.1

        group = smsbox
        bearerbox-host = 127.0.0.1
        bearerbox-port = \(smsboxPort)
        sendsms-port = \(sendSMSPort)
        log-file = "\(directory.path)/smsbox.log"
        log-level = 1

        group = sendsms-user
        username = \(Self.username)
        password = \(Self.password)
        concatenation = true
        max-messages = 3

        group = sms-service
        keyword = default
        catch-all = true
        max-messages = 0
        get-url = "http://127.0.0.1:\(switchbackHTTPPort)/sms/inbound?gateway=kannel&secret=\(secret)&sender=%p&receiver=%P&text=%a&time=%t"

        """
        try conf.write(to: directory.appendingPathComponent("kannel.conf"), atomically: true, encoding: .utf8)
        try startBoxes()

        let python = try Peer.require("python3", package: "python3")
        smsc.executableURL = URL(fileURLWithPath: python)
        smsc.arguments = ["-u", InteropPaths.fixtures.appendingPathComponent("kannel/fake_smsc.py").path, "127.0.0.1",
                          "\(smscPort)"]
        smsc.standardInput = smscInput
        let output = Pipe()
        smsc.standardOutput = output
        smsc.standardError = output
        let collected = smscOutput
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try smsc.run()
        try waitForSMSC(connectedTimes: 1)
    }

    /// Starts bearerbox, then smsbox once bearerbox listens for boxes.
    func startBoxes() throws {
        let conf = directory.appendingPathComponent("kannel.conf").path
        let bearerboxPath = try Peer.require("bearerbox", package: "kannel")
        let smsboxPath = try Peer.require("smsbox", package: "kannel")
        bearerbox = try Self.launch(bearerboxPath, [conf], log: directory.appendingPathComponent("bearerbox.out"))
        try Self.waitForPort(smsboxPort, timeout: 15, what: "bearerbox's smsbox port")
        smsbox = try Self.launch(smsboxPath, [conf], log: directory.appendingPathComponent("smsbox.out"))
        try Self.waitForPort(sendSMSPort, timeout: 15, what: "smsbox's sendsms port")
    }

    /// Stops smsbox and bearerbox (SIGTERM, then SIGKILL), as an operator restarting Kannel.
    func stopBoxes() {
        for process in [smsbox, bearerbox].compactMap({ $0 }) where process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        smsbox = nil
        bearerbox = nil
    }

    func stop() {
        stopBoxes()
        if smsc.isRunning {
            smsc.terminate()
            smsc.waitUntilExit()
        }
    }

    deinit { stop() }

    /// A text from `sender` to `receiver`, as the network delivers it to bearerbox.
    @discardableResult
    func inject(from sender: String, to receiver: String, text: String) -> Date {
        let sent = Date()
        smscInput.fileHandleForWriting.write(Data("\(sender) \(receiver) text \(text)\n".utf8))
        return sent
    }

    struct Delivered: Equatable {
        var time: Date
        var sender: String
        var receiver: String
        var text: String
    }

    /// Every message bearerbox delivered to the SMSC (Switchback's replies).
    var delivered: [Delivered] {
        smscOutput.all.compactMap { line in
            guard line.hasPrefix("MT ") else { return nil }
            let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, let seconds = Double(parts[1]) else { return nil }
            return Delivered(time: Date(timeIntervalSince1970: seconds), sender: parts[2], receiver: parts[3], text: parts[5])
        }
    }

    /// Waits (bounded) for a reply to `recipient` whose text starts with `prefix`, not one of `seen`.
    @discardableResult
    func waitForReply(to recipient: String, startingWith prefix: String, after: Int = 0, timeout: TimeInterval = 20,
                      file: StaticString = #filePath, line: UInt = #line) throws -> Delivered {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = delivered.dropFirst(after).first { $0.receiver == recipient && $0.text.hasPrefix(prefix) }
            if let found { return found }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServerProcess.Failure("""
            no reply to \(recipient) starting '\(prefix)' within \(timeout) s; the SMSC saw:
            \(smscOutput.all.joined(separator: "\n"))
            smsbox log:
            \(log("smsbox.log").suffix(3000))
            """)
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    func waitForSMSC(connectedTimes: Int, timeout: TimeInterval = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if smscOutput.all.filter({ $0 == "CONNECTED" }).count >= connectedTimes { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServerProcess.Failure("the fake SMSC did not connect to bearerbox:\n\(smscOutput.all.joined(separator: "\n"))\n"
                                    + log("bearerbox.log").suffix(3000))
    }

    // MARK: - Processes and ports

    private static func launch(_ path: String, _ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForPort(_ port: Int, timeout: TimeInterval, what: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if canConnect(port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServerProcess.Failure("\(what) (\(port)) did not open within \(timeout) s")
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Ports the kernel says are free now (bound to 0, read back, closed).
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ServerProcess.Failure("socket() failed") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw ServerProcess.Failure("bind() failed") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
