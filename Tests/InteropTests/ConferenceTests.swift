import Foundation
import XCTest

/// A script dials two numbers at once: a three-party conference with real peers. The
/// caller (sipp UAC) and two PSTN parties (sipp UAS behind two trunks, one answering
/// PCMU, one PCMA) each send a steady tone of their own frequency; tshark records what
/// the server sends each of them, and the Goertzel amplitude per frequency says who
/// hears whom: every party must hear the other two and not itself. A second run has one
/// party hang up early: the other two go on hearing each other.
final class ConferenceTests: XCTestCase {
    /// The tones: 500, 900 and 1300 Hz fit a whole number of periods into a 20 ms frame
    /// (10, 18, 26), so each sits in its own Goertzel bin without leaking into the others.
    private static let callerHertz = 500.0
    private static let firstHertz = 900.0
    private static let secondHertz = 1300.0
    /// Sent at amplitude ≈ 8200 (sox `vol 0.25`); heard when above `present`, absent below `absent`.
    private static let present = 2000.0
    private static let absent = 300.0
    /// Plan `card` of alice, who pays for every conference here (free IVR access).
    private static let partyDeck = """
        prefix,description,rate,connection fee,first increment,increment
        4930,Berlin,0.1200,0.0100,1,1
        4940,Hamburg,0.2400,0.0000,1,1
        """

    private struct Party {
        let sipp: Sipp
        let ports: (sip: Int, media: Int)
        let hertz: Double
        let payloadType: UInt8
    }

    func testEachOfThreePartiesHearsTheOtherTwoAndNotItself() throws {
        let run = try conference(name: "conference", secondLeavesEarly: false)
        let server = run.server
        let log = "server log:\n\(server.rawLog.suffix(8000))"

        // Both numbers dialled through their trunks at once, both joined; #11 ended it all.
        XCTAssertEqual(Set(server.events { $0["message"] == "conference dial" }.map { $0["trunk"] ?? "" }),
                       ["pstn-a", "pstn-b"], log)
        XCTAssertEqual(server.events { $0["message"] == "conference joined" }.count, 2, log)
        XCTAssertEqual(server.events { $0["message"] == "in-call key" }.map { $0["keys"] ?? "" }, ["#11"], log)
        let ended = server.events { $0["message"] == "conference ended" }
        XCTAssertEqual(ended.map { $0["outcome"] ?? "" }, ["ended"], log)
        XCTAssertEqual(ended.first?["by"], "key")
        let legs = server.events { $0["message"] == "conference leg ended" }
        XCTAssertEqual(legs.map { $0["outcome"] ?? "" }, ["ended", "ended"], log)
        XCTAssertEqual(Set(legs.map { $0["by"] ?? "" }), ["local"], "the server hung up both parties\n\(log)")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["call", "after-call"], log)
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts.last, "en/goodbye", "the script went on after the conference")
        // One CDR per party (a leg record of its own, billed to alice, whom free IVR access binds).
        let cdrs = try Self.bLegCDRs(server, count: 2)
        XCTAssertEqual(cdrs.map { $0["to"] ?? "" }.sorted(), ["4930777", "4940888"], "\(cdrs)")
        XCTAssertEqual(cdrs.map { $0["disposition"] ?? "" }, ["answered", "answered"], "\(cdrs)")
        XCTAssertEqual(cdrs.map { $0["account"] ?? "" }, ["alice", "alice"], "\(cdrs)")

        // Each party hears the other two, never itself.
        let all = [Self.callerHertz, Self.firstHertz, Self.secondHertz]
        for (name, packets, own) in [("caller", run.toCaller, Self.callerHertz),
                                     ("first party", run.toFirst, Self.firstHertz),
                                     ("second party", run.toSecond, Self.secondHertz)] {
            let others = all.filter { $0 != own }
            // Frames of the conference while both others talk: both their tones loud, and the
            // frame made of the three test tones (not the script's speech prompts afterwards).
            let talking = packets.filter { packet in
                others.allSatisfy { Self.amplitude(packet, hertz: $0) > Self.present } && Self.isMadeOf(all, packet)
            }
            let energies = all.map { hertz in (hertz, Self.meanAmplitude(talking, hertz: hertz)) }
            print("conference energy heard by \(name) over \(talking.count) packets: "
                  + energies.map { "\(Int($0.0)) Hz ≈ \(Int($0.1))" }.joined(separator: ", "))
            XCTAssertGreaterThan(talking.count, 250,
                                 "\(name) should hear both others for ~9 s, got \(talking.count) packets\n\(log)")
            let ownAmplitude = Self.meanAmplitude(talking, hertz: own)
            XCTAssertLessThan(ownAmplitude, Self.absent, "\(name) must not hear itself (\(Int(own)) Hz)")
            let loudOwn = talking.filter { Self.amplitude($0, hertz: own) > Self.absent }
            XCTAssertEqual(loudOwn.count, 0, "\(name) heard its own tone in \(loudOwn.count) packets: "
                           + loudOwn.map { packet in
                               "seq \(packet.sequence): " + all.map { "\(Int($0)) Hz \(Int(Self.amplitude(packet, hertz: $0)))" }
                                   .joined(separator: " ") + " rms \(AudioEnergy.rms(packet))"
                           }.joined(separator: "; "))
            for hertz in others {
                XCTAssertGreaterThan(Self.meanAmplitude(talking, hertz: hertz), 6000,
                                     "\(name) hears \(Int(hertz)) Hz at about its sent level (≈ 8200)")
            }
        }
        XCTAssertEqual(Set(run.toFirst.map(\.payloadType)).subtracting([101]), [0], "the first party gets PCMU")
        XCTAssertEqual(Set(run.toSecond.map(\.payloadType)).subtracting([101]), [8], "the second party gets PCMA")
        XCTAssertEqual(Set(run.toCaller.filter { $0.payloadType == 0 }.map(\.ssrc)).count, 1,
                       "the caller hears one continuous stream, conference and prompts alike")
    }

    func testAPartyHangingUpEarlyLeavesTheOtherTwoTalking() throws {
        let run = try conference(name: "conference-leave", secondLeavesEarly: true)
        let server = run.server
        let log = "server log:\n\(server.rawLog.suffix(8000))"

        let legs = server.events { $0["message"] == "conference leg ended" }
        XCTAssertEqual(legs.map { $0["number"] ?? "" }, ["4940888", "4930777"], log)
        XCTAssertEqual(legs.map { $0["by"] ?? "" }, ["remote", "local"], log)
        XCTAssertEqual(legs.map { $0["outcome"] ?? "" }, ["ended", "ended"], log)
        XCTAssertEqual(server.events { $0["message"] == "conference left" }.map { $0["participants"] ?? "" }, ["2"], log)
        let ended = server.events { $0["message"] == "conference ended" }
        XCTAssertEqual(ended.map { $0["outcome"] ?? "" }, ["ended"], log)
        XCTAssertEqual(ended.first?["by"], "key", "the conference went on after the party left, until #11")

        // Before the leave all three talked; after it the caller and the first party still
        // hear each other, and nobody hears the party that left.
        let before = run.toCaller.filter {
            Self.amplitude($0, hertz: Self.firstHertz) > Self.present && Self.amplitude($0, hertz: Self.secondHertz) > Self.present
        }.count
        let callerAfter = run.toCaller.filter {
            Self.amplitude($0, hertz: Self.firstHertz) > Self.present && Self.amplitude($0, hertz: Self.secondHertz) < Self.absent
        }
        let firstAfter = run.toFirst.filter {
            Self.amplitude($0, hertz: Self.callerHertz) > Self.present && Self.amplitude($0, hertz: Self.secondHertz) < Self.absent
        }
        print("conference after the leave: caller hears 900 Hz ≈ \(Int(Self.meanAmplitude(callerAfter, hertz: Self.firstHertz))) "
              + "in \(callerAfter.count) packets, first party hears 500 Hz ≈ "
              + "\(Int(Self.meanAmplitude(firstAfter, hertz: Self.callerHertz))) in \(firstAfter.count) packets; "
              + "three-way packets before: \(before)")
        XCTAssertGreaterThan(before, 100, "all three talked for ~4 s before the leave\n\(log)")
        XCTAssertGreaterThan(callerAfter.count, 150, "the caller still hears the first party after the leave\n\(log)")
        XCTAssertGreaterThan(firstAfter.count, 150, "the first party still hears the caller after the leave\n\(log)")
        let heardByLeaver = run.toSecond.filter {
            Self.amplitude($0, hertz: Self.callerHertz) > Self.present && Self.amplitude($0, hertz: Self.firstHertz) > Self.present
        }.count
        XCTAssertGreaterThan(heardByLeaver, 100, "the leaving party heard both others while it was there")
    }

    /// The caller is billed (free IVR access binds alice): each party was rated at its own
    /// number and reserved before its INVITE, and leaves a rated CDR; alice's balance goes
    /// down by exactly the sum of the two (issue 11).
    func testEachPartyIsRatedReservedAndSettledOnItsOwn() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.partyDeck, name: "conference-billed-data")
        let run = try conference(name: "conference-billed", secondLeavesEarly: false, billedTo: data)
        let server = run.server
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(server.events { $0["message"] == "conference party billed" }.count, 2, log)
        let cdrs = try Self.bLegCDRs(server, count: 2)
        XCTAssertEqual(cdrs.map { $0["to"] ?? "" }.sorted(), ["4930777", "4940888"], "\(cdrs)")
        XCTAssertEqual(cdrs.map { $0["account"] ?? "" }, ["alice", "alice"], "\(cdrs)")
        XCTAssertEqual(cdrs.map { $0["disposition"] ?? "" }, ["answered", "answered"], "\(cdrs)")
        let costs = cdrs.map { Decimal(string: $0["cost"] ?? "") ?? 0 }
        XCTAssertTrue(costs.allSatisfy { $0 > 0 }, "each party is rated: \(cdrs)")
        let berlin = try XCTUnwrap(cdrs.first { $0["to"] == "4930777" })
        let quote = try OperatorCLI.quote(plan: "card", to: "4930777", seconds: try OperatorCLI.talkSeconds(berlin), leg: "b",
                                          data: data)
        XCTAssertEqual(berlin["cost"], quote.cost, "rated at its own number: \(berlin)")
        var balance = Decimal(0)
        let deadline = Date().addingTimeInterval(5)
        repeat {
            balance = Decimal(string: try OperatorCLI.show("alice", data: data).balance.components(separatedBy: " ").first ?? "") ?? 0
            if balance != 10 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        XCTAssertEqual(balance, 10 - costs.reduce(0, +), "the balance moves by exactly the parties' costs: \(cdrs)")
        XCTAssertEqual(try OperatorCLI.show("alice", data: data).openCalls, "0", "no reservation left open")
    }

    /// Nobody answers (both parties busy): the script takes its `busy` branch.
    func testBothPartiesBusyGivesTheBusyOutcome() throws {
        let run = try conference(name: "conference-busy", secondLeavesEarly: false, callerScenario: "conference-caller-waits.xml",
                                 partyScenario: "dial_callee_busy.xml", answered: false)
        let server = run.server
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        _ = try server.waitForEvents(count: 2, timeout: 5) { $0["message"] == "conference leg ended" }
        let legs = server.events { $0["message"] == "conference leg ended" }
        XCTAssertEqual(legs.map { $0["outcome"] ?? "" }, ["busy", "busy"], log)
        XCTAssertEqual(legs.map { $0["status"] ?? "" }, ["486", "486"], log)
        XCTAssertTrue(server.events { $0["message"] == "conference joined" }.isEmpty, log)
        let ended = server.events { $0["message"] == "conference ended" }
        XCTAssertEqual(ended.map { $0["outcome"] ?? "" }, ["busy"], log)
        XCTAssertEqual(ended.first?["by"], "nobody-left")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["call", "goodbye"], log)
        // Tried and busy: still one CDR each.
        let cdrs = try Self.bLegCDRs(server, count: 2)
        XCTAssertEqual(cdrs.map { $0["disposition"] ?? "" }, ["busy", "busy"], "\(cdrs)")
        XCTAssertEqual(try ResourceCeilingTests.portsInUseSettle(server), 0, "the legs that lost gave their RTP ports back")
    }

    /// The B legs' CDRs, once `count` of them are written (the store writes them just
    /// after the legs end).
    static func bLegCDRs(_ server: ServerProcess, count: Int) throws -> [[String: String]] {
        let deadline = Date().addingTimeInterval(5)
        var rows: [[String: String]] = []
        repeat {
            rows = try OperatorCLI.cdrRows(server.dataDirectory).filter { $0["leg"] == "b" }
            if rows.count >= count { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        XCTAssertEqual(rows.count, count, "B-leg CDRs: \(rows)")
        return rows
    }

    // MARK: - Running one conference

    private struct Run {
        let server: ServerProcess
        let toCaller: [RTPCapture.Packet]
        let toFirst: [RTPCapture.Packet]
        let toSecond: [RTPCapture.Packet]
    }

    private func conference(name: String, secondLeavesEarly: Bool, callerScenario: String = "conference-caller.xml",
                            partyScenario: String = "conference-callee.xml", answered: Bool = true,
                            billedTo data: URL? = nil) throws -> Run {
        let tshark = try Peer.require("tshark", package: "tshark")
        let callerPorts = Sipp.ports()
        let caller = Party(sipp: try Sipp(name: "\(name)-caller"), ports: callerPorts, hertz: Self.callerHertz, payloadType: 0)
        let first = Party(sipp: try Sipp(name: "\(name)-first"), ports: (callerPorts.sip + 1000, callerPorts.media + 2000),
                          hertz: Self.firstHertz, payloadType: 0)
        let second = Party(sipp: try Sipp(name: "\(name)-second"), ports: (callerPorts.sip + 500, callerPorts.media + 4000),
                           hertz: Self.secondHertz, payloadType: 8)
        try makeTone(for: caller, seconds: 10, seed: 61)
        try makeTone(for: first, seconds: 10, seed: 62)
        try makeTone(for: second, seconds: secondLeavesEarly ? 4 : 10, seed: 63)
        try caller.sipp.makeDTMFPcap("#11", named: "conference-end.pcap", seed: 64)

        // A call no account is bound to reaches no trunk (issue 11): free IVR access binds alice.
        let data = try data ?? OperatorCLI.cardPlanWithAlice(deck: Self.partyDeck, name: "\(name)-data")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/conference-call.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "200": { campaign: conference }"#,
                                       campaignsYAML: "  conference: { script: \(script) }",
                                       extraYAML: """
                                       trunks:
                                         - name: pstn-a
                                           uri: sip:127.0.0.1:\(first.ports.sip)
                                           destinations: ["4930"]
                                         - name: pstn-b
                                           uri: sip:127.0.0.1:\(second.ports.sip)
                                           destinations: ["4940"]

                                       callback: { free-ivr-access: true, free-access-user: alice }
                                       """, name: name, dataDirectory: data)
        let heardByCaller = try RTPCapture(tshark: tshark, udpPort: caller.ports.media, directory: caller.sipp.work)
        let heardByFirst = try RTPCapture(tshark: tshark, udpPort: first.ports.media, directory: first.sipp.work)
        let heardBySecond = try RTPCapture(tshark: tshark, udpPort: second.ports.media, directory: second.sipp.work)

        let firstRun = Background { try Self.runParty(first, scenario: partyScenario) }
        let secondRun = Background {
            try Self.runParty(second, scenario: secondLeavesEarly ? "conference-callee-leaves.xml" : partyScenario)
        }
        let result = try caller.sipp.run(scenario: callerScenario, target: "127.0.0.1:\(server.udpPort)",
                                         service: "200", mediaPort: caller.ports.media, sipPort: caller.ports.sip,
                                         timeout: 50)
        let firstResult = try firstRun.wait(timeout: 60)
        let secondResult = try secondRun.wait(timeout: 60)
        let run = Run(server: server, toCaller: try heardByCaller.stop(), toFirst: try heardByFirst.stop(),
                      toSecond: try heardBySecond.stop())
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(firstResult.status, 0, "first party's sipp failed:\n\(firstResult.output)\n\(log)")
        XCTAssertEqual(secondResult.status, 0, "second party's sipp failed:\n\(secondResult.output)\n\(log)")
        XCTAssertTrue(first.sipp.messageTrace().contains("INVITE sip:4930777@"), "the first trunk got its number")
        XCTAssertTrue(second.sipp.messageTrace().contains("INVITE sip:4940888@"), "the second trunk got its number")
        _ = try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        if answered {
            _ = try server.waitForEvents(count: 2, timeout: 5) { $0["message"] == "conference leg ended" }
        }
        return run
    }

    /// `seconds` of the party's tone as G.711 RTP in its codec: conference-tone.pcap in its directory.
    private func makeTone(for party: Party, seconds: Int, seed: Int) throws {
        let sox = try Peer.require("sox", package: "sox")
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "conference-tone.wav", "synth",
                                              "\(seconds)", "sine", "\(Int(party.hertz))", "vol", "0.25"],
                                        in: party.sipp.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try party.sipp.runPython(["gen_audio_pcap.py", "conference-tone.wav", "-o", "conference-tone.pcap",
                                  "--codec", party.payloadType == 8 ? "pcma" : "pcmu", "--seed", "\(seed)"])
    }

    private static func runParty(_ party: Party, scenario: String) throws -> ProcessResult {
        let codec = party.payloadType == 8 ? "PCMA" : "PCMU"
        let sipp = party.sipp
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(party.ports.sip)", "-mp", "\(party.ports.media)",
            "-key", "pt", "\(party.payloadType)", "-key", "codec", codec,
            "-m", "1", "-timeout", "45s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        ], in: sipp.work, timeout: 55)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }

    // MARK: - Tone energy

    /// The amplitude of the `hertz` component of one packet's audio (Goertzel: for a
    /// sine of amplitude A over N samples, |X| = A·N/2).
    static func amplitude(_ packet: RTPCapture.Packet, hertz: Double) -> Double {
        guard packet.payloadType == 0 || packet.payloadType == 8, !packet.payload.isEmpty else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * hertz / 8000)
        var s1 = 0.0, s2 = 0.0
        for byte in packet.payload {
            let s0 = Double(AudioEnergy.decode(byte, payloadType: packet.payloadType)) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = max(0, s1 * s1 + s2 * s2 - coefficient * s1 * s2)
        return 2 * power.squareRoot() / Double(packet.payload.count)
    }

    /// Whether the three tones carry (nearly) all of the packet's power: a sine of
    /// amplitude A has power A²/2, so their sum is the mean square of a frame made of them.
    private static func isMadeOf(_ tones: [Double], _ packet: RTPCapture.Packet) -> Bool {
        let rms = Double(AudioEnergy.rms(packet))
        let tonal = tones.reduce(0) { $0 + pow(amplitude(packet, hertz: $1), 2) / 2 }
        return tonal >= 0.8 * rms * rms
    }

    private static func meanAmplitude(_ packets: [RTPCapture.Packet], hertz: Double) -> Double {
        guard !packets.isEmpty else { return 0 }
        return packets.reduce(0) { $0 + amplitude($1, hertz: hertz) } / Double(packets.count)
    }
}
