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
        let server = try ServerProcess.callbacks(
            campaignsYAML: """
              ani-callback: { script: \(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml }
              web-callback: { script: \(InteropPaths.packageRoot.path)/scripts/web-callback.yaml }
            """,
            userPort: userPorts.sip, calleePort: calleePorts.sip, callerNumber: "7001",
            callbackYAML: "  web-campaign: web-callback", name: "api-e2e", data: data)
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
}
