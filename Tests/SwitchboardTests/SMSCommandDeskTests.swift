import Billing
import Foundation
import IVR
import Store
@testable import Switchboard
import Synchronization
import XCTest

/// The SMS desk without sockets: each command against a real (in-memory) store and the
/// callback scheduler; the reply each writes to the outbox; limits, lockout, no relay.
final class SMSCommandDeskTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private let start = Date(timeIntervalSince1970: 1_800_000_000)
    private var store: SQLiteStore!
    private var alice: Account!
    private var configuration: SwitchbackConfiguration!
    private var clock: Clock!
    private var desk: SMSCommandDesk!

    /// Moves only when told.
    final class Clock: Sendable {
        let time: Mutex<Date>
        init(_ start: Date) { time = Mutex(start) }
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    override func setUp() async throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "123456", sipRealm: "r",
                                                   initialBalance: try Money.parse("12.5", currency: "EUR"),
                                                   forwardNumber: "4930777"), at: start)
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: start)
        _ = try store.addAddressBookEntry(account: alice.id!, slot: 1, name: "Mum", number: "4930331")
        _ = try store.addAddressBookEntry(account: alice.id!, slot: 2, name: "Office", number: "4930332")
        configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(Self.root.path)/sounds
        campaigns:
          sms-callback: { script: \(Self.root.path)/scripts/sms-callback.yaml }
        callback: { delay: 2s, max-participants: 4 }
        sms:
          gateways:
            - { name: kannel, secret: sesame-secret, sendsms: "http://127.0.0.1:13013/cgi-bin/sendsms" }
          numbers:
            "5550100": { campaign: sms-callback }
          limits: { per-minute-per-sender: 4, per-hour-per-sender: 20, per-minute-per-account: 6 }
          lockout: { attempts: 3, period: 10m }
        """, file: "test.yaml")
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds")))
        let clock = Clock(start)
        self.clock = clock
        let scheduler = CallbackScheduler(store: store, catalog: catalog, now: { clock.now() })
        desk = SMSCommandDesk(store: store, scheduler: scheduler, settings: .init(configuration), now: { clock.now() })
    }

    private func text(_ text: String, from sender: String = "4930111", to receiver: String = "5550100") -> SMSDeskAnswer {
        // A second between texts, as between real ones (and apart from the idempotency key's window).
        clock.advance(1)
        return desk.handle(InboundSMS(gateway: "kannel", sender: sender, receiver: receiver, text: text))
    }

    private func outbox(_ answer: SMSDeskAnswer) throws -> OutboundSMS? {
        try answer.outboxID.flatMap { try store.outboundSMS(id: $0) }
    }

    // MARK: - Callbacks

    func testARegisteredSenderTextsDAndIsCalledBackThenConnected() throws {
        let answer = text("D.4930999")
        guard case .accepted(let id, true) = answer.outcome else { return XCTFail("\(answer)") }
        let request = try XCTUnwrap(try store.callbackRequest(id: id))
        XCTAssertEqual(request.trigger, .sms)
        XCTAssertEqual(request.accountID, alice.id)
        XCTAssertEqual(request.originNumber, "4930111", "the sender's own phone is called first")
        XCTAssertEqual(request.destinations, ["4930999"])
        XCTAssertEqual(request.campaign, "sms-callback", "the service number picks the campaign")
        XCTAssertEqual(request.accessNumber, "5550100")
        XCTAssertEqual(request.notBefore.timeIntervalSince(request.createdAt), 2, accuracy: 0.001)
        let reply = try XCTUnwrap(try outbox(answer))
        XCTAssertEqual(reply.recipient, "4930111")
        XCTAssertEqual(reply.sender, "5550100", "the reply comes from the number texted")
        XCTAssertEqual(reply.gateway, "kannel")
        XCTAssertEqual(reply.state, .pending)
        XCTAssertEqual(reply.text, "Accepted: request \(id). We call 4930111, then connecting 4930999.")
    }

    func testTheGatewaysPlusSpellingOfARegisteredNumberIsTheSameSender() throws {
        guard case .accepted = text("d.4930999", from: "+4930111").outcome else { return XCTFail("+ spelling not matched") }
    }

    func testCredentialsWithOriginCallTheOriginWhenItIsTheAccountsOwn() throws {
        let answer = text("U.alice P.wonderland O.4930777 D.4930999", from: "4930888")
        guard case .accepted(let id, _) = answer.outcome else { return XCTFail("\(answer)") }
        let request = try XCTUnwrap(try store.callbackRequest(id: id))
        XCTAssertEqual(request.originNumber, "4930777", "O. is called first (the forward number is on the allow-list)")
        XCTAssertEqual(try outbox(answer)?.recipient, "4930888", "the reply goes to the sender")
    }

    func testAnOriginNotOnTheAllowListIsRefused() throws {
        let answer = text("U.alice P.wonderland O.4930666 D.4930999", from: "4930888")
        guard case .rejected(let reason) = answer.outcome else { return XCTFail("\(answer)") }
        XCTAssertTrue(reason.hasPrefix("Refused:"), reason)
        XCTAssertEqual(try store.callbackRequests(states: [.queued]).count, 0)
    }

    func testSeveralDestinationsMakeAConferenceBoundedByMaxParticipants() throws {
        let answer = text("D.4930901 D.4930902 N1")
        guard case .accepted(let id, _) = answer.outcome else { return XCTFail("\(answer)") }
        XCTAssertEqual(try store.callbackRequest(id: id)?.destinations, ["4930901", "4930902", "4930331"])
        XCTAssertTrue(answer.reply?.contains("a conference with 4930901, 4930902, 4930331") == true, answer.reply ?? "")
        let tooMany = text("D.4930901 D.4930902 D.4930903 D.4930904")
        XCTAssertEqual(tooMany.outcome, .rejected("Error in 'D.4930904': at most 3 destinations in one call."))
    }

    func testAddressBookByNameAndSlot() throws {
        guard case .accepted(let byName, _) = text("b.mum").outcome else { return XCTFail("B.mum") }
        XCTAssertEqual(try store.callbackRequest(id: byName)?.destinations, ["4930331"])
        guard case .accepted(let bySlot, _) = text("N2").outcome else { return XCTFail("N2") }
        XCTAssertEqual(try store.callbackRequest(id: bySlot)?.destinations, ["4930332"])
        XCTAssertEqual(text("B.aunt").outcome, .rejected("Error in 'B.aunt': no address-book entry named aunt."))
        XCTAssertEqual(text("N7").outcome, .rejected("Error in 'N7': address-book entry 7 is empty."))
    }

    func testTheSameTextTwiceWithinTheWindowQueuesOneCallback() throws {
        guard case .accepted(let first, true) = text("D.4930999").outcome else { return XCTFail("first") }
        let again = text("D.4930999")
        XCTAssertEqual(again.outcome, .accepted(requestID: first, isNew: false))
        XCTAssertTrue(again.reply?.hasPrefix("Already accepted: request \(first).") == true)
    }

    // MARK: - Who is asking

    func testAnUnregisteredSenderWithoutCredentialsIsToldHowToAuthenticate() throws {
        let answer = text("D.4930999", from: "4930555")
        XCTAssertEqual(answer.outcome, .rejected(SMSReplies.notRegistered))
        XCTAssertEqual(try outbox(answer)?.recipient, "4930555")
    }

    func testWrongPasswordsLockOutPerSenderAndPerAccount() throws {
        for _ in 0..<3 {
            XCTAssertEqual(text("U.alice P.guess D.4930999", from: "4930555").outcome, .rejected(SMSReplies.wrongCredentials))
        }
        // The right password from the same phone is now refused too: the sender is locked out...
        XCTAssertEqual(text("U.alice P.wonderland D.4930999", from: "4930555").outcome,
                       .rejected(SMSReplies.lockedOut(.seconds(600))))
        // ...and so is the account, from any phone.
        XCTAssertEqual(text("U.alice P.wonderland D.4930999", from: "4930556").outcome,
                       .rejected(SMSReplies.lockedOut(.seconds(600))))
        clock.advance(601)
        guard case .accepted = text("U.alice P.wonderland D.4930999", from: "4930556").outcome else {
            return XCTFail("the lockout ends after its period")
        }
    }

    func testAnUnknownLoginIsTheSameWrongCredentials() throws {
        XCTAssertEqual(text("U.mallory P.x D.4930999", from: "4930555").outcome, .rejected(SMSReplies.wrongCredentials))
    }

    // MARK: - R. and I.

    func testRegisterNeedsCredentialsThenTheNumberNeedsNone() throws {
        XCTAssertEqual(text("R.4930222").outcome, .rejected(SMSReplies.registerNeedsCredentials))
        let answer = text("U.alice P.wonderland R.4930222", from: "4930222")
        XCTAssertEqual(answer.outcome, .registered("4930222"))
        XCTAssertEqual(answer.reply, "Registered 4930222 for alice: texts from it need no U./P. now.")
        XCTAssertEqual(try store.account(callerID: "4930222")?.id, alice.id)
        guard case .accepted = text("D.4930999", from: "4930222").outcome else { return XCTFail("registered sender") }
    }

    func testRegisteringAnotherAccountsNumberIsRefused() throws {
        let bob = try store.createAccount(NewAccount(login: "bob", password: "builder", sipRealm: "r",
                                                     initialBalance: .zero("EUR")), at: start)
        XCTAssertEqual(text("U.bob P.builder R.4930111", from: "4930444").outcome,
                       .rejected("Error in 'R.4930111': that number is registered to another account."))
        XCTAssertNil(try store.account(callerID: "4930444"))
        _ = bob
    }

    func testStatusRepliesWithTheBalanceToTheSenderOrAnOwnNumber() throws {
        let answer = text("I.")
        XCTAssertEqual(answer.outcome, .status)
        XCTAssertEqual(answer.reply, "alice: balance 12.50 EUR, 1 registered number.")
        XCTAssertEqual(try outbox(answer)?.recipient, "4930111")
        let toForward = text("U.alice P.wonderland I. O.4930777", from: "4930888")
        XCTAssertEqual(try outbox(toForward)?.recipient, "4930777", "O. on the allow-list gets the status")
    }

    func testNoReplyIsRelayedToANumberThatIsNotTheAccountsOwn() throws {
        let answer = text("U.alice P.wonderland I. O.4930666", from: "4930888")
        XCTAssertEqual(answer.outcome, .rejected(SMSReplies.originNotOwn("4930666")))
        XCTAssertEqual(try outbox(answer)?.recipient, "4930888")
        XCTAssertTrue(try store.outboundSMS(recipient: "4930666").isEmpty)
    }

    // MARK: - Errors and limits

    func testAGarbledTextGetsAnErrorNamingTheWord() throws {
        let answer = text("D.49309x9 pls")
        XCTAssertEqual(answer.outcome, .rejected("Error in 'D.49309x9': a number is digits only (a + may lead), as D.+4930123456."))
        XCTAssertEqual(try outbox(answer)?.text, answer.reply)
        XCTAssertEqual(text("").reply, "Error: the message is empty; send D.<number> to be called and connected.")
    }

    func testAnUnknownServiceNumberSaysSo() throws {
        XCTAssertEqual(text("D.4930999", to: "5550199").outcome, .rejected("5550199 takes no SMS commands."))
    }

    func testASenderOverItsLimitGetsOneReplyThenSilence() throws {
        for index in 0..<4 { XCTAssertNotEqual(text("D.49309\(index)0").outcome, .limited, "message \(index + 1)") }
        let first = text("D.4930950")
        XCTAssertEqual(first.outcome, .limited)
        XCTAssertEqual(first.reply, SMSReplies.tooMany(window: "minute"))
        let second = text("D.4930960")
        XCTAssertEqual(second.outcome, .limited)
        XCTAssertNil(second.reply, "a flood gets no reply per message")
        XCTAssertNil(second.outboxID)
        clock.advance(61)
        XCTAssertNotEqual(text("D.4930970").outcome, .limited, "the minute has passed")
        // Hours later the old activity is pruned: it counts for no window any more.
        clock.advance(2 * 3600)
        _ = text("D.4930980")
        XCTAssertEqual(try store.smsActivityCounts(.message, sender: "4930111", account: nil, since: .distantPast).sender, 1)
    }

    func testACallbackOverTheTriggerRateLimitIsAnsweredToTryLater() throws {
        // callback.limits.per-minute-per-caller-id is 3 by default: the sender is the caller ID.
        for index in 0..<3 {
            guard case .accepted = text("D.49309\(index)2").outcome else { return XCTFail("text \(index + 1)") }
        }
        let over = text("D.4930932")
        XCTAssertEqual(over.outcome, .rejected(SMSReplies.tryLater))
        XCTAssertEqual(try outbox(over)?.text, SMSReplies.tryLater)
        XCTAssertEqual(try store.callbackRequests(states: [.queued]).count, 3)
        clock.advance(61)
        guard case .accepted = text("D.4930942").outcome else { return XCTFail("the minute has passed") }
    }

    func testAnAccountOverItsLimitFromSeveralPhones() throws {
        for index in 0..<6 {
            let answer = text("U.alice P.wonderland D.49309\(index)1", from: "49308\(index % 3)0")
            guard case .accepted = answer.outcome else { return XCTFail("message \(index + 1): \(answer)") }
        }
        XCTAssertEqual(text("U.alice P.wonderland D.4930999", from: "4930870").outcome, .limited)
    }
}
