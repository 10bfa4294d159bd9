import Billing
import Foundation
import SIP
import SIPStack
import Store
import NIOCore
import NIOPosix
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

    // MARK: - Routes: every outbound leg (a dial's B leg, a callback's A leg) rings these

    private func trunks() throws -> TrunkSelector {
        try TrunkSelector(configuration: [.init(name: "pstn", uri: "sip:192.0.2.1:5080", destinations: ["49"])])
    }

    /// The routes each group of a plan rings, as "trunk request-uri" strings.
    private func routes(_ plan: ForwardPlan, dialled: String, trunks: TrunkSelector) -> [[String]] {
        plan.groups.map { group in
            group.targets.map { target in
                do {
                    let route = try ForwardPlan.route(for: target, dialled: dialled, trunks: trunks)
                    return "\(route.trunk) \(route.requestURI) \(route.dialled)"
                } catch {
                    return "unroutable"
                }
            }
        }
    }

    /// A callback to a user is placed like a dial to it: its registered port first, then
    /// its forward number by its forward mode, each through its own route.
    func testACallbackALegRingsTheUsersPortFirstThenItsForward() throws {
        let phone = try binding("sip:5001@127.0.0.1:45001")
        let trunks = try trunks()
        struct Row {
            var contacts: [LocationBinding]
            var settings: ForwardPlan.Settings?
            var expected: [[String]]
            var line: UInt
        }
        let rows: [Row] = [
            // Registered, no-answer: the phone (its contact), then the forward number by the trunk.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777", mode: .noAnswer, forwardAfterSeconds: 8),
                expected: [["registered-contact sip:5001@127.0.0.1:45001 5001"], ["pstn sip:4930777@192.0.2.1:5080 4930777"]],
                line: #line),
            // Fork: both at once.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777", mode: .fork),
                expected: [["registered-contact sip:5001@127.0.0.1:45001 5001", "pstn sip:4930777@192.0.2.1:5080 4930777"]],
                line: #line),
            // Not registered, forward when unregistered: the forward number only.
            Row(contacts: [], settings: .init(forwardNumber: "4930777", mode: .unregistered),
                expected: [["pstn sip:4930777@192.0.2.1:5080 4930777"]], line: #line),
            // No forwarding: the registered phone only.
            Row(contacts: [phone], settings: .init(forwardNumber: "4930777", mode: .none),
                expected: [["registered-contact sip:5001@127.0.0.1:45001 5001"]], line: #line),
            // Not registered, no forwarding: the login through a trunk, which carries no "5".
            Row(contacts: [], settings: .init(), expected: [["unroutable"]], line: #line),
        ]
        for row in rows {
            let plan = ForwardPlan(number: "5001", contacts: row.contacts, settings: row.settings)
            XCTAssertEqual(routes(plan, dialled: "5001", trunks: trunks), row.expected, line: row.line)
        }
    }

    /// Issue 17: a phone that registered through an edge proxy is called through it: the
    /// INVITE goes to the Path's first hop and carries the Path as Route headers, the
    /// Request-URI still the phone's contact. A trunk route carries no Route.
    func testARegisteredPhoneBehindTheEdgeIsCalledThroughItsPath() throws {
        var phone = try binding("sip:5001@10.0.0.5:5062")
        phone.source = SIPDestination(transport: .udp, host: "203.0.113.9", port: 40123)
        phone.path = [try SIPURI(parsing: "sip:192.0.2.200:5070;lr")]
        let trunks = try trunks()
        let route = try ForwardPlan.route(for: .contact(phone), dialled: "5001", trunks: trunks)
        XCTAssertEqual(route.requestURI.description, "sip:5001@10.0.0.5:5062")
        XCTAssertEqual(route.destination, SIPDestination(transport: .udp, host: "192.0.2.200", port: 5070))
        XCTAssertEqual(route.routeSet, ["<sip:192.0.2.200:5070;lr>"])
        let offer = OutboundLegLauncher.offer(port: 40000, address: "127.0.0.1", sessionID: 1)
        let parameters = OutboundLegLauncher.parameters(route: route, callerID: "4930111", domain: "switchback.local",
                                                        offer: offer, ringTimeout: .seconds(30))
        XCTAssertEqual(parameters.extraHeaders, [SIPHeaderField(name: "Route", value: "<sip:192.0.2.200:5070;lr>")])
        XCTAssertEqual(parameters.destination, route.destination)

        let trunk = try ForwardPlan.route(for: .number("4930777"), dialled: "4930777", trunks: trunks)
        XCTAssertEqual(trunk.routeSet, [])
        XCTAssertEqual(OutboundLegLauncher.parameters(route: trunk, callerID: "", domain: "switchback.local", offer: offer,
                                                      ringTimeout: .seconds(30)).extraHeaders, [])
    }

    /// The plan a callback or a dial gets from the dial plan: the account's forwarding read
    /// through the lookup, handed back on the loop; a plain number goes to its trunk.
    func testTheDialPlanFindsTheForwardingOfTheNumberCalled() throws {
        struct Accounts: ForwardSettingsLookup {
            func forwardSettings(login: String) async -> ForwardPlan.Settings? {
                login == "5001" ? ForwardPlan.Settings(forwardNumber: "4930777", mode: .unregistered) : nil
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let trunks = try trunks()
        let plan = DialPlan(trunks: trunks, domain: "switchback.local", billing: nil, registrations: nil,
                            forwarding: Accounts())
        for (number, expected, mode) in [("5001", [["pstn sip:4930777@192.0.2.1:5080 4930777"]], ForwardMode.unregistered),
                                         ("4940888", [["pstn sip:4940888@192.0.2.1:5080 4940888"]], nil)] {
            let found = expectation(description: number)
            // Written on the loop before `found` is fulfilled, read after the wait.
            final class Found: @unchecked Sendable { var value: (ForwardPlan, ForwardPlan.Settings?)? }
            let result = Found()
            loop.execute {
                plan.forwardPlan(for: number, answerOn: loop) { forward, settings in
                    loop.preconditionInEventLoop()
                    result.value = (forward, settings)
                    found.fulfill()
                }
            }
            wait(for: [found], timeout: 5)
            let (forward, settings) = try XCTUnwrap(result.value)
            XCTAssertEqual(routes(forward, dialled: number, trunks: trunks), expected, number)
            XCTAssertEqual(settings?.mode, mode, number)
        }
    }
}
