import Foundation
import Logging
import NIOEmbedded
import SIP
import SIPStack
import Store
@testable import Switchboard
import XCTest

/// The registrar's bindings through the store and back, as a restarted server loads
/// them: contact, expiry, q, Call-ID and CSeq intact; the UDP source kept (the socket is
/// the same after a restart), a TCP one dropped (its connection died); expired ones and
/// unreadable rows left out.
final class StoreLocationBindingsTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let alice = AddressOfRecord(user: "alice", domain: "switchback.local")
    let bob = AddressOfRecord(user: "bob", domain: "switchback.local")

    func testBindingsComeBackIntoARestartedRegistrationService() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let persistence = StoreLocationBindings(store: store)
        let udp = LocationBinding(contact: try SIPURI(parsing: "sip:alice@10.0.0.5:5062;transport=udp"),
                                  expires: t0.addingTimeInterval(3600), q: QValue(parsing: "0.7"), callID: "reg-1",
                                  cseq: 42, registeredAt: t0,
                                  source: SIPDestination(transport: .udp, host: "203.0.113.9", port: 40123),
                                  userAgent: "baresip")
        let tcp = LocationBinding(contact: try SIPURI(parsing: "sip:bob@192.0.2.8:5070;transport=tcp"),
                                  expires: t0.addingTimeInterval(600), callID: "reg-2", cseq: 3, registeredAt: t0,
                                  source: SIPDestination(transport: .tcp, host: "192.0.2.8", port: 51000))
        let short = LocationBinding(contact: try SIPURI(parsing: "sip:bob@192.0.2.9"), expires: t0.addingTimeInterval(30),
                                    callID: "reg-3", cseq: 1, registeredAt: t0)
        try persistence.saveBindings([udp], of: alice)
        try persistence.saveBindings([tcp, short], of: bob)

        let service = RegistrationService(domain: "switchback.local",
                                          credentials: SIPCredentialsTable(realm: "switchback.local", ha1ByUsername: [:]),
                                          logger: Logger(label: "test"),
                                          persistence: persistence)
        let restart = t0.addingTimeInterval(60)
        XCTAssertEqual(try service.restoreBindings(now: restart), 2)
        XCTAssertEqual(service.contacts(of: "alice", now: restart), [udp], "everything of a UDP binding comes back")
        var reachedAtContact = tcp
        reachedAtContact.source = nil
        XCTAssertEqual(service.contacts(of: "bob", now: restart), [reachedAtContact])
        XCTAssertEqual(service.contacts(of: "bob", now: restart).first?.destination,
                       SIPDestination(transport: .tcp, host: "192.0.2.8", port: 5070), "a new connection to the Contact")
        XCTAssertEqual(try store.registrationBindings(liveAt: t0).count, 2, "the expired one was deleted at restore")
    }

    /// Issue 17: the Path goes into the store and back; a phone registered through
    /// another node (another writer of a shared store) is found by this node's service,
    /// which knows only its own REGISTERs in memory, and is reached through the Path.
    func testAPhoneRegisteredThroughAnotherNodeIsFoundWithItsPath() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let edge = try SIPURI(parsing: "sip:192.0.2.200:5060;lr")
        let elsewhere = LocationBinding(contact: try SIPURI(parsing: "sip:alice@10.0.0.5:5062"), expires: t0.addingTimeInterval(600),
                                        callID: "reg-b", cseq: 2, registeredAt: t0,
                                        source: SIPDestination(transport: .udp, host: "203.0.113.9", port: 40123), path: [edge])
        // Node B's registrar wrote it.
        try StoreLocationBindings(store: store).saveBindings([elsewhere], of: alice)
        XCTAssertEqual(try store.registrationBindings(liveAt: t0).first?.path, "<sip:192.0.2.200:5060;lr>")

        // Node A: its memory is empty; the lookup reads the store.
        let service = RegistrationService(domain: "switchback.local",
                                          credentials: SIPCredentialsTable(realm: "switchback.local", ha1ByUsername: [:]),
                                          logger: Logger(label: "test"),
                                          persistence: StoreLocationBindings(store: store))
        let now = t0.addingTimeInterval(5)
        XCTAssertEqual(service.contacts(of: "alice", now: now), [], "not in this node's memory")
        let stored = try XCTUnwrap(service.storedContactsLookup(of: "alice"))()
        XCTAssertEqual(stored, [elsewhere], "everything comes back, the Path too")
        XCTAssertEqual(try XCTUnwrap(service.storedContactsLookup(of: "bob"))(), [])
        // Unregistered through another node meanwhile: the store is the truth.
        XCTAssertEqual(service.contacts(of: "alice", stored: [], now: now), [])
        let found = service.contacts(of: "alice", stored: stored, now: now)
        XCTAssertEqual(found, [elsewhere])
        XCTAssertEqual(found.first?.destination, SIPDestination(transport: .udp, host: "192.0.2.200", port: 5060))
        XCTAssertEqual(found.first?.routeSet, ["<sip:192.0.2.200:5060;lr>"])

        // A stored path that is no list of name-addrs is reported, the row skipped.
        try store.replaceRegistrationBindings(user: "bob", domain: "switchback.local", with: [
            RegistrationBinding(user: "bob", domain: "switchback.local", contact: "sip:bob@192.0.2.1",
                                expiresAt: t0.addingTimeInterval(60), callID: "z", cseq: 1, registeredAt: t0, path: "<broken"),
        ])
        let problems = ProblemList()
        let loaded = try StoreLocationBindings(store: store) { problems.append($0.description) }.loadBindings(of: bob, now: t0)
        XCTAssertEqual(loaded, [])
        XCTAssertTrue(problems.all.first?.contains("path") ?? false, "\(problems.all)")
    }

    func testAnUnreadableRowIsReportedAndTheOthersLoad() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
            RegistrationBinding(user: "alice", domain: "switchback.local", contact: "not a uri", expiresAt: t0.addingTimeInterval(60),
                                callID: "x", cseq: 1, registeredAt: t0),
            RegistrationBinding(user: "alice", domain: "switchback.local", contact: "sip:alice@192.0.2.1",
                                expiresAt: t0.addingTimeInterval(60), callID: "y", cseq: 1, registeredAt: t0),
        ])
        let problems = ProblemList()
        let persistence = StoreLocationBindings(store: store) { problems.append($0.description) }
        let loaded = try persistence.loadBindings(now: t0)
        XCTAssertEqual(loaded[alice]?.map(\.contact.host), ["192.0.2.1"])
        XCTAssertEqual(problems.all.count, 1)
        XCTAssertTrue(problems.all.first?.contains("alice@switchback.local: contact \"not a uri\" is not a SIP URI") ?? false,
                      "\(problems.all)")
    }
}

private final class ProblemList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
