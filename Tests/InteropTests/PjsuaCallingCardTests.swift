import Foundation
import XCTest

/// A third, independent SIP stack: PJSIP's, through its Python binding PJSUA2 (PyPI
/// `pjsua2-python`), runs the shipped calling-card script end to end. It calls the access
/// number, types the PIN, asks for the balance (`1`), chooses a call (`2`), keys the
/// destination, is forwarded through the trunk to sipp playing the PSTN (which answers and
/// echoes), holds ~3 s and hangs up. The test steers the driver
/// (Fixtures/pjsua/calling_card.py) key by key from what the server's log says it is doing.
final class PjsuaCallingCardTests: XCTestCase {
    private let destination = "4930777"

    func testCallingCardFlowWithRFC4733Digits() throws {
        try callingCardFlow(dtmf: "rfc4733", expectedVia: "rfc4733")
    }

    func testCallingCardFlowWithSIPInfoDigits() throws {
        try callingCardFlow(dtmf: "info", expectedVia: "sip-info")
    }

    private func callingCardFlow(dtmf: String, expectedVia: String) throws {
        let python = try Self.pythonWithPJSUA2()
        let data = try operatorSetUp()
        let callee = try Sipp(name: "pjsua-callee")
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.callingCard(accessNumber: "600", trunkPort: calleePorts.sip, data: data, name: "pjsua")
        defer { server.stop() }
        let calleeRun = Background { try PjsuaCallingCardTests.runCallee(callee, ports: calleePorts) }

        let driver = try Driver(python: python, directory: callee.work, arguments: [
            "--target", "sip:600@127.0.0.1:\(server.udpPort)", "--caller", "5551234", "--sip-port", "\(callerPorts.sip)",
            "--rtp-port", "\(callerPorts.media)", "--dtmf", dtmf, "--timeout", "90",
        ])
        defer { driver.stop() }
        let log = { "server log:\n\(server.rawLog.suffix(6000))\npjsua driver:\n\(driver.output.suffix(3000))" }

        // Answered: the script starts with the PIN prompt (no digest, no known caller ID).
        try driver.waitFor(timeout: 20, log()) { $0["event"] == "call-state" && $0["state"] == "CONFIRMED" }
        try server.waitForEvents(timeout: 15) { $0["message"] == "prompt started" && ($0["prompts"] ?? "").contains("enter-pin") }
        driver.send("dtmf 123456#")
        // The balance is said, then the destination is asked; 111 there says it again.
        try server.waitForEvents(timeout: 15) { $0["step"] == "node-entered" && $0["node"] == "ask-number" }
        driver.send("dtmf 111#")
        try server.waitForEvents(count: 2, timeout: 20) { $0["step"] == "node-entered" && $0["node"] == "ask-number" }
        driver.send("dtmf \(destination)#")

        // Forwarded through the trunk and bridged; the caller talks for about 3 s.
        try server.waitForEvents(timeout: 30) { $0["message"] == "bridged" }
        Thread.sleep(forTimeInterval: 3)
        driver.send("hangup")
        let ended = try driver.waitFor(timeout: 15, log()) { $0["event"] == "call-state" && $0["state"] == "DISCONNECTED" }
        driver.send("quit")
        let driverStatus = driver.wait(timeout: 15)
        let calleeResult = try calleeRun.wait(timeout: 50)

        XCTAssertEqual(driverStatus, 0, "the driver ends cleanly\n\(log())")
        XCTAssertTrue(driver.events.contains { $0["event"] == "media" && $0["status"] == "ACTIVE" }, log())
        XCTAssertEqual(ended["status"], "200", "PJSIP's BYE was answered 200\n\(log())")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed (it must get the INVITE and our BYE):\n\(calleeResult.output)\n\(log())")
        XCTAssertTrue(calleeResult.output.contains("INVITE sip:\(destination)@"), "the trunk got the dialled number\n\(calleeResult.output)")
        XCTAssertTrue(calleeResult.output.contains("BYE sip:"), "the B leg was hung up by the server\n\(calleeResult.output)")

        // Every key PJSIP sent arrived once, in order, by the path it was sent.
        let digits = server.events { $0["message"] == "dtmf" }
        // The PIN's keys (typed in the authenticate node) are logged as '*', never as digits.
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }.joined(), "*******111#\(destination)#", log())
        XCTAssertEqual(Set(digits.map { $0["via"] ?? "" }), [expectedVia])
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["login", "balance", "ask-number", "balance-key", "balance", "ask-number", "balance-key",
                               "check", "call"], log())
        XCTAssertEqual(server.events { $0["message"] == "dial" }.map { $0["trunk"] ?? "" }, ["pstn"], log())
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1)
        try server.waitForEvents(timeout: 10) { $0["message"] == "dial ended" }
        XCTAssertEqual(server.events { $0["message"] == "hangup" }.map { $0["by"] ?? "" }, ["caller"], log())

        // The money side: the calls left CDRs for alice and her balance went down.
        // (Exact B-leg amounts are BillingCallTests' business; this checks the robust part.)
        try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        server.stop()
        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertFalse(rows.isEmpty, "CDRs are written for the call")
        XCTAssertTrue(rows.allSatisfy { $0["account"] == "alice" }, "\(rows)")
        let accessLeg = try XCTUnwrap(rows.first { $0["leg"] == "a" }, "an A-leg CDR: \(rows)")
        XCTAssertEqual(accessLeg["disposition"], "answered")
        XCTAssertEqual(accessLeg["to"], "600")
        let balance = try balanceMinorUnits(data)
        XCTAssertLessThan(balance, 100_000, "the balance (10.0000 EUR) was charged for the call")
        XCTAssertGreaterThan(balance, 90_000, "a call of well under a minute costs cents, not euros")
    }

    // MARK: - The PJSUA2 driver

    /// `python3` with the pjsua2 module, or a failure that says how to install it.
    static func pythonWithPJSUA2(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let check = try ChildProcess.run("/usr/bin/env", ["python3", "-c", "import pjsua2"], timeout: 30)
        guard check.status == 0 else {
            let message = """
                PJSUA2 (PJSIP's Python binding) is not installed for `python3`: run \
                `python3 -m pip install pjsua2-python` (or tools/install-deps.sh test). \(check.output)
                """
            XCTFail(message, file: file, line: line)
            throw Peer.PeerMissing(message: message)
        }
        return "/usr/bin/env"
    }

    /// calling_card.py as a child: commands go to its standard input, its JSON events
    /// come back on standard output.
    final class Driver {
        private let process = Process()
        private let input = Pipe()
        private let lines = LineCollector()

        init(python: String, directory: URL, arguments: [String]) throws {
            let script = InteropPaths.fixtures.appendingPathComponent("pjsua/calling_card.py").path
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["python3", script, "--pjsip-log", directory.appendingPathComponent("pjsip.log").path] + arguments
            process.currentDirectoryURL = directory
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            process.standardInput = input
            let lines = self.lines
            output.fileHandleForReading.readabilityHandler = { handle in lines.append(handle.availableData) }
            try process.run()
        }

        var output: String { lines.all.joined(separator: "\n") }

        var events: [[String: String]] {
            lines.all.compactMap { line in
                guard let data = line.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                return object.mapValues { "\($0)" }
            }
        }

        func send(_ command: String) {
            input.fileHandleForWriting.write(Data((command + "\n").utf8))
        }

        @discardableResult
        func waitFor(timeout: TimeInterval, _ context: @autoclosure () -> String,
                     where predicate: ([String: String]) -> Bool) throws -> [String: String] {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let found = events.first(where: predicate) { return found }
                if !process.isRunning, events.first(where: predicate) == nil {
                    throw ServerProcess.Failure("the pjsua driver exited (\(process.terminationStatus)) early\n\(context())")
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw ServerProcess.Failure("timed out after \(timeout) s waiting for a pjsua event\n\(context())")
        }

        /// Waits for the driver to exit; kills it past the limit. Returns its status.
        func wait(timeout: TimeInterval) -> Int32 {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            stop()
            return process.terminationStatus
        }

        func stop() {
            guard process.isRunning else { return }
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    // MARK: - Server, PSTN and operator steps

    /// Plan `card` charges the access leg (600) and rates Germany (49); alice has PIN 123456
    /// and 10.0000 EUR.
    private func operatorSetUp() throws -> URL {
        let deck = """
            prefix,description,rate,connection fee,first increment,increment
            600,Calling card access,0.0200,0.0000,1,1
            49,Germany,0.0500,0.0100,30,6
            """
        return try OperatorCLI.cardPlanWithAlice(deck: deck, name: "pjsua-data")
    }

    /// sipp as the PSTN: answers the forward, echoes its audio, waits for the server's BYE.
    private static func runCallee(_ sipp: Sipp, ports: (sip: Int, media: Int)) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", "dial_callee.xml", "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-rtp_echo",
            "-m", "1", "-timeout", "80s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        ], in: sipp.work, timeout: 90)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }

    /// alice's balance from `accounts show`, in ten-thousandths.
    private func balanceMinorUnits(_ data: URL) throws -> Int64 {
        let shown = try OperatorCLI.run(["accounts", "show", "alice"], data: data)
        guard let line = shown.components(separatedBy: .newlines).first(where: { $0.hasPrefix("balance:") }),
              let amount = line.split(separator: " ").dropFirst().first else {
            throw ServerProcess.Failure("no balance in: \(shown)")
        }
        let parts = amount.split(separator: ".")
        guard parts.count == 2, let units = Int64(parts[0]), let fraction = Int64(parts[1].padding(toLength: 4, withPad: "0", startingAt: 0)) else {
            throw ServerProcess.Failure("unreadable balance \(amount)")
        }
        return units * 10_000 + fraction
    }
}
