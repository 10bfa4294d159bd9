import Foundation
import XCTest

/// The pages at `/` in a real browser: Debian's headless chromium, driven through
/// chromium-driver by PyPI selenium (Fixtures/python/web_portal_browser.py), while sipp
/// plays the user's phone (trunk `users`) and the callee (trunk `pstn`) as in
/// APICallbackEndToEndTests. Signs in, sends "connect two" (the user's number and the
/// callee), watches both legs reach `answered` and then `ended` without a reload, reads
/// the history with each leg's cost, adds a caller ID on the page and finds it in the API's
/// list and trusted by the next SMS trigger (`I.` without U./P.), opens the operator's pages, locks the login with five wrong passwords; takes
/// screenshots of every page at 360×640 and 1280×800; no request leaves 127.0.0.1.
final class WebPortalBrowserTests: XCTestCase {
    func testABrowserSignsInCallsBackFollowsTheLegsLiveAndManagesTheAccount() throws {
        _ = try Peer.require("chromium", package: "chromium")
        _ = try Peer.require("chromedriver", package: "chromium-driver")
        let selenium = try ChildProcess.run("/usr/bin/env", ["python3", "-c", "import selenium"], timeout: 30)
        guard selenium.status == 0 else {
            return XCTFail("PyPI selenium is not installed: run `python3 -m pip install selenium` (or tools/install-deps.sh test)")
        }
        let userNumber = "5551234", callee = "4930777", newCallerID = "4930555"
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "web-browser-data")
        try OperatorCLI.run(["callers", "add", "alice", userNumber], data: data)
        let lotExport = try InteropPaths.temporaryDirectory("web-browser-lot").appendingPathComponent("lot.csv")
        try OperatorCLI.run(["accounts", "generate", "--count", "2", "--prefix", "promo", "--balance", "1", "--plan", "card",
                             "--pin-digits", "6", "--lot", "promo-lot", "--export", lotExport.path], data: data)
        let user = try Sipp(name: "web-browser-user")
        let destination = try Sipp(name: "web-browser-callee")
        let userPorts = CallbackEndToEndTests.freePorts()
        let calleePorts = CallbackEndToEndTests.freePorts(avoiding: [userPorts])
        let server = try ServerProcess.callbacks(
            campaignsYAML: """
              ani-callback: { script: \(InteropPaths.packageRoot.path)/scripts/ani-callback.yaml }
              web-callback: { script: \(InteropPaths.packageRoot.path)/scripts/web-callback.yaml }
              sms-callback: { script: \(InteropPaths.packageRoot.path)/scripts/sms-callback.yaml }
            """,
            userPort: userPorts.sip, calleePort: calleePorts.sip, callerNumber: "7001",
            callbackYAML: """
              web-campaign: web-callback
              pin-lockout: { attempts: 5, period: 15m }
            http:
              admin-token: operator-token
            sms:
              gateways:
                - name: gateway
                  secret: "sms-secret"
                  sources: ["127.0.0.1"]
                  # Nothing listens there: replies wait in the outbox, which this test does not read.
                  sendsms: "http://127.0.0.1:9/cgi-bin/sendsms"
              numbers:
                "7070": { campaign: sms-callback }
            """, name: "web-browser", data: data)
        defer { server.stop() }
        let userRun = Background { try CallbackEndToEndTests.runUAS(user, scenario: "web-callback-user.xml", ports: userPorts) }
        let calleeRun = Background { try CallbackEndToEndTests.runUAS(destination, scenario: "dial_callee.xml", ports: calleePorts) }
        Thread.sleep(forTimeInterval: 0.5)

        let shots = try InteropPaths.temporaryDirectory("web-browser-screenshots")
        let driver = InteropPaths.fixtures.appendingPathComponent("python/web_portal_browser.py").path
        let result = try ChildProcess.run("/usr/bin/env", ["python3", driver, server.httpBase.absoluteString, shots.path,
                                                           userNumber, callee, newCallerID, "alice", "2468", "operator-token",
                                                           "gateway", "sms-secret", "7070"],
                                          timeout: 240)
        let log = { "browser:\n\(result.output.suffix(8000))\nserver log:\n\(server.rawLog.suffix(6000))" }
        XCTAssertEqual(result.status, 0, log())
        let findings = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        func finding(_ key: String) -> [String: Any]? { findings.first { $0[key] != nil } }

        // Sign-in and the page's promise about conferences.
        XCTAssertEqual(finding("signedIn")?["signedIn"] as? Bool, true, log())
        XCTAssertEqual((finding("participants")?["participants"] as? String)?.contains("up to"), true, log())

        // Both legs reach answered, then ended, on the same document (no reload).
        let live = try XCTUnwrap(finding("legs"), log())
        let legs = try XCTUnwrap(live["legs"] as? [String: [String]], log())
        XCTAssertEqual(legs.count, 2, log())
        for (leg, states) in legs {
            let answered = states.firstIndex(of: "answered"), ended = states.lastIndex(of: "ended")
            XCTAssertNotNil(answered, "\(leg) never showed answered: \(states)\n\(log())")
            XCTAssertEqual(states.last, "ended", "\(leg): \(states)\n\(log())")
            if let answered, let ended { XCTAssertLessThan(answered, ended) }
        }
        XCTAssertEqual((live["requestStates"] as? [String])?.last, "completed", log())
        XCTAssertEqual(live["sameDocument"] as? Bool, true, "the status page was not reloaded")
        XCTAssertEqual(live["navigationType"] as? String, "navigate")
        XCTAssertEqual(live["cancelHidden"] as? Bool, true, "no cancel button once the request ended")
        XCTAssertEqual(live["endedShown"] as? Bool, true)

        // The history lists the legs with their costs.
        let history = try XCTUnwrap(finding("history")?["history"] as? [[String]], log())
        XCTAssertGreaterThanOrEqual(history.count, 2, "one row per leg: \(history)")
        let numbers = Set(history.map { $0[0] })
        XCTAssertTrue(numbers.contains(userNumber) && numbers.contains(callee), "\(history)")
        for row in history {
            XCTAssertNotNil(row[2].range(of: #"^[0-9]+\.[0-9]{4} EUR$"#, options: .regularExpression), "a cost per leg: \(row)")
        }

        // The caller ID added on the page is the account's: the API lists it, and the SMS desk,
        // which refused `I.` from that number before, now answers it as alice's.
        XCTAssertNotEqual(finding("smsBefore")?["smsBefore"].flatMap { ($0 as? [String: Any])?["outcome"] as? String }, "status",
                          log())
        let smsAfter = try XCTUnwrap(finding("smsAfter")?["smsAfter"] as? [String: Any], log())
        XCTAssertEqual(smsAfter["outcome"] as? String, "status", log())
        XCTAssertEqual(finding("callerIDOnPage")?["callerIDOnPage"] as? Bool, true, log())
        XCTAssertEqual((finding("apiCallerIDs")?["apiCallerIDs"] as? [String])?.contains(newCallerID), true, log())

        XCTAssertEqual(finding("operatorAccounts")?["operatorAccounts"] as? Bool, true, log())
        // The lot `accounts generate` made, downloaded from the operator's page.
        let lot = try XCTUnwrap(finding("lotCSV"), log())
        XCTAssertEqual(lot["lotStatus"] as? Int, 200)
        XCTAssertEqual((lot["lotLink"] as? String)?.hasSuffix("/operator/lots/promo-lot/accounts.csv"), true)
        let lotLines = (lot["lotCSV"] as? String ?? "").split(separator: "\r\n")
        XCTAssertEqual(lotLines.first, "login,state,balance,currency,plan,personal_did,created_at")
        XCTAssertEqual(lotLines.dropFirst().filter { $0.hasPrefix("promo") && $0.contains(",active,1.0000,EUR,card,") }.count, 2,
                       "\(lotLines)")

        // Five wrong passwords, then the right one is refused too.
        let answers = try XCTUnwrap(finding("lockoutAnswers")?["lockoutAnswers"] as? [String], log())
        XCTAssertEqual(answers.count, 6)
        XCTAssertEqual(answers.prefix(5).filter { $0 == "Wrong login or password." }.count, 5, "\(answers)")
        XCTAssertEqual(answers.last?.hasPrefix("Too many failed sign-ins"), true, "\(answers)")

        // Every page at both sizes, not blank, its key elements shown, no sideways scrolling on a phone.
        let screenshots = findings.filter { $0["screenshot"] != nil }
        let pages = ["sign-in", "call", "status", "account", "operator-sign-in", "operator", "locked-sign-in"]
        XCTAssertEqual(Set(screenshots.compactMap { $0["page"] as? String }), Set(pages), log())
        XCTAssertEqual(screenshots.count, pages.count * 2)
        for shot in screenshots {
            let name = shot["screenshot"] as? String ?? ""
            let file = shots.appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 4000, "\(name) looks blank (\(size) bytes)")
            XCTAssertEqual(shot["missing"] as? [String], [], "\(name): key elements missing")
            XCTAssertEqual(shot["horizontalScroll"] as? Bool, false, "\(name) scrolls sideways")
        }
        print("screenshots in \(shots.path):")
        for shot in screenshots {
            print("  \(shot["screenshot"] ?? "") \(shot["bytes"] ?? "") bytes PNG, page HTML \(shot["htmlBytes"] ?? "") bytes, \(shot["url"] ?? "")")
        }

        // Nothing the pages asked for left the server.
        let requested = try XCTUnwrap(finding("requested")?["requested"] as? [String], log())
        XCTAssertFalse(requested.isEmpty)
        let origin = server.httpBase.absoluteString
        let elsewhere = requested.filter { !$0.hasPrefix(origin + "/") && !$0.hasPrefix("data:") && $0 != "about:blank" }
        XCTAssertEqual(elsewhere, [], "requests that left 127.0.0.1")
        print("browser requests: \(requested.count), all to \(origin)")
        for key in ["legs", "requestStates", "history", "smsBefore", "smsAfter", "lockoutAnswers", "lotCSV"] {
            print("\(key): \(finding(key)?[key] ?? "none")")
        }

        XCTAssertEqual(try userRun.wait(timeout: 60).status, 0, "the user's phone:\n\(log())")
        XCTAssertEqual(try calleeRun.wait(timeout: 60).status, 0, "the callee:\n\(log())")
    }
}
