import XCTest
@testable import IVR

/// Golden transcripts: every shipped script and every verb outcome it reaches, run through
/// `SimulationOptions` exactly as `switchback simulate` runs them. A change in what callers
/// hear shows up here as a diff.
final class GoldenTranscriptTests: XCTestCase {
    static let scripts = DemoScriptTests.repositoryRoot.appendingPathComponent("scripts")

    func assertTranscript(_ script: String, _ configure: (inout SimulationOptions) -> Void, _ expected: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        var options = SimulationOptions()
        configure(&options)
        let result = try options.simulator(for: Self.scripts.appendingPathComponent("\(script).yaml")).run()
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let actualLines = result.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, (want, got)) in zip(expectedLines, actualLines).enumerated() where want != got {
            XCTFail("line \(index + 1) differs:\n  expected: \(want)\n  actual:   \(got)\nfull transcript:\n\(result.text)", file: file, line: line)
            return
        }
        XCTAssertEqual(actualLines.count, expectedLines.count, "transcript length differs:\n\(result.text)", file: file, line: line)
        XCTAssertTrue(result.unusedAnswers.isEmpty, "answers never asked for: \(result.unusedAnswers)", file: file, line: line)
    }

    func testDemoDigitsSaidBack() throws {
        try assertTranscript("demo", { $0.answers = ["4711#"] }, """
        call: script demo, caller 4930123456, dialled 1000
        [welcome] play: welcome  (interruptible)
        [welcome] → next: ask-digits
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller presses: 4711#
        [ask-digits] collected entered = 4711
        [ask-digits] → ok: read-back
        [read-back] say digits 4711 → number-4 number-7 number-1 number-1
        [read-back] play: you-entered number-4 number-7 number-1 number-1
        [read-back] → next: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testDemoSilentCaller() throws {
        try assertTranscript("demo", { _ in }, """
        call: script demo, caller 4930123456, dialled 1000
        [welcome] play: welcome  (interruptible)
        [welcome] → next: ask-digits
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller is silent
        [ask-digits] → timeout: ask-digits
        [ask-digits] play: no-input  (interruptible)
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller is silent
        [ask-digits] → timeout: ask-digits
        [ask-digits] play: no-input  (interruptible)
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller is silent
        [ask-digits] → timeout (end)
        [ask-digits] → exhausted: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testDemoWrongThenRight() throws {
        try assertTranscript("demo", { $0.answers = ["#", "123456789012345678901#", "42#"] }, """
        call: script demo, caller 4930123456, dialled 1000
        [welcome] play: welcome  (interruptible)
        [welcome] → next: ask-digits
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller presses: #
        [ask-digits] → invalid: ask-digits
        [ask-digits] play: invalid-entry  (interruptible)
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller presses: 123456789012345678901#
        [ask-digits] → invalid: ask-digits
        [ask-digits] play: invalid-entry  (interruptible)
        [ask-digits] play: enter-digits  (interruptible)
        [ask-digits] caller presses: 42#
        [ask-digits] collected entered = 42
        [ask-digits] → ok: read-back
        [read-back] say digits 42 → number-4 number-2
        [read-back] play: you-entered number-4 number-2
        [read-back] → next: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testCallingCardPinBalanceCallBusyThenGiveUp() throws {
        try assertTranscript("calling-card", { $0.account = "alice"; $0.answers = ["123456#", "4930999#", "timeout", "0"]; $0.dialOutcomes = [.busy] }, """
        call: script calling-card, caller 4930123456, dialled 1000
        [login] authenticate sip-digest → authentication-failed
        [login] authenticate ani 4930123456 → authentication-failed
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 123456#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authenticated alice
        [login] remember-caller 4930123456 → done
        [login] → ok: balance
        [balance] balance → balance 10 USD
        [balance] say money 10 USD → number-10 dollars
        [balance] play: your-balance-is number-10 dollars  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 4930999#
        [ask-number] collected destination = 4930999
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] credit-check 4930999 → credit ok max=6000s rate=0.1/min
        [check] → ok: call
        [call] say duration 6000s → number-1 hour number-40 minutes
        [call] play: max-duration-is number-1 hour number-40 minutes
        [call] dial 4930999 caller-id=4930123456 ring-timeout=45s max-duration=6000s keys=#11:end-leg,111:say-balance → dial busy
        [call] → busy: busy
        [busy] play: callee-busy
        [busy] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout: ask-number
        [ask-number] play: no-input  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 0
        [ask-number] → invalid: ask-number
        [ask-number] play: invalid-entry  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout (end)
        [ask-number] → exhausted: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testCallingCardWrongPinThreeTimes() throws {
        try assertTranscript("calling-card", { $0.account = "alice"; $0.answers = ["111111#", "222222#", "333333#"] }, """
        call: script calling-card, caller 4930123456, dialled 1000
        [login] authenticate sip-digest → authentication-failed
        [login] authenticate ani 4930123456 → authentication-failed
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 111111#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authentication-failed
        [login] → pin rejected: login
        [login] play: login-failed  (interruptible)
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 222222#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authentication-failed
        [login] → pin rejected: login
        [login] play: login-failed  (interruptible)
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 333333#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authentication-failed
        [login] → pin rejected (end)
        [login] → failed: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testCallingCardSoftphoneBlockedThenNoCredit() throws {
        try assertTranscript("calling-card", { $0.account = "bob"; $0.sipAuthenticated = true; $0.balance = Decimal(string: "0.05")!; $0.answers = ["0900123#", "4930999#"] }, """
        call: script calling-card, caller 4930123456, dialled 1000
        [login] authenticate sip-digest → authenticated bob
        [login] → ok: balance
        [balance] balance → balance 0.05 USD
        [balance] say money 0.05 USD → number-5 cents
        [balance] play: your-balance-is number-5 cents  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 0900123#
        [ask-number] collected destination = 0900123
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] problem: destination 0900123 starts with blocked prefix 0900
        [check] → blocked: blocked
        [blocked] play: destination-blocked
        [blocked] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 4930999#
        [ask-number] collected destination = 4930999
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] credit-check 4930999 → credit insufficient
        [check] → insufficient: no-credit
        [no-credit] play: no-credit
        [no-credit] → next: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testCallingCardCallEndedOutOfCredit() throws {
        try assertTranscript("calling-card", { $0.account = "carol"; $0.aniRegistered = true; $0.answers = ["4930777#", "4930777#"]; $0.dialOutcomes = [.ended, .outOfCredit] }, """
        call: script calling-card, caller 4930123456, dialled 1000
        [login] authenticate sip-digest → authentication-failed
        [login] authenticate ani 4930123456 → authenticated carol
        [login] → ok: balance
        [balance] balance → balance 10 USD
        [balance] say money 10 USD → number-10 dollars
        [balance] play: your-balance-is number-10 dollars  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 4930777#
        [ask-number] collected destination = 4930777
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] credit-check 4930777 → credit ok max=6000s rate=0.1/min
        [check] → ok: call
        [call] say duration 6000s → number-1 hour number-40 minutes
        [call] play: max-duration-is number-1 hour number-40 minutes
        [call] dial 4930777 caller-id=4930123456 ring-timeout=45s max-duration=6000s keys=#11:end-leg,111:say-balance → dial ended
        [call] → ended: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 4930777#
        [ask-number] collected destination = 4930777
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] credit-check 4930777 → credit ok max=6000s rate=0.1/min
        [check] → ok: call
        [call] say duration 6000s → number-1 hour number-40 minutes
        [call] play: max-duration-is number-1 hour number-40 minutes
        [call] dial 4930777 caller-id=4930123456 ring-timeout=45s max-duration=6000s keys=#11:end-leg,111:say-balance → dial out-of-credit
        [call] → out-of-credit: no-credit
        [no-credit] play: no-credit
        [no-credit] → next: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testCallingCardBalanceKeyAtTheDestinationPrompt() throws {
        try assertTranscript("calling-card", { $0.account = "dave"; $0.aniRegistered = true; $0.currency = "EUR"; $0.balance = Decimal(string: "1.01")!; $0.answers = ["111#", "timeout", "12"] }, """
        call: script calling-card, caller 4930123456, dialled 1000
        [login] authenticate sip-digest → authentication-failed
        [login] authenticate ani 4930123456 → authenticated dave
        [login] → ok: balance
        [balance] balance → balance 1.01 EUR
        [balance] say money 1.01 EUR → number-1 euro and number-1 cent
        [balance] play: your-balance-is number-1 euro and number-1 cent  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 111#
        [ask-number] collected destination = 111
        [ask-number] → ok: balance-key
        [balance-key] → if $destination == "111": balance
        [balance] balance → balance 1.01 EUR
        [balance] say money 1.01 EUR → number-1 euro and number-1 cent
        [balance] play: your-balance-is number-1 euro and number-1 cent  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout: ask-number
        [ask-number] play: no-input  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 12
        [ask-number] → invalid: ask-number
        [ask-number] play: invalid-entry  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout (end)
        [ask-number] → exhausted: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testAniCallbackTrigger() throws {
        try assertTranscript("ani-callback", { _ in }, """
        call: script ani-callback, caller 4930123456, dialled 1000
        [trigger] callback 4930123456 script=ani-callback node=login → done
        [trigger] → next: reject
        [reject] hangup: busy

        """)
    }

    func testAniCallbackLegRegisteredCaller() throws {
        try assertTranscript("ani-callback", { $0.startNode = "login"; $0.account = "erin"; $0.aniRegistered = true; $0.answers = ["4930555#"]; $0.dialOutcomes = [.noAnswer] }, """
        call: script ani-callback, caller 4930123456, dialled 1000
        [login] authenticate ani 4930123456 → authenticated erin
        [login] → ok: card
        [card] → goto: calling-card:balance
        entered script calling-card at balance
        [balance] balance → balance 10 USD
        [balance] say money 10 USD → number-10 dollars
        [balance] play: your-balance-is number-10 dollars  (interruptible)
        [balance] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller presses: 4930555#
        [ask-number] collected destination = 4930555
        [ask-number] → ok: balance-key
        [balance-key] → else: check
        [check] credit-check 4930555 → credit ok max=6000s rate=0.1/min
        [check] → ok: call
        [call] say duration 6000s → number-1 hour number-40 minutes
        [call] play: max-duration-is number-1 hour number-40 minutes
        [call] dial 4930555 caller-id=4930123456 ring-timeout=45s max-duration=6000s keys=#11:end-leg,111:say-balance → dial no-answer
        [call] → no-answer: no-answer
        [no-answer] play: callee-no-answer
        [no-answer] → next: ask-number
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout: ask-number
        [ask-number] play: no-input  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout: ask-number
        [ask-number] play: no-input  (interruptible)
        [ask-number] play: enter-destination  (interruptible)
        [ask-number] caller is silent
        [ask-number] → timeout (end)
        [ask-number] → exhausted: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testPinCallbackUnknownCallerEntersPin() throws {
        try assertTranscript("pin-callback", { $0.account = "frank"; $0.pin = "987654"; $0.answers = ["987654#"] }, """
        call: script pin-callback, caller 4930123456, dialled 1000
        [login] authenticate ani 4930123456 → authentication-failed
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 987654#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authenticated frank
        [login] remember-caller 4930123456 → done
        [login] → ok: schedule
        [schedule] callback 4930123456 script=calling-card node=balance → done
        [schedule] → next: scheduled
        [scheduled] play: callback-scheduled
        [scheduled] hangup: normal

        """)
    }

    func testPinCallbackPinTooShort() throws {
        try assertTranscript("pin-callback", { $0.account = "frank"; $0.answers = ["1#", "2#", "3#"] }, """
        call: script pin-callback, caller 4930123456, dialled 1000
        [login] authenticate ani 4930123456 → authentication-failed
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 1#
        [login] → pin invalid: login
        [login] play: login-failed  (interruptible)
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 2#
        [login] → pin invalid: login
        [login] play: login-failed  (interruptible)
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 3#
        [login] → pin invalid (end)
        [login] → failed: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testPinCallbackLocked() throws {
        try assertTranscript("pin-callback", { $0.account = "frank"; $0.lockAfter = 2; $0.answers = ["111111#", "222222#"] }, """
        call: script pin-callback, caller 4930123456, dialled 1000
        [login] authenticate ani 4930123456 → authentication-failed
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 111111#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → authentication-failed
        [login] → pin rejected: login
        [login] play: login-failed  (interruptible)
        [login] play: enter-pin  (interruptible)
        [login] caller presses: 222222#
        [login] collected pin = ******
        [login] authenticate pin (6 characters, not shown) → locked
        [login] → locked: locked
        [locked] play: account-locked
        [locked] hangup: rejected

        """)
    }

    func testDidCallbackKnownDid() throws {
        try assertTranscript("did-callback", { $0.account = "gina"; $0.did = "1000"; $0.forward = "4930444" }, """
        call: script did-callback, caller 4930123456, dialled 1000
        [identify] authenticate did 1000 → authenticated gina
        [identify] → ok: schedule
        [schedule] callback 4930444 script=calling-card node=balance → done
        [schedule] → next: reject
        [reject] hangup: busy

        """)
    }

    func testDidCallbackUnknownDid() throws {
        try assertTranscript("did-callback", { $0.account = "gina"; $0.did = "2000" }, """
        call: script did-callback, caller 4930123456, dialled 1000
        [identify] authenticate did 1000 → authentication-failed
        [identify] → failed: unknown
        [unknown] hangup: unavailable

        """)
    }

    func testWebCallbackConference() throws {
        try assertTranscript("web-callback", { $0.account = "hank"; $0.destinations = ["4930111", "4930222"]; $0.dialOutcomes = [.ended] }, """
        call: script web-callback, caller 4930123456, dialled 1000
        [announce] play: call-being-placed
        [announce] → next: check
        [check] → else: credit
        [credit] credit-check 4930111 → credit ok max=6000s rate=0.1/min
        [credit] → ok: connect
        [connect] dial 4930111,4930222 ring-timeout=45s max-duration=6000s → dial ended
        [connect] → ended: goodbye
        [goodbye] play: goodbye
        [goodbye] hangup: normal

        """)
    }

    func testWebCallbackNoDestination() throws {
        try assertTranscript("web-callback", { $0.account = "hank" }, """
        call: script web-callback, caller 4930123456, dialled 1000
        [announce] play: call-being-placed
        [announce] → next: check
        [check] → if len($request.destinations) == 0: call-failed
        [call-failed] play: call-failed
        [call-failed] hangup: normal

        """)
    }

    func testSmsCallbackBlocked() throws {
        try assertTranscript("sms-callback", { $0.account = "ida"; $0.destinations = ["0900123"]; $0.blockedPrefixes = ["0900"] }, """
        call: script sms-callback, caller 4930123456, dialled 1000
        [announce] play: call-being-placed
        [announce] → next: credit
        [credit] credit-check 0900123 → credit blocked
        [credit] → blocked: call-failed
        [call-failed] play: call-failed
        [call-failed] hangup: normal

        """)
    }

    func testSmsCallbackInsufficient() throws {
        try assertTranscript("sms-callback", { $0.account = "ida"; $0.destinations = ["4930123"]; $0.balance = Decimal(string: "0.01")! }, """
        call: script sms-callback, caller 4930123456, dialled 1000
        [announce] play: call-being-placed
        [announce] → next: credit
        [credit] credit-check 4930123 → credit insufficient
        [credit] → insufficient: no-credit
        [no-credit] play: no-credit
        [no-credit] hangup: normal

        """)
    }

    func testSmsCallbackFailedCall() throws {
        try assertTranscript("sms-callback", { $0.account = "ida"; $0.destinations = ["4930123"]; $0.dialOutcomes = [.failed] }, """
        call: script sms-callback, caller 4930123456, dialled 1000
        [announce] play: call-being-placed
        [announce] → next: credit
        [credit] credit-check 4930123 → credit ok max=6000s rate=0.1/min
        [credit] → ok: connect
        [connect] say duration 6000s → number-1 hour number-40 minutes
        [connect] play: max-duration-is number-1 hour number-40 minutes
        [connect] dial 4930123 caller-id=4930123456 ring-timeout=45s max-duration=6000s → dial failed
        [connect] → failed: call-failed
        [call-failed] play: call-failed
        [call-failed] hangup: normal

        """)
    }

}
