import Foundation
import XCTest

/// A web callback end to end: Python's standard library (urllib, not our code) posts
/// `{"from": user, "to": callee}` as alice and reads the request's event stream while
/// sipp plays the user's phone (trunk `users`) and the callee (trunk `pstn`); the stream
/// shows each leg's states in order and ends when the request does.
///
/// The destination half needs `$request` bound on callback legs (web-callback.yaml dials
/// `$request.destinations`), which the scripted-leg work provides.
final class APICallbackEndToEndTests: XCTestCase {
    func testPythonPostsACallbackAndReadsEachLegsStatesLive() throws {
        let userNumber = "5551234", callee = "4930777"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "api-e2e-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let user = try Sipp(name: "api-e2e-user")
        let destination = try Sipp(name: "api-e2e-callee")
        let userPorts = CallbackEndToEndTests.freePorts()
        let calleePorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts])
        let server = try Self.webCallbackServer(userPorts: userPorts, calleePorts: calleePorts, name: "api-e2e", data: data)
        defer { server.stop() }
        let userRun = Background { try CallbackEndToEndTests.runUAS(user, scenario: "web-callback-user.xml", ports: userPorts) }
        let calleeRun = Background { try CallbackEndToEndTests.runUAS(destination, scenario: "dial_callee.xml", ports: calleePorts) }
        Thread.sleep(forTimeInterval: 0.5)

        let client = InteropPaths.fixtures.appendingPathComponent("python/api_callback_client.py").path
        let result = try ChildProcess.run("/usr/bin/env", ["python3", client, server.httpBase.absoluteString, "alice", "2468",
                                                           #"{"from": "\#(userNumber)", "to": "\#(callee)"}"#], timeout: 120)
        let log = { "client:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(6000))" }
        XCTAssertEqual(result.status, 0, log())
        let lines = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let created = try XCTUnwrap(lines.first, log())
        XCTAssertEqual(created["status"] as? Int, 201, log())
        let id = try XCTUnwrap((created["body"] as? [String: Any])?["id"] as? Int)
        XCTAssertEqual(created["location"] as? String, "/api/v1/callbacks/\(id)")
        XCTAssertEqual(lines.dropFirst().first?["content-type"] as? String, "text/event-stream")
        XCTAssertEqual(lines.last?["end"] as? Bool, true, "the stream ended with the request\n\(log())")

        let events = lines.compactMap { $0["data"] as? [String: Any] }
        let states = events.compactMap { $0["state"] as? String }
        func legStates(_ role: String) -> [String] {
            var seen: [String] = []
            for event in events {
                let leg = (event["legs"] as? [[String: Any]])?.first { $0["leg"] as? String == role }
                if let state = leg?["state"] as? String, seen.last != state { seen.append(state) }
            }
            return seen
        }
        XCTAssertEqual(Array(states.prefix(3)), ["queued", "calling-a", "a-answered"], log())
        XCTAssertEqual(legStates("user"), ["queued", "dialing", "answered", "ended"], log())
        XCTAssertEqual(legStates("destination"), ["queued", "dialing", "answered", "ended"], log())
        XCTAssertEqual(states.last, "completed", log())
        let ids = events.indices.compactMap { index in (lines.filter { $0["data"] != nil }[index]["id"] as? String).flatMap(Int.init) }
        XCTAssertEqual(ids, ids.sorted(), "event ids increase")

        XCTAssertEqual(try userRun.wait(timeout: 60).status, 0, "the user's phone:\n\(log())")
        XCTAssertEqual(try calleeRun.wait(timeout: 60).status, 0, "the callee:\n\(log())")
        let invite = try XCTUnwrap(CallbackQueueTests.invites(in: user).first, "the user was called")
        XCTAssertEqual(invite.requestUser, userNumber)
        XCTAssertEqual(invite.fromUser, callee, "the user's phone shows whom it is connected to")
    }

    /// `{"from": user, "numbers": [two callees]}`: a conference. The user hears
    /// `call-being-placed`, each callee `being-connected` as it joins (speech energy on
    /// each leg when its prompt starts); then the three talk, each a tone of its own, and
    /// each hears the other two (audio both ways, as ConferenceTests measures it); the
    /// request ends when the user hangs up, and the three legs are billed exactly.
    func testAConferenceCallbackGreetsEveryLegCarriesAudioBothWaysAndBillsExactly() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let userNumber = "5551234", first = "4930777", second = "4940888"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "api-conf-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let user = try Sipp(name: "api-conf-user"), firstCallee = try Sipp(name: "api-conf-first")
        let secondCallee = try Sipp(name: "api-conf-second")
        let userPorts = CallbackEndToEndTests.freePorts()
        let firstPorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts])
        let secondPorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts, firstPorts])
        try Self.makeTone(user, hertz: Self.userHertz, codec: "pcmu", seed: 71)
        try Self.makeTone(firstCallee, hertz: Self.firstHertz, codec: "pcmu", seed: 72)
        try Self.makeTone(secondCallee, hertz: Self.secondHertz, codec: "pcma", seed: 73)
        let root = InteropPaths.packageRoot.path
        let server = try ServerProcess(
            campaignsYAML: "  web-callback: { script: \(root)/scripts/web-callback.yaml }",
            extraYAML: """
            trunks:
              - name: users
                uri: sip:127.0.0.1:\(userPorts.sip)
                destinations: ["555"]
              - name: pstn-a
                uri: sip:127.0.0.1:\(firstPorts.sip)
                destinations: ["4930"]
              - name: pstn-b
                uri: sip:127.0.0.1:\(secondPorts.sip)
                destinations: ["4940"]
            callback:
              caller-number: "7001"
              delay: 0s
              web-campaign: web-callback
            """, name: "api-conf", dataDirectory: data)
        defer { server.stop() }
        let toUser = try RTPCapture(tshark: tshark, udpPort: userPorts.media, directory: user.work)
        let toFirst = try RTPCapture(tshark: tshark, udpPort: firstPorts.media, directory: firstCallee.work)
        let toSecond = try RTPCapture(tshark: tshark, udpPort: secondPorts.media, directory: secondCallee.work)
        let userRun = Background {
            try CallbackEndToEndTests.runUAS(user, scenario: "web-callback-user-talks.xml", ports: userPorts)
        }
        let firstRun = Background { try Self.runCallee(firstCallee, ports: firstPorts, payloadType: 0) }
        let secondRun = Background { try Self.runCallee(secondCallee, ports: secondPorts, payloadType: 8) }
        Thread.sleep(forTimeInterval: 0.5)

        let client = InteropPaths.fixtures.appendingPathComponent("python/api_callback_client.py").path
        let body = #"{"from": "\#(userNumber)", "numbers": ["\#(first)", "\#(second)"]}"#
        let result = try ChildProcess.run("/usr/bin/env", ["python3", client, server.httpBase.absoluteString, "alice", "2468",
                                                           body], timeout: 120)
        let log = { "client:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(8000))" }
        XCTAssertEqual(result.status, 0, log())
        let userResult = try userRun.wait(timeout: 60)
        let firstResult = try firstRun.wait(timeout: 60), secondResult = try secondRun.wait(timeout: 60)
        XCTAssertEqual(userResult.status, 0, "the user's phone:\n\(userResult.output)\n\(log())")
        XCTAssertEqual(firstResult.status, 0, "the first callee:\n\(firstResult.output)\n\(log())")
        XCTAssertEqual(secondResult.status, 0, "the second callee:\n\(secondResult.output)\n\(log())")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback completed" }
        let heard = (user: try toUser.stop(), first: try toFirst.stop(), second: try toSecond.stop())

        // The stream: both destinations dialled, answered and ended; the request completed.
        let lines = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        XCTAssertEqual(lines.first?["status"] as? Int, 201, log())
        let events = lines.compactMap { $0["data"] as? [String: Any] }
        XCTAssertEqual(events.last?["state"] as? String, "completed", log())
        let finalLegs = (events.last?["legs"] as? [[String: Any]]) ?? []
        XCTAssertEqual(finalLegs.map { "\($0["leg"] ?? "") \($0["number"] ?? "") \($0["state"] ?? "")" },
                       ["user \(userNumber) ended", "destination \(first) ended", "destination \(second) ended"], log())
        XCTAssertEqual(server.events { $0["message"] == "conference joined" }.count, 2, log())

        // The greetings: call-being-placed on the user's leg, being-connected on each callee
        // as it joined: speech (loud, not one of the tones) on that leg when it started.
        let tones = [Self.userHertz, Self.firstHertz, Self.secondHertz]
        func speech(_ packets: [RTPCapture.Packet], from start: Date, seconds: TimeInterval = 1.5) -> Int {
            packets.filter { $0.payloadType == 0 || $0.payloadType == 8 }
                .filter { $0.captured >= start.timeIntervalSince1970 && $0.captured < start.timeIntervalSince1970 + seconds }
                .filter { packet in AudioEnergy.rms(packet) > 300 && !tones.contains { ToneDetector.isTone(packet, hertz: $0) } }
                .count
        }
        let greeted = try XCTUnwrap(server.events { $0["message"] == "prompt started" && ($0["prompts"] ?? "").contains("call-being-placed") }
            .first.flatMap(ServerProcess.time(of:)), log())
        let userSpeech = speech(heard.user, from: greeted)
        XCTAssertGreaterThan(userSpeech, 30, "the user heard call-being-placed (\(userSpeech) packets of speech)\n\(log())")
        for (number, packets) in [(first, heard.first), (second, heard.second)] {
            let joined = try XCTUnwrap(server.events { $0["message"] == "conference joined" && $0["number"] == number }
                .first.flatMap(ServerProcess.time(of:)), log())
            let calleeSpeech = speech(packets, from: joined)
            XCTAssertGreaterThan(calleeSpeech, 30, "\(number) heard being-connected (\(calleeSpeech) packets of speech)")
            print("web conference: \(number) heard \(calleeSpeech) packets of being-connected")
        }
        print("web conference: the user heard \(userSpeech) packets of call-being-placed")

        // Audio both ways: each party hears the other two's tones loud.
        for (name, packets, own) in [("user", heard.user, Self.userHertz), ("first callee", heard.first, Self.firstHertz),
                                     ("second callee", heard.second, Self.secondHertz)] {
            let others = tones.filter { $0 != own }
            let talking = packets.filter { packet in others.allSatisfy { ConferenceTests.amplitude(packet, hertz: $0) > 2000 } }
            let ownLoud = talking.filter { ConferenceTests.amplitude($0, hertz: own) > 300 }.count
            print("web conference: \(name) heard both others in \(talking.count) packets (own tone in \(ownLoud))")
            XCTAssertGreaterThan(talking.count, 150, "\(name) hears both others for several seconds\n\(log())")
            XCTAssertEqual(ownLoud, 0, "\(name) does not hear itself")
        }

        // Parity: the user's leg walked the nodes `simulate` walks for the same request
        // (the user hung up during the conference, where the simulation goes on).
        try ScriptParity.assertParity(server, [
            .init(script: "web-callback", start: "announce",
                  arguments: ["--account", "alice", "--ani", userNumber, "--destination", first, "--destination", second],
                  endsEarly: true),
        ])

        // The CDRs: the user's leg and both callees, each rated as plan card rates it, to
        // the last digit (every party has its own reservation, the user's leg keeps its
        // share); the balance falls by exactly the sum of the CDRs' costs.
        var rows: [[String: String]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            rows = try OperatorCLI.cdrRows(data)
            if rows.count >= 3, rows.allSatisfy({ $0["disposition"] != "in-progress" }) { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        XCTAssertEqual(rows.map { "\($0["leg"] ?? "") \($0["to"] ?? "")" }.sorted(),
                       ["a \(userNumber)", "b \(first)", "b \(second)"], "\(rows)")
        XCTAssertEqual(Set(rows.map { $0["disposition"] ?? "" }), ["answered"], "\(rows)")
        XCTAssertEqual(Set(rows.map { $0["account"] ?? "" }), ["alice"], "\(rows)")
        XCTAssertEqual(Set(rows.map { $0["trigger"] ?? "" }), ["api"], "\(rows)")
        let userLeg = try XCTUnwrap(rows.first { $0["leg"] == "a" })
        XCTAssertEqual(userLeg["rate_prefix"], "555")
        for callee in rows where callee["leg"] == "b" {
            XCTAssertEqual(callee["sip_cause"], "200", "\(callee)")
            XCTAssertTrue((8...25).contains(try OperatorCLI.talkSeconds(callee)), "\(callee)")
            XCTAssertNotEqual(callee["cost"], "0.0000", "a conference party is rated: \(callee)")
        }
        let billed = try CallingCardTests.assertBilledExactly(rows, plan: "card", data: data)
        let total = try rows.reduce(Int64(0)) { try $0 + CallingCardTests.minorUnits($1["cost"] ?? "") }
        XCTAssertEqual(total, billed)
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "\(CallingCardTests.amount(100_000 - total)) EUR", "10.0000 − \(rows)")
        XCTAssertEqual(account.openCalls, "0")
        print("web conference: \(rows.map { "\($0["leg"]!) \($0["to"]!) \($0["billed_seconds"]!) s \($0["cost"]!)" }); "
              + "balance \(account.balance)")
    }

    /// The server for web callbacks: alice's plan, the users' phones and the callees behind
    /// their trunks, `web-callback.yaml` as the web campaign.
    private static func webCallbackServer(userPorts: (sip: Int, media: Int), calleePorts: (sip: Int, media: Int),
                                          name: String, data: URL) throws -> ServerProcess {
        try ServerProcess.callbacks(
            campaignsYAML: """
              ani-callback: { script: \(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml }
              web-callback: { script: \(InteropPaths.packageRoot.path)/scripts/web-callback.yaml }
            """,
            userPort: userPorts.sip, calleePort: calleePorts.sip, callerNumber: "7001",
            callbackYAML: "  web-campaign: web-callback", name: name, data: data)
    }

    private static let userHertz = 500.0
    private static let firstHertz = 900.0
    private static let secondHertz = 1300.0

    /// 10 s of a tone as G.711 RTP: conference-tone.pcap in the peer's directory.
    private static func makeTone(_ sipp: Sipp, hertz: Double, codec: String, seed: Int) throws {
        let sox = try Peer.require("sox", package: "sox")
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "conference-tone.wav", "synth", "10",
                                              "sine", "\(Int(hertz))", "vol", "0.25"], in: sipp.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try sipp.runPython(["gen_audio_pcap.py", "conference-tone.wav", "-o", "conference-tone.pcap", "--codec", codec,
                            "--seed", "\(seed)"])
    }

    /// A callee behind its trunk (conference-callee.xml): answers in `payloadType`'s codec,
    /// talks after 3 s, stays until the server hangs up.
    private static func runCallee(_ sipp: Sipp, ports: (sip: Int, media: Int), payloadType: Int) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", "conference-callee.xml", "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)",
            "-key", "pt", "\(payloadType)", "-key", "codec", payloadType == 8 ? "PCMA" : "PCMU",
            "-m", "1", "-timeout", "50s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        ], in: sipp.work, timeout: 60)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }

    /// `DELETE /api/v1/callbacks/{id}` while the user's phone still rings: the request is
    /// cancelled at once, the phone gets a CANCEL (its INVITE a 487, as a UAS answers one),
    /// and the request is not tried again: no retry, no second INVITE.
    func testDeletingWhileTheUsersPhoneRingsCancelsTheRinging() throws {
        let userNumber = "5551234", callee = "4930777"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "api-ringing-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let user = try Sipp(name: "api-ringing-user")
        let userPorts = CallbackEndToEndTests.freePorts()
        let calleePorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts])
        let server = try Self.webCallbackServer(userPorts: userPorts, calleePorts: calleePorts, name: "api-ringing", data: data)
        defer { server.stop() }
        // The phone rings until it is cancelled; -m 2 would accept a second INVITE (a retry):
        // with -m 1 a retry finds nobody and the count below shows it.
        let userRun = Background {
            try ChildProcess.run(user.executable, [
                "-sf", "dial_callee_rings.xml", "-i", "127.0.0.1", "-p", "\(userPorts.sip)", "-m", "1",
                "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
            ], in: user.work, timeout: 50)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let auth = ["Authorization": "Basic " + Data("alice:2468".utf8).base64EncodedString()]
        let posted = try HTTPExchange.send("POST", server.httpBase.appendingPathComponent("api/v1/callbacks"),
                                           headers: auth.merging(["Content-Type": "application/json"]) { $1 },
                                           body: Data(#"{"from": "\#(userNumber)", "to": "\#(callee)"}"#.utf8))
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        XCTAssertEqual(posted.status, 201, "\(posted.text)\n\(log())")
        let id = try XCTUnwrap(posted.json?["id"] as? Int, posted.text)
        _ = try server.waitForEvents(timeout: 20) { $0["message"] == "callback dialing" }
        Thread.sleep(forTimeInterval: 1.5)   // the 180 is back: the phone rings
        let url = server.httpBase.appendingPathComponent("api/v1/callbacks/\(id)")
        let before = try HTTPExchange.send("GET", url, headers: auth)
        XCTAssertEqual(before.json?["state"] as? String, "calling-a", before.text)

        let deleted = try HTTPExchange.send("DELETE", url, headers: auth)
        XCTAssertEqual(deleted.status, 200, "\(deleted.text)\n\(log())")
        XCTAssertEqual(deleted.json?["state"] as? String, "cancelled", deleted.text)
        let phone = try userRun.wait(timeout: 50)
        XCTAssertEqual(phone.status, 0, "the phone got no CANCEL:\n\(phone.output)\n\(user.messageTrace())\n\(log())")
        Thread.sleep(forTimeInterval: 2)
        let after = try HTTPExchange.send("GET", url, headers: auth)
        XCTAssertEqual(after.json?["state"] as? String, "cancelled", after.text)
        XCTAssertTrue(server.events { $0["message"] == "callback retry queued" }.isEmpty, log())
        XCTAssertEqual(server.events { $0["message"] == "callback dialing" }.count, 1, "dialled once\n\(log())")
        XCTAssertTrue(server.events { $0["message"] == "callback state not recorded" }.isEmpty, log())
        let again = try HTTPExchange.send("DELETE", url, headers: auth)
        XCTAssertEqual(again.status, 409, again.text)
    }

    /// `DELETE /api/v1/callbacks/{id}` while the user and the callee talk: both legs get
    /// a BYE, the answer shows them ended, the event stream ends with them ended, and a
    /// second DELETE is a 409 (the request has ended). The user's leg is billed as usual.
    func testDeletingALiveCallbackHangsUpBothLegsAndEndsItsStream() throws {
        let userNumber = "5551234", callee = "4930777"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "api-delete-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let user = try Sipp(name: "api-delete-user"), destination = try Sipp(name: "api-delete-callee")
        let userPorts = CallbackEndToEndTests.freePorts()
        let calleePorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts])
        try Self.makeTone(user, hertz: Self.userHertz, codec: "pcmu", seed: 74)
        try Self.makeTone(destination, hertz: Self.firstHertz, codec: "pcmu", seed: 75)
        let server = try Self.webCallbackServer(userPorts: userPorts, calleePorts: calleePorts, name: "api-delete", data: data)
        defer { server.stop() }
        // Both phones answer and stay until the server hangs up (a BYE each or they fail).
        let userRun = Background { try Self.runCallee(user, ports: userPorts, payloadType: 0) }
        let calleeRun = Background { try Self.runCallee(destination, ports: calleePorts, payloadType: 0) }
        Thread.sleep(forTimeInterval: 0.5)
        let client = InteropPaths.fixtures.appendingPathComponent("python/api_callback_client.py").path
        let base = server.httpBase.absoluteString
        let clientRun = Background {
            try ChildProcess.run("/usr/bin/env", ["python3", client, base, "alice", "2468",
                                                  #"{"from": "\#(userNumber)", "to": "\#(callee)"}"#], timeout: 90)
        }
        let connected = try server.waitForEvents(timeout: 30) { $0["message"] == "callback connected" }
        let id = try XCTUnwrap(connected.first?["request"])
        // Talking: both phones past their 3 s pause, waiting for the BYE (conference-callee.xml).
        Thread.sleep(forTimeInterval: 4)
        let url = server.httpBase.appendingPathComponent("api/v1/callbacks/\(id)")
        let auth = ["Authorization": "Basic " + Data("alice:2468".utf8).base64EncodedString()]
        let deleted = try HTTPExchange.send("DELETE", url, headers: auth)
        let log = { "server log:\n\(server.rawLog.suffix(8000))" }
        XCTAssertEqual(deleted.status, 200, "\(deleted.text)\n\(log())")
        XCTAssertEqual(deleted.json?["state"] as? String, "completed", deleted.text)
        let legs = (deleted.json?["legs"] as? [[String: Any]]) ?? []
        XCTAssertEqual(legs.map { "\($0["leg"] ?? "") \($0["state"] ?? "")" }, ["user ended", "destination ended"], deleted.text)
        let again = try HTTPExchange.send("DELETE", url, headers: auth)
        XCTAssertEqual(again.status, 409, again.text)
        XCTAssertEqual(again.header("Content-Type"), "application/problem+json")
        XCTAssertTrue((again.json?["detail"] as? String ?? "").contains("has ended"), again.text)

        // Both phones got their BYE (their scenarios end on it), long before they would time out.
        XCTAssertEqual(try userRun.wait(timeout: 60).status, 0, "the user's phone got no BYE\n\(log())")
        let calleeResult = try calleeRun.wait(timeout: 60)
        XCTAssertEqual(calleeResult.status, 0, "the callee got no BYE\n\(calleeResult.output.suffix(3000))\n\(log())")
        // The stream, read by the client from the start, ended with both legs ended.
        let result = try clientRun.wait(timeout: 90)
        XCTAssertEqual(result.status, 0, "client:\n\(result.output)\n\(log())")
        let lines = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        XCTAssertEqual(lines.last?["end"] as? Bool, true, "the stream ended\n\(result.output)")
        let last = try XCTUnwrap(lines.compactMap { $0["data"] as? [String: Any] }.last, result.output)
        XCTAssertEqual(last["state"] as? String, "completed", result.output)
        XCTAssertEqual(((last["legs"] as? [[String: Any]]) ?? []).map { $0["state"] as? String ?? "" }, ["ended", "ended"],
                       result.output)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.count, 1, log())
        let rows = try OperatorCLI.cdrRows(data)
        let userLeg = try XCTUnwrap(rows.first { $0["leg"] == "a" }, "\(rows)")
        try CallingCardTests.assertBilledExactly([userLeg], plan: "card", data: data)
    }

    /// `PUT /api/v1/admin/plans/{plan}/rates` with the CLI's CSV: a good deck replaces the
    /// plan's rates (what `rates quote` prices next); a bad one imports nothing and names
    /// each wrong row's line and column.
    func testTheAdminRateImportTakesTheCLIsCSVAndNamesEachWrongRow() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "api-rates-data")
        let server = try ServerProcess(extraYAML: "http: { admin-token: rates-token }", name: "api-rates", dataDirectory: data)
        defer { server.stop() }
        let url = server.httpBase.appendingPathComponent("api/v1/admin/plans/card/rates")
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "currency", value: "EUR"), URLQueryItem(name: "chargeALeg", value: "true"),
                                 URLQueryItem(name: "block", value: "49900")]
        let headers = ["Authorization": "Bearer rates-token", "Content-Type": "text/csv"]
        let deck = """
            prefix,description,rate,connection fee,first increment,increment
            555,Callback leg,0.0600,0.0100,1,1
            49,Germany,0.2400,0.0000,60,60

            """
        let imported = try HTTPExchange.send("PUT", components.url!, headers: headers, body: Data(deck.utf8))
        XCTAssertEqual(imported.status, 200, imported.text)
        XCTAssertEqual(imported.json?["imported"] as? Int, 2, imported.text)
        XCTAssertEqual(imported.json?["blockedPrefixes"] as? [String], ["49900"], imported.text)
        let quote = try OperatorCLI.quote(plan: "card", to: "4930777", seconds: 61, leg: "b", data: data)
        XCTAssertEqual(quote.billedSeconds, "120", "the new 60/60 increments")
        XCTAssertEqual(quote.cost, "0.4800", "2 minutes at 0.24")

        let bad = """
            prefix,description,rate,connection fee,first increment,increment
            555,Callback leg,0.0600,0.0100,1,1
            49,Germany,cheap,0.0000,60,60
            4930,Berlin,0.1000,0.0000,0,1
            4989,Munich,0.1000

            """
        let refused = try HTTPExchange.send("PUT", components.url!, headers: headers, body: Data(bad.utf8))
        XCTAssertEqual(refused.status, 422, refused.text)
        XCTAssertEqual(refused.header("Content-Type"), "application/problem+json")
        let errors = (refused.json?["errors"] as? [[String: Any]]) ?? []
        XCTAssertEqual(errors.map { "\($0["line"] ?? "") \($0["field"] ?? "-")" },
                       ["3 rate per minute", "4 first increment", "5 -"], refused.text)
        XCTAssertEqual(refused.json?["field"] as? String, "line 3/rate per minute", refused.text)
        XCTAssertTrue((refused.json?["detail"] as? String ?? "").contains("nothing imported"), refused.text)
        XCTAssertEqual(try OperatorCLI.quote(plan: "card", to: "4930777", seconds: 61, leg: "b", data: data).cost, "0.4800",
                       "the bad deck changed nothing")
        let unauthorised = try HTTPExchange.send("PUT", components.url!, headers: ["Content-Type": "text/csv"],
                                                 body: Data(deck.utf8))
        XCTAssertEqual(unauthorised.status, 401, unauthorised.text)
    }
}
