import Billing
import Foundation
import SIP
import SIPStack
import Store
import XCTest
@testable import Switchboard

/// Who a dial to a number rings, by the account's forward mode: one row per case.
final class ForwardPlanTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func binding(_ uri: String) throws -> LocationBinding {
        LocationBinding(contact: try SIPURI(parsing: uri), expires: now.addingTimeInterval(60), callID: "c", cseq: 1,
                        registeredAt: now)
    }

    /// A group written compactly: "phone1+phone2@20" rings the two contacts for 20 s;
    /// numbers stand for themselves; no "@" means the dial's own ring time-out.
    private func describe(_ plan: ForwardPlan, names: [String: String]) -> [String] {
        plan.groups.map { group in
            let targets = group.targets.map { target -> String in
                switch target {
                case .contact(let binding): return names[binding.contact.description] ?? binding.contact.description
                case .number(let number): return number
                }
            }.joined(separator: "+")
            return group.ringSeconds.map { "\(targets)@\($0)" } ?? targets
        }
    }

    func testGroupsByModeRegistrationAndForwardNumber() throws {
        let phone = try binding("sip:5001@127.0.0.1:45001")
        let desk = try binding("sip:5001@127.0.0.1:45002;transport=tcp")
        let names = [phone.contact.description: "phone", desk.contact.description: "desk"]
        struct Row {
            var contacts: [LocationBinding]
            var settings: ForwardPlan.Settings?
            var expected: [String]
            var line: UInt
        }
        let rows: [Row] = [
            // Not a user's login: the trunk, as before forwarding existed.
            Row(contacts: [], settings: nil, expected: ["5001"], line: #line),
            // A registered phone with no account record: the phone only.
            Row(contacts: [phone], settings: nil, expected: ["phone"], line: #line),
            // A user without a forward number: phones when registered, else the trunk.
            Row(contacts: [phone, desk], settings: .init(), expected: ["phone+desk"], line: #line),
            Row(contacts: [], settings: .init(), expected: ["5001"], line: #line),
            // none: never the forward number.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777", mode: .none), expected: ["phone"], line: #line),
            Row(contacts: [], settings: .init(forwardNumber: "4930777", mode: .none), expected: ["5001"], line: #line),
            // unregistered: the forward number only when no phone is registered.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777", mode: .unregistered), expected: ["phone"], line: #line),
            Row(contacts: [], settings: .init(forwardNumber: "4930777", mode: .unregistered), expected: ["4930777"], line: #line),
            // no-answer (the default): phones for N seconds, then the forward number.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777"), expected: ["phone@20", "4930777"], line: #line),
            Row(contacts: [phone, desk], settings: .init(forwardNumber: "4930777", mode: .noAnswer, forwardAfterSeconds: 6),
                expected: ["phone+desk@6", "4930777"], line: #line),
            Row(contacts: [], settings: .init(forwardNumber: "4930777", mode: .noAnswer), expected: ["4930777"], line: #line),
            // fork: phones and forward number at once.
            Row(contacts: [phone, desk], settings: .init(forwardNumber: "4930777", mode: .fork),
                expected: ["phone+desk+4930777"], line: #line),
            Row(contacts: [], settings: .init(forwardNumber: "4930777", mode: .fork), expected: ["4930777"], line: #line),
            // A forward to the user's own number (or an empty one) is no forward.
            Row(contacts: [phone], settings: .init(forwardNumber: "5001", mode: .fork), expected: ["phone"], line: #line),
            Row(contacts: [phone], settings: .init(forwardNumber: "", mode: .noAnswer), expected: ["phone"], line: #line),
            Row(contacts: [], settings: .init(forwardNumber: "5001", mode: .noAnswer), expected: ["5001"], line: #line),
        ]
        for row in rows {
            let plan = ForwardPlan(number: "5001", contacts: row.contacts, settings: row.settings)
            XCTAssertEqual(describe(plan, names: names), row.expected, line: row.line)
        }
    }

    func testTheSettingsOfAnAccountRecord() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let account = try store.createAccount(NewAccount(login: "5001", password: "pw", sipRealm: "r",
                                                         initialBalance: Money(minorUnits: 0, currency: "EUR"),
                                                         forwardNumber: "4930777", forwardMode: .fork, forwardAfterSeconds: 9),
                                              at: now)
        XCTAssertEqual(ForwardPlan.Settings(account: account),
                       ForwardPlan.Settings(forwardNumber: "4930777", mode: .fork, forwardAfterSeconds: 9))
    }

    func testTheStoreLookupFindsActiveAccountsOnly() async throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let account = try store.createAccount(NewAccount(login: "5001", password: "pw", sipRealm: "r",
                                                         initialBalance: Money(minorUnits: 0, currency: "EUR"),
                                                         forwardNumber: "4930777", forwardMode: .unregistered),
                                              at: now)
        let lookup = AccountForwardSettings(store: store)
        let found = await lookup.forwardSettings(login: "5001")
        XCTAssertEqual(found?.mode, .unregistered)
        XCTAssertEqual(found?.forwardNumber, "4930777")
        let unknown = await lookup.forwardSettings(login: "5002")
        XCTAssertNil(unknown)
        try store.setState(.locked, account: account.id!)
        let locked = await lookup.forwardSettings(login: "5001")
        XCTAssertNil(locked, "a locked account receives no forwards")
    }

    func testAnUnansweredGroupSaysTheMostTellingOutcome() {
        let rows: [([OutboundCallOutcome], OutboundCallOutcome)] = [
            ([.failed, .busy, .noAnswer], .busy),
            ([.failed, .noAnswer], .noAnswer),
            ([.noAnswer, .noAnswer], .noAnswer),
            ([.failed], .failed),
            ([.cancelled, .failed], .cancelled),
            ([], .failed),
        ]
        for (outcomes, expected) in rows {
            XCTAssertEqual(ForwardPlan.unansweredOutcome(outcomes), expected, "\(outcomes)")
        }
    }
}
