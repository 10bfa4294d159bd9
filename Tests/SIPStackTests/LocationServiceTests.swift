import Foundation
import SIP
import SIPStack
import XCTest

/// RFC 3261 §10.3 bindings with a fixed clock.
final class LocationServiceTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let alice = AddressOfRecord(user: "alice", domain: "Switchback.Local")
    let bob = AddressOfRecord(user: "bob", domain: "switchback.local")

    func uri(_ text: String) -> SIPURI { try! SIPURI(parsing: text) }

    func contact(_ text: String, _ seconds: Int, q: String? = nil) -> ContactRegistration {
        ContactRegistration(contact: uri(text), expiresIn: seconds, q: q.flatMap(QValue.init(parsing:)))
    }

    func testAddressOfRecordIsCanonical() {
        XCTAssertEqual(alice.description, "sip:alice@switchback.local", "domain lowercased")
        XCTAssertEqual(AddressOfRecord(uri("sip:alice@SWITCHBACK.local:5070;transport=tcp")), alice, "no port, no parameters")
        XCTAssertNotEqual(AddressOfRecord(uri("sip:Alice@switchback.local")), alice, "the user part is case-sensitive")
        XCTAssertNil(AddressOfRecord(uri("sip:switchback.local")), "no user")
        XCTAssertNil(AddressOfRecord(uri("tel:+15551234")), "not SIP")
    }

    func testBindingsExpireAtTheirAbsoluteTime() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50:5062", 600)], callID: "c1", cseq: 1, now: t0)
        let bindings = service.bindings(for: alice, now: t0)
        XCTAssertEqual(bindings.map(\.contact), [uri("sip:alice@192.0.2.50:5062")])
        XCTAssertEqual(bindings.first?.expires, t0.addingTimeInterval(600))
        XCTAssertEqual(bindings.first?.remainingSeconds(at: t0.addingTimeInterval(100.5)), 500)
        XCTAssertTrue(service.isRegistered(alice, now: t0.addingTimeInterval(599)))
        XCTAssertFalse(service.isRegistered(alice, now: t0.addingTimeInterval(600)), "gone at the expiry instant")
        XCTAssertEqual(service.bindings(for: alice, now: t0.addingTimeInterval(600)), [])
        XCTAssertEqual(service.storedBindingCount, 1, "invisible, but kept until a sweep")
    }

    func testSeveralContactsPerAddressOrderedByQThenFreshness() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 600, q: "0.5"),
                                               contact("sip:alice@192.0.2.51", 600)], callID: "desk", cseq: 1, now: t0)
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.52", 600, q: "0.9")],
                             callID: "mobile", cseq: 1, now: t0.addingTimeInterval(10))
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.53", 600)],
                             callID: "laptop", cseq: 1, now: t0.addingTimeInterval(20))
        XCTAssertEqual(service.bindings(for: alice, now: t0.addingTimeInterval(30)).map(\.contact.host),
                       ["192.0.2.53", "192.0.2.51", "192.0.2.52", "192.0.2.50"],
                       "no q counts as 1; equal q: the freshest first")
        XCTAssertEqual(service.bindings(for: bob, now: t0), [])
    }

    func testSameCallIDNeedsAHigherCSeqAndTheWholeRequestIsRefusedOtherwise() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 600)], callID: "c1", cseq: 5, now: t0)
        // A refresh with CSeq 5 again (a replay) also tries to add a second contact: nothing applies.
        XCTAssertThrowsError(try service.register(alice, contacts: [contact("sip:alice@192.0.2.99", 600),
                                                                   contact("sip:alice@192.0.2.50", 900)],
                                                  callID: "c1", cseq: 5, now: t0.addingTimeInterval(1))) { error in
            XCTAssertEqual(error as? LocationServiceError,
                           .outOfOrder(contact: self.uri("sip:alice@192.0.2.50"), bindingCSeq: 5, requestCSeq: 5))
        }
        let unchanged = service.bindings(for: alice, now: t0.addingTimeInterval(1))
        XCTAssertEqual(unchanged.map(\.contact.host), ["192.0.2.50"], "all or nothing (§10.3 step 7)")
        XCTAssertEqual(unchanged.first?.expires, t0.addingTimeInterval(600))

        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 900)], callID: "c1", cseq: 6, now: t0.addingTimeInterval(2))
        XCTAssertEqual(service.bindings(for: alice, now: t0).first?.expires, t0.addingTimeInterval(902), "refreshed")
        XCTAssertEqual(service.bindings(for: alice, now: t0).first?.cseq, 6)

        // Another Call-ID replaces the binding whatever its CSeq.
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 300)], callID: "c2", cseq: 1, now: t0.addingTimeInterval(3))
        XCTAssertEqual(service.bindings(for: alice, now: t0).first?.callID, "c2")
        XCTAssertEqual(service.bindings(for: alice, now: t0).count, 1)
    }

    func testContactsCompareByTheURIRules() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@EXAMPLE.net:5062;transport=UDP;ob", 600)], callID: "c1", cseq: 1, now: t0)
        try service.register(alice, contacts: [contact("sip:alice@example.net:5062;transport=udp", 0)], callID: "c1", cseq: 2, now: t0)
        XCTAssertEqual(service.bindings(for: alice, now: t0), [], "host and transport without case; ob only on one side")

        XCTAssertFalse(LocationBinding.sameContact(uri("sip:alice@example.net"), uri("sip:alice@example.net:5060")),
                       "§19.1.4: an absent port is not 5060")
        XCTAssertFalse(LocationBinding.sameContact(uri("sip:alice@example.net"), uri("sip:alice@example.net;transport=tcp")))
        XCTAssertFalse(LocationBinding.sameContact(uri("sip:Alice@example.net"), uri("sip:alice@example.net")))
        XCTAssertFalse(LocationBinding.sameContact(uri("sip:alice@example.net;foo=1"), uri("sip:alice@example.net;foo=2")))
        XCTAssertTrue(LocationBinding.sameContact(uri("sip:alice@example.net;foo=1"), uri("sip:alice@example.net;bar=2")))
    }

    func testExpiresZeroRemovesOneContactAndUnknownContactsWithZeroAreIgnored() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 600), contact("sip:alice@192.0.2.51", 600)],
                             callID: "c1", cseq: 1, now: t0)
        let after = try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 0), contact("sip:alice@192.0.2.77", 0)],
                                         callID: "c1", cseq: 2, now: t0)
        XCTAssertEqual(after.map(\.contact.host), ["192.0.2.51"])
    }

    func testWildcardRemovesEverythingUnlessAnUpdateOfTheSameCallIDIsNewer() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 600)], callID: "c1", cseq: 7, now: t0)
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.51", 600)], callID: "c2", cseq: 1, now: t0)
        XCTAssertThrowsError(try service.removeAll(for: alice, callID: "c1", cseq: 7, now: t0))
        XCTAssertEqual(service.bindings(for: alice, now: t0).count, 2, "nothing removed")
        let removed = try service.removeAll(for: alice, callID: "c1", cseq: 8, now: t0)
        XCTAssertEqual(Set(removed.map(\.contact.host)), ["192.0.2.50", "192.0.2.51"])
        XCTAssertFalse(service.isRegistered(alice, now: t0))
    }

    func testAnExpiredBindingDoesNotBlockANewRegistrationWithALowerCSeq() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 60)], callID: "c1", cseq: 9, now: t0)
        let later = t0.addingTimeInterval(120)
        XCTAssertNoThrow(try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 60)], callID: "c1", cseq: 1, now: later),
                         "the old binding expired: there is nothing to be out of order with")
    }

    func testTooManyBindingsIsRefusedWhole() throws {
        var service = LocationService(maximumBindingsPerAddress: 2)
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 600)], callID: "c1", cseq: 1, now: t0)
        XCTAssertThrowsError(try service.register(alice, contacts: [contact("sip:alice@192.0.2.51", 600), contact("sip:alice@192.0.2.52", 600)],
                                                  callID: "c2", cseq: 1, now: t0)) { error in
            XCTAssertEqual(error as? LocationServiceError, .tooManyBindings(self.alice, limit: 2))
            XCTAssertTrue("\(error)".contains("more than 2"), "\(error)")
        }
        XCTAssertEqual(service.bindings(for: alice, now: t0).count, 1)
    }

    func testSweepForgetsExpiredBindingsOnly() throws {
        var service = LocationService()
        try service.register(alice, contacts: [contact("sip:alice@192.0.2.50", 60), contact("sip:alice@192.0.2.51", 3600)],
                             callID: "c1", cseq: 1, now: t0)
        try service.register(bob, contacts: [contact("sip:bob@192.0.2.60", 120)], callID: "c2", cseq: 1, now: t0)
        XCTAssertEqual(service.sweep(now: t0.addingTimeInterval(59)).count, 0)
        let expired = service.sweep(now: t0.addingTimeInterval(130))
        XCTAssertEqual(expired.map(\.addressOfRecord), [alice, bob], "sorted by AOR")
        XCTAssertEqual(expired.map(\.binding.contact.host), ["192.0.2.50", "192.0.2.60"])
        XCTAssertEqual(service.storedBindingCount, 1)
        XCTAssertEqual(service.registeredAddresses(now: t0.addingTimeInterval(130)), [alice])
    }

    func testABindingIsReachedAtItsSourceElseAtItsContact() {
        let nat = SIPDestination(transport: .udp, host: "203.0.113.7", port: 40_123)
        var binding = LocationBinding(contact: uri("sip:alice@10.0.0.5:5062"), expires: t0, callID: "c", cseq: 1, registeredAt: t0,
                                      source: nat)
        XCTAssertEqual(binding.destination, nat, "behind NAT: where the REGISTER came from")
        binding.source = nil
        XCTAssertEqual(binding.destination, SIPDestination(transport: .udp, host: "10.0.0.5", port: 5062))
        binding.contact = uri("sip:alice@example.net;transport=TCP")
        XCTAssertEqual(binding.destination, SIPDestination(transport: .tcp, host: "example.net", port: 5060))
    }

    func testQValues() {
        XCTAssertEqual(QValue(parsing: "0.5")?.thousandths, 500)
        XCTAssertEqual(QValue(parsing: "1")?.thousandths, 1000)
        XCTAssertEqual(QValue(parsing: "1.000")?.thousandths, 1000)
        XCTAssertEqual(QValue(parsing: "0")?.thousandths, 0)
        XCTAssertEqual(QValue(parsing: "0.125")?.description, "0.125")
        XCTAssertEqual(QValue(parsing: "0.50")?.description, "0.5")
        for bad in ["1.5", "0.1234", "2", "", ".5", "0.x", "-0.1"] {
            XCTAssertNil(QValue(parsing: bad), bad)
        }
    }

    /// Bindings kept across a restart come back as they were: live only, the freshest when
    /// there are too many, and the §10.3 step 7 CSeq rule still applies to their Call-ID.
    func testRestoredBindingsKeepTheirExpiryAndTheirCSeqRule() throws {
        var before = LocationService()
        try before.register(alice, contacts: [contact("sip:alice@192.0.2.50:5062", 600, q: "0.5")], callID: "c1", cseq: 7, now: t0)
        try before.register(alice, contacts: [contact("sip:alice@192.0.2.51", 60)], callID: "c2", cseq: 1, now: t0)
        let kept = before.bindings(for: alice, now: t0)

        var after = LocationService(maximumBindingsPerAddress: 10)
        let later = t0.addingTimeInterval(100)
        XCTAssertEqual(after.restore(alice, bindings: kept, now: later), 1, "the 60 s binding expired while the server was down")
        XCTAssertEqual(after.bindings(for: alice, now: later), kept.filter { $0.contact.host == "192.0.2.50" })
        XCTAssertEqual(after.bindings(for: alice, now: later).first?.remainingSeconds(at: later), 500)
        XCTAssertEqual(after.bindings(for: alice, now: later).first?.q, QValue(parsing: "0.5"))

        XCTAssertThrowsError(try after.register(alice, contacts: [contact("sip:alice@192.0.2.50:5062", 600)],
                                                callID: "c1", cseq: 7, now: later)) { error in
            XCTAssertEqual(error as? LocationServiceError,
                           .outOfOrder(contact: self.uri("sip:alice@192.0.2.50:5062"), bindingCSeq: 7, requestCSeq: 7))
        }
        try after.register(alice, contacts: [contact("sip:alice@192.0.2.50:5062", 600)], callID: "c1", cseq: 8, now: later)
        XCTAssertEqual(after.bindings(for: alice, now: later).first?.cseq, 8)

        var small = LocationService(maximumBindingsPerAddress: 1)
        let older = LocationBinding(contact: uri("sip:alice@192.0.2.60"), expires: t0.addingTimeInterval(900), callID: "a",
                                    cseq: 1, registeredAt: t0)
        let newer = LocationBinding(contact: uri("sip:alice@192.0.2.61"), expires: t0.addingTimeInterval(900), callID: "b",
                                    cseq: 1, registeredAt: t0.addingTimeInterval(5))
        XCTAssertEqual(small.restore(alice, bindings: [older, newer], now: later), 1)
        XCTAssertEqual(small.bindings(for: alice, now: later).map(\.contact.host), ["192.0.2.61"], "the freshest kept")
        XCTAssertEqual(small.restore(bob, bindings: [], now: later), 0)
        XCTAssertEqual(small.registeredAddresses(now: later), [alice])
    }

    /// Issue 17: bindings read from a shared store, ordered as the node's own are: live
    /// ones only, highest q first, then the most recently refreshed.
    func testStoredBindingsAreOrderedLikeTheNodesOwn() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func binding(_ host: String, q: String?, registered: TimeInterval, expires: TimeInterval) throws -> LocationBinding {
            LocationBinding(contact: try SIPURI(parsing: "sip:alice@\(host)"), expires: now.addingTimeInterval(expires),
                            q: q.flatMap(QValue.init(parsing:)), callID: host, cseq: 1, registeredAt: now.addingTimeInterval(registered))
        }
        let stale = try binding("192.0.2.1", q: nil, registered: -500, expires: 100)
        let fresh = try binding("192.0.2.2", q: nil, registered: -10, expires: 100)
        let low = try binding("192.0.2.3", q: "0.5", registered: -1, expires: 100)
        let expired = try binding("192.0.2.4", q: "1.0", registered: -3600, expires: 0)
        XCTAssertEqual(LocationService.preferred([low, stale, expired, fresh], now: now), [fresh, stale, low])
    }
}
