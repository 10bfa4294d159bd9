import Foundation
import XCTest
@testable import Store

/// The SMS outbox (a reply leaves `pending` only when sent or out of attempts) and the
/// activity the SMS limits count, on both backends.
final class SMSStoreTests: StoreBackendTestCase {
    func testTheOutboxKeepsARepliesUntilSentOrOutOfAttempts() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "1")
            let first = try store.enqueueSMS(gateway: "kannel", sender: "4930100", recipient: "4917111", text: "OK 5.00 EUR",
                                             account: alice.id, at: at(0))
            let second = try store.enqueueSMS(gateway: "kannel", sender: "4930100", recipient: "4917222", text: "Unknown",
                                              account: nil, at: at(1))
            XCTAssertEqual(first.state, .pending)
            XCTAssertEqual(first.nextAttemptAt, at(0))
            XCTAssertEqual(try store.outboundSMS(id: first.id!), first)
            XCTAssertEqual(try store.dueSMS(at: at(0), limit: 10).map(\.id), [first.id])
            XCTAssertEqual(try store.dueSMS(at: at(5), limit: 1).map(\.id), [first.id], "oldest first, at most the limit")
            XCTAssertEqual(try store.nextSMSDue(), at(0))

            try store.markSMSAttemptFailed(id: first.id!, error: "503 from gateway", retryAt: at(60), at: at(2))
            XCTAssertEqual(try store.dueSMS(at: at(5), limit: 10).map(\.id), [second.id])
            XCTAssertEqual(try store.nextSMSDue(), at(1))
            try store.markSMSSent(id: second.id!, at: at(3))
            XCTAssertEqual(try store.nextSMSDue(), at(60))
            try store.markSMSAttemptFailed(id: first.id!, error: "gave up", retryAt: nil, at: at(61))
            XCTAssertNil(try store.nextSMSDue(), "none pending")

            let failed = try XCTUnwrap(store.outboundSMS(id: first.id!))
            XCTAssertEqual(failed.state, .failed)
            XCTAssertEqual(failed.attempts, 2)
            XCTAssertEqual(failed.lastError, "gave up")
            let sent = try XCTUnwrap(store.outboundSMS(id: second.id!))
            XCTAssertEqual(sent.state, .sent)
            XCTAssertEqual(sent.sentAt, at(3))
            XCTAssertNil(sent.lastError)
            XCTAssertEqual(try store.outboundSMS(recipient: "4917111").map(\.id), [first.id])
            XCTAssertEqual(try store.outboundSMS(recipient: nil).map(\.id), [first.id, second.id])
            XCTAssertThrowsError(try store.markSMSSent(id: 9999, at: at(70)))
        }
    }

    func testActivityIsCountedPerSenderAndAccountAndFailuresCleared() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "1").id!
            try store.recordSMSActivity(.message, sender: "4917111", account: nil, at: at(0))
            try store.recordSMSActivity(.message, sender: "4917111", account: alice, at: at(10))
            try store.recordSMSActivity(.authenticationFailure, sender: "4917111", account: alice, at: at(11))
            try store.recordSMSActivity(.authenticationFailure, sender: "4917222", account: alice, at: at(12))
            try store.recordSMSActivity(.message, sender: "", account: nil, at: at(13))   // nothing to count against
            XCTAssertEqual(try store.smsActivityCounts(.message, sender: "4917111", account: alice, since: at(0)),
                           SMSActivityCounts(sender: 2, account: 1))
            XCTAssertEqual(try store.smsActivityCounts(.message, sender: "4917111", account: alice, since: at(5)),
                           SMSActivityCounts(sender: 1, account: 1))
            XCTAssertEqual(try store.smsActivityCounts(.authenticationFailure, sender: nil, account: alice, since: at(0)),
                           SMSActivityCounts(sender: 0, account: 2))
            try store.clearSMSAuthenticationFailures(sender: "4917111", account: nil)
            XCTAssertEqual(try store.smsActivityCounts(.authenticationFailure, sender: "4917111", account: alice, since: at(0)),
                           SMSActivityCounts(sender: 0, account: 1))
            try store.clearSMSAuthenticationFailures(sender: nil, account: alice)
            XCTAssertEqual(try store.smsActivityCounts(.authenticationFailure, sender: nil, account: alice, since: at(0)).account, 0)
            XCTAssertEqual(try store.smsActivityCounts(.message, sender: "4917111", account: nil, since: at(0)).sender, 2,
                           "clearing failures leaves messages")
            XCTAssertEqual(try store.pruneSMSActivity(before: at(5)), 1)
            XCTAssertEqual(try store.smsActivityCounts(.message, sender: "4917111", account: nil, since: at(0)).sender, 1)
        }
    }

    /// Dates come back as the SQLite store keeps them: rounded to the millisecond. (The
    /// `Date`s may differ in the last bits of their Double, which neither backend keeps.)
    func testDatesRoundTripToTheMillisecondOnBothBackends() throws {
        var seen: [Date] = []
        try onEachBackend { store in
            let sms = try store.enqueueSMS(gateway: "g", sender: "1", recipient: "2", text: "t", account: nil, at: at(0.123_9))
            let read = try XCTUnwrap(store.outboundSMS(id: sms.id!))
            XCTAssertEqual(read.createdAt.timeIntervalSince1970, at(0.124).timeIntervalSince1970, accuracy: 0.000_001)
            let early = try store.enqueueSMS(gateway: "g", sender: "1", recipient: "2", text: "t", account: nil, at: at(0.123_4))
            XCTAssertEqual(try XCTUnwrap(store.outboundSMS(id: early.id!)).createdAt.timeIntervalSince1970,
                           at(0.123).timeIntervalSince1970, accuracy: 0.000_001)
            seen.append(read.createdAt)
        }
        XCTAssertEqual(seen.count, 2)
        XCTAssertEqual(seen[0].timeIntervalSince1970, seen[1].timeIntervalSince1970, accuracy: 0.000_001,
                       "both backends give the same instant")
    }
}
