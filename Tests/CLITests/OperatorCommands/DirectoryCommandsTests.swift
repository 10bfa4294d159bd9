import ArgumentParser
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

/// `callers` and `addressbook`.
final class DirectoryCommandsTests: XCTestCase {
    func testCallersAddListRemove() throws {
        let directory = try TemporaryDataDirectory()
        try runCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)
        try runCommand(AccountsCommand.self, ["add", "bob", "--password", "p"], in: directory)
        XCTAssertEqual(try runCommand(CallersCommand.self, ["add", "alice", "33612345678"], in: directory),
                       "authorised 33612345678 for alice\n")
        try runCommand(CallersCommand.self, ["add", "alice", "+441234"], in: directory)
        XCTAssertEqual(try runCommand(CallersCommand.self, ["list", "alice"], in: directory), "+441234\n33612345678\n")
        XCTAssertEqual(try directory.store().account(callerID: "33612345678")?.login, "alice")
        XCTAssertThrowsError(try runCommand(CallersCommand.self, ["add", "bob", "33612345678"], in: directory)) {
            XCTAssertEqual(message($0), "caller ID 33612345678 already authorised for alice")
        }
        XCTAssertThrowsError(try runCommand(CallersCommand.self, ["add", "bob", "12ab"], in: directory)) {
            XCTAssertTrue(message($0).contains("must be digits"), message($0))
        }
        XCTAssertEqual(try runCommand(CallersCommand.self, ["remove", "alice", "33612345678"], in: directory),
                       "revoked 33612345678 for alice\n")
        XCTAssertThrowsError(try runCommand(CallersCommand.self, ["remove", "alice", "33612345678"], in: directory)) {
            XCTAssertEqual(message($0), "caller ID 33612345678 is not authorised")
        }
        XCTAssertEqual(try runCommand(CallersCommand.self, ["list", "alice"], in: directory), "+441234\n")
        XCTAssertThrowsError(try runCommand(CallersCommand.self, ["list", "nobody"], in: directory)) {
            XCTAssertEqual(message($0), "no account nobody")
        }
    }

    func testAddressBookAddListRemove() throws {
        let directory = try TemporaryDataDirectory()
        try runCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)
        XCTAssertEqual(try runCommand(AddressBookCommand.self, ["add", "alice", "Mum", "33123"], in: directory),
                       "added 1: Mum = 33123 for alice\n")
        try runCommand(AddressBookCommand.self, ["add", "alice", "Office", "44987", "--slot", "7"], in: directory)
        XCTAssertEqual(try runCommand(AddressBookCommand.self, ["list", "alice"], in: directory),
                       "K  NAME    NUMBER\n1  Mum     33123\n7  Office  44987\n")
        XCTAssertThrowsError(try runCommand(AddressBookCommand.self, ["add", "alice", "mum", "1"], in: directory)) {
            XCTAssertEqual(message($0), "address book name \"mum\" already exists")
        }
        XCTAssertThrowsError(try runCommand(AddressBookCommand.self, ["add", "alice", "42", "1"], in: directory)) {
            XCTAssertTrue(message($0).contains("not a number"), message($0))
        }
        try runCommand(AddressBookCommand.self, ["remove", "alice", "7"], in: directory)
        try runCommand(AddressBookCommand.self, ["remove", "alice", "MUM"], in: directory)
        XCTAssertThrowsError(try runCommand(AddressBookCommand.self, ["remove", "alice", "Mum"], in: directory)) {
            XCTAssertEqual(message($0), "no address book entry Mum")
        }
        XCTAssertEqual(try directory.store().addressBook(account: try directory.store().account(login: "alice")!.id!), [])
    }
}
