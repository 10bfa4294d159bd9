import XCTest
@testable import IVR

/// Verbs that ask services: the interpreter emits `.request` and continues on the result.
final class ServiceVerbTests: XCTestCase {
    let alice: [String: IVRValue] = ["login": .string("alice"), "balance": .number(Decimal(string: "5.25")!), "currency": .string("USD")]

    func lastRequest(_ call: InterpreterHarness) -> (ServiceRequestID, ServiceRequest)? {
        for action in call.actions.reversed() { if case let .request(id, request) = action { return (id, request) } }
        return nil
    }

    func answer(_ call: inout InterpreterHarness, _ result: ServiceResult, file: StaticString = #filePath, line: UInt = #line) {
        guard let (id, _) = lastRequest(call) else { return XCTFail("no request", file: file, line: line) }
        call.send(.serviceResult(id, result))
    }

    let login = """
    script: t
    start: login
    nodes:
      login:
        do: authenticate
        methods: [ani, pin]
        pin: { prompt: enter-pin, digits: 4, attempts: 2, invalid-prompt: login-failed }
        remember-caller: true
        on: { ok: welcome, failed: bye, locked: locked }
      welcome: { do: play, prompt: welcome, next: bye }
      locked: { do: hangup, prompt: account-locked, cause: rejected }
      bye: { do: hangup }
    """

    func testAniSucceedsAndBindsAccount() throws {
        var call = try InterpreterHarness(login)
        call.start()
        XCTAssertEqual(lastRequest(call)?.1, .authenticate(method: .ani, value: "4930123"))
        answer(&call, .authenticated(account: alice))
        XCTAssertEqual(call.interpreter.context.value(at: VariablePath(["account", "login"])), .string("alice"))
        XCTAssertEqual(call.outcomes, ["login.ok"])
        XCTAssertEqual(call.played, ["welcome"])
    }

    func testAniFailsThenPinSucceedsAndCallerIsRemembered() throws {
        var call = try InterpreterHarness(login)
        call.start()
        answer(&call, .authenticationFailed)
        XCTAssertEqual(call.played, ["enter-pin"])
        call.finishPrompt()
        call.press("1234#")
        XCTAssertEqual(lastRequest(call)?.1, .authenticate(method: .pin, value: "1234"))
        XCTAssertTrue(call.traces.contains(.collected(node: "login", variable: "pin", value: "****")), "PINs are masked in traces")
        XCTAssertNil(call.interpreter.context["pin"], "a PIN is not kept in a variable")
        answer(&call, .authenticated(account: alice))
        XCTAssertEqual(lastRequest(call)?.1, .rememberCaller(callerID: "4930123"))
        answer(&call, .done)
        XCTAssertEqual(call.outcomes, ["login.ok"])
    }

    func testWrongPinRetriesThenFails() throws {
        var call = try InterpreterHarness(login)
        call.start()
        answer(&call, .authenticationFailed)
        call.finishPrompt()
        call.press("0000#")
        answer(&call, .authenticationFailed)
        XCTAssertEqual(call.played, ["enter-pin", "login-failed"])
        call.finishPrompt()
        XCTAssertEqual(call.played.last, "enter-pin")
        call.finishPrompt()
        call.press("1111#")
        answer(&call, .authenticationFailed)
        XCTAssertEqual(call.outcomes, ["login.pin rejected", "login.pin rejected", "login.failed"])
        XCTAssertEqual(call.hangupCause, .normal)
    }

    func testLocked() throws {
        var call = try InterpreterHarness(login)
        call.start()
        answer(&call, .locked)
        XCTAssertEqual(call.outcomes, ["login.locked"])
        call.finishPrompt()
        XCTAssertEqual(call.hangupCause, .rejected)
    }

    func testPasswordAsksAccountThenPassword() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a:\n    do: authenticate\n    methods: [password]\n    on: { ok: b, failed: b }\n  b: { do: hangup }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.played, ["enter-account"])
        call.press("1001#")
        XCTAssertEqual(call.played, ["enter-account", "enter-password"])
        call.press("9876#")
        XCTAssertEqual(lastRequest(call)?.1, .authenticate(method: .password, value: "1001:9876"))
    }

    func testStaleServiceResultIgnored() throws {
        var call = try InterpreterHarness(login)
        call.start()
        call.send(.serviceResult(ServiceRequestID(12345), .authenticated(account: alice)))
        XCTAssertEqual(call.last, [])
        XCTAssertNil(call.interpreter.context["account"])
    }

    let card = """
    script: card
    inputs: [account]
    start: check
    nodes:
      check:
        do: credit-check
        for: $destination
        blocked-prefixes: ["0900"]
        on: { ok: call, insufficient: broke, blocked: blocked }
      call:
        do: dial
        to: $destination
        caller-id: $caller
        max-duration: 1h
        announce-max-duration: true
        keys: { "#11": end-leg, "111": say-balance }
        on: { ended: balance, busy: blocked, no-answer: blocked, failed: blocked, out-of-credit: broke }
      balance:
        do: balance
        next: bye
      broke: { do: hangup, prompt: no-credit }
      blocked: { do: hangup, cause: unavailable }
      bye: { do: hangup }
    """

    func cardCall(destination: String) throws -> InterpreterHarness {
        var call = try InterpreterHarness(card, context: CallContext(caller: "555", dnis: "1000", variables: ["destination": .string(destination)]))
        call.start()
        return call
    }

    func testCreditOkAnnouncesMaxDurationThenDialsThenSaysBalance() throws {
        var call = try cardCall(destination: "4930999")
        XCTAssertEqual(lastRequest(call)?.1, .creditCheck(destination: "4930999"))
        answer(&call, .credit(.ok(maxDurationSeconds: 125, ratePerMinute: Decimal(string: "0.02")!)))
        XCTAssertEqual(call.interpreter.context.value(at: VariablePath(["credit", "max-duration"])), .integer(125))
        XCTAssertEqual(call.played, ["max-duration-is+number-2+minutes+number-5+seconds"])
        call.finishPrompt()
        let expected = DialRequest(to: ["4930999"], callerID: "555", ringTimeoutSeconds: 45, maxDurationSeconds: 125,
                                   announceMaxDuration: false, keys: ["#11": .endLeg, "111": .sayBalance])
        XCTAssertEqual(lastRequest(call)?.1, .dial(expected))
        answer(&call, .dialEnded(.ended))
        XCTAssertEqual(lastRequest(call)?.1, .balance)
        answer(&call, .balance(amount: Decimal(string: "3.10")!, currency: "USD"))
        XCTAssertEqual(call.played.last, "your-balance-is+number-3+dollars+and+number-10+cents")
        XCTAssertEqual(call.interpreter.context.value(at: VariablePath(["account", "balance"])), .number(Decimal(string: "3.10")!))
        call.finishPrompt()
        XCTAssertEqual(call.outcomes, ["check.ok", "call.ended", "balance.next"])
    }

    func testCreditOutcomes() throws {
        var insufficient = try cardCall(destination: "4930")
        answer(&insufficient, .credit(.insufficient))
        XCTAssertEqual(insufficient.outcomes, ["check.insufficient"])
        var blocked = try cardCall(destination: "4930")
        answer(&blocked, .credit(.blocked))
        XCTAssertEqual(blocked.hangupCause, .unavailable)
        let prefix = try cardCall(destination: "0900123")
        XCTAssertNil(lastRequest(prefix), "a blocked prefix is refused without asking")
        XCTAssertEqual(prefix.outcomes, ["check.blocked"])
    }

    func testDialOutcomes() throws {
        for outcome in DialOutcome.allCases {
            var call = try cardCall(destination: "4930")
            answer(&call, .credit(.ok(maxDurationSeconds: 7200, ratePerMinute: 1)))
            call.finishPrompt()
            guard case .dial(let request)? = lastRequest(call)?.1 else { return XCTFail("no dial") }
            XCTAssertEqual(request.maxDurationSeconds, 3600, "the script's max-duration caps the credit's")
            answer(&call, .dialEnded(outcome))
            XCTAssertEqual(call.outcomes.last, "call.\(outcome.rawValue)")
        }
    }

    func testDialSeveralNumbersFromList() throws {
        let yaml = "script: t\ninputs: [request]\nstart: a\nnodes:\n  a: { do: dial, to: [$request.destinations, \"777\"], on: { ended: b } }\n  b: { do: hangup }\n"
        var call = try InterpreterHarness(yaml, context: CallContext(caller: "1", dnis: "2", variables: [
            "request": .record(["destinations": .list([.string("111"), .string("222")])]),
        ]))
        call.start()
        guard case .dial(let request)? = lastRequest(call)?.1 else { return XCTFail("no dial") }
        XCTAssertEqual(request.to, ["111", "222", "777"])
        XCTAssertNil(request.maxDurationSeconds)
    }

    func testCallbackAndRememberCaller() throws {
        let yaml = """
        script: t
        start: remember
        nodes:
          remember: { do: remember-caller, next: queue }
          queue:
            do: callback
            delay: 5s
            script: calling-card
            node: menu
            next: busy
            on: { failed: sorry }
          busy: { do: hangup, cause: busy }
          sorry: { do: hangup, prompt: call-failed }
        """
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(lastRequest(call)?.1, .rememberCaller(callerID: "4930123"))
        answer(&call, .failed(reason: "no account bound"))
        XCTAssertEqual(lastRequest(call)?.1, .scheduleCallback(CallbackRequest(to: "4930123", delaySeconds: 5, script: "calling-card", node: "menu")))
        answer(&call, .done)
        XCTAssertEqual(call.hangupCause, .busy)

        var failing = try InterpreterHarness(yaml)
        failing.start()
        answer(&failing, .done)
        answer(&failing, .failed(reason: "queue full"))
        XCTAssertEqual(failing.played, ["call-failed"])
    }

    func testDigitsWhileWaitingForServiceAreIgnored() throws {
        var call = try InterpreterHarness(login)
        call.start()
        call.press("5")
        XCTAssertEqual(call.last, [.trace(.digitIgnored(node: "login", "5", reason: "waiting for a service"))])
    }
}
