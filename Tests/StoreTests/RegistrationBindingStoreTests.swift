import Foundation
import XCTest
@testable import Store

/// The registrar's bindings kept across restarts (migration "v11 registration bindings"):
/// replaced as a set per address-of-record, read back live only, expired ones deleted.
final class RegistrationBindingStoreTests: StoreBackendTestCase {
    private func binding(_ user: String, _ contact: String, expires: TimeInterval, cseq: Int64 = 1,
                         q: Int? = nil, path: String? = nil) -> RegistrationBinding {
        RegistrationBinding(user: user, domain: "switchback.local", contact: contact, expiresAt: at(expires),
                            qThousandths: q, callID: "call-\(user)", cseq: cseq, registeredAt: at(0),
                            sourceTransport: "UDP", sourceHost: "192.0.2.7", sourcePort: 5062, userAgent: "phone/1.0",
                            path: path)
    }

    func testReplacingKeepsOnlyTheNewSetOfThatAddress() throws {
        try onEachBackend { store in
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7:5062", expires: 3600, q: 500),
                binding("alice", "sip:alice@198.51.100.1", expires: 600),
            ])
            try store.replaceRegistrationBindings(user: "bob", domain: "switchback.local", with: [
                binding("bob", "sip:bob@192.0.2.8", expires: 3600),
            ])
            XCTAssertEqual(try store.registrationBindings(liveAt: at(1)).map(\.contact),
                           ["sip:alice@192.0.2.7:5062", "sip:alice@198.51.100.1", "sip:bob@192.0.2.8"])

            // A refresh of alice's that drops one contact and raises the CSeq of the other.
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7:5062", expires: 7200, cseq: 2, q: 500,
                        path: "<sip:edge.example;lr>,<sip:10.0.0.5:5070;lr>"),
            ])
            let live = try store.registrationBindings(liveAt: at(1))
            XCTAssertEqual(live.map(\.contact), ["sip:alice@192.0.2.7:5062", "sip:bob@192.0.2.8"])
            let alice = try XCTUnwrap(live.first)
            XCTAssertEqual(alice.cseq, 2)
            XCTAssertEqual(alice.qThousandths, 500)
            XCTAssertEqual(alice.expiresAt, at(7200))
            XCTAssertEqual(alice.callID, "call-alice")
            XCTAssertEqual(alice.sourceTransport, "UDP")
            XCTAssertEqual(alice.sourceHost, "192.0.2.7")
            XCTAssertEqual(alice.sourcePort, 5062)
            XCTAssertEqual(alice.path, "<sip:edge.example;lr>,<sip:10.0.0.5:5070;lr>", "the edge's Path (v12)")
            XCTAssertEqual(alice.userAgent, "phone/1.0")

            // An un-REGISTER leaves none.
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [])
            XCTAssertEqual(try store.registrationBindings(liveAt: at(1)).map(\.user), ["bob"])
        }
    }

    func testExpiredBindingsAreInvisibleAndDeleted() throws {
        try onEachBackend { store in
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7", expires: 60),
                binding("alice", "sip:alice@192.0.2.9", expires: 120),
            ])
            XCTAssertEqual(try store.registrationBindings(liveAt: at(60)).map(\.contact), ["sip:alice@192.0.2.9"],
                           "a binding is gone from its expiry instant on")
            XCTAssertEqual(try store.deleteRegistrationBindings(expiredAt: at(60)), 1)
            XCTAssertEqual(try store.deleteRegistrationBindings(expiredAt: at(60)), 0)
            XCTAssertEqual(try store.registrationBindings(liveAt: at(0)).map(\.contact), ["sip:alice@192.0.2.9"])
        }
    }

    func testOneAddressIsLookedUpAloneLiveOnly() throws {
        try onEachBackend { store in
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7", expires: 60),
                binding("alice", "sip:alice@192.0.2.9", expires: 120),
            ])
            try store.replaceRegistrationBindings(user: "bob", domain: "switchback.local", with: [
                binding("bob", "sip:bob@192.0.2.8", expires: 3600),
            ])
            try store.replaceRegistrationBindings(user: "alice", domain: "other.example", with: [
                RegistrationBinding(user: "alice", domain: "other.example", contact: "sip:alice@203.0.113.1",
                                    expiresAt: at(3600), qThousandths: nil, callID: "x", cseq: 1, registeredAt: at(0),
                                    sourceTransport: nil, sourceHost: nil, sourcePort: nil, userAgent: nil, path: nil),
            ])
            XCTAssertEqual(try store.registrationBindings(user: "alice", domain: "switchback.local", liveAt: at(1)).map(\.contact),
                           ["sip:alice@192.0.2.7", "sip:alice@192.0.2.9"])
            XCTAssertEqual(try store.registrationBindings(user: "alice", domain: "switchback.local", liveAt: at(60)).map(\.contact),
                           ["sip:alice@192.0.2.9"], "expired from its expiry instant on")
            XCTAssertEqual(try store.registrationBindings(user: "alice", domain: "other.example", liveAt: at(1)).map(\.contact),
                           ["sip:alice@203.0.113.1"], "the domain is part of the address")
            XCTAssertEqual(try store.registrationBindings(user: "carol", domain: "switchback.local", liveAt: at(1)), [])
        }
    }

    func testABindingOfAnotherAddressIsRefusedAndNothingChanges() throws {
        try onEachBackend { store in
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7", expires: 60),
            ])
            XCTAssertThrowsError(try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("bob", "sip:bob@192.0.2.8", expires: 60),
            ])) { error in
                XCTAssertEqual(error as? StoreError,
                               .bindingOfAnotherAddress(binding: "bob@switchback.local", expected: "alice@switchback.local"))
            }
            XCTAssertEqual(try store.registrationBindings(liveAt: at(0)).map(\.contact), ["sip:alice@192.0.2.7"])
        }
    }

    func testBindingsSurviveReopeningTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
            try store.replaceRegistrationBindings(user: "alice", domain: "switchback.local", with: [
                binding("alice", "sip:alice@192.0.2.7;transport=udp", expires: 3600),
            ])
        }
        let reopened = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        XCTAssertEqual(try reopened.registrationBindings(liveAt: at(0)).map(\.contact), ["sip:alice@192.0.2.7;transport=udp"])
    }
}
