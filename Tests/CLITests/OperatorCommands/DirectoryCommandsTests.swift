import ArgumentParser
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

/// `callers` and `addressbook`.
final class DirectoryCommandsTests: XCTestCase {
    func testCallersAddListRemove() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)
        try runOperatorCommand(AccountsCommand.self, ["add", "bob", "--password", "p"], in: directory)
        XCTAssertEqual(try runOperatorCommand(CallersCommand.self, ["add", "alice", "33612345678"], in: directory),
                       "authorised 33612345678 for alice\n")
        try runOperatorCommand(CallersCommand.self, ["add", "alice", "+441234"], in: directory)
        XCTAssertEqual(try runOperatorCommand(CallersCommand.self, ["list", "alice"], in: directory), "+441234\n33612345678\n")
        XCTAssertEqual(try directory.store().account(callerID: "33612345678")?.login, "alice")
        XCTAssertThrowsError(try runOperatorCommand(CallersCommand.self, ["add", "bob", "33612345678"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "caller ID 33612345678 already authorised for alice")
        }
        XCTAssertThrowsError(try runOperatorCommand(CallersCommand.self, ["add", "bob", "12ab"], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("must be digits"), operatorErrorMessage($0))
        }
        XCTAssertEqual(try runOperatorCommand(CallersCommand.self, ["remove", "alice", "33612345678"], in: directory),
                       "revoked 33612345678 for alice\n")
        XCTAssertThrowsError(try runOperatorCommand(CallersCommand.self, ["remove", "alice", "33612345678"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "caller ID 33612345678 is not authorised")
        }
        XCTAssertEqual(try runOperatorCommand(CallersCommand.self, ["list", "alice"], in: directory), "+441234\n")
        XCTAssertThrowsError(try runOperatorCommand(CallersCommand.self, ["list", "nobody"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no account nobody")
        }
    }

    func testAddressBookAddListRemove() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)
        XCTAssertEqual(try runOperatorCommand(AddressBookCommand.self, ["add", "alice", "Mum", "33123"], in: directory),
                       "added 1: Mum = 33123 for alice\n")
        try runOperatorCommand(AddressBookCommand.self, ["add", "alice", "Office", "44987", "--slot", "7"], in: directory)
        XCTAssertEqual(try runOperatorCommand(AddressBookCommand.self, ["list", "alice"], in: directory),
                       "K  NAME    NUMBER\n1  Mum     33123\n7  Office  44987\n")
        XCTAssertThrowsError(try runOperatorCommand(AddressBookCommand.self, ["add", "alice", "mum", "1"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "address book name \"mum\" already exists")
        }
        XCTAssertThrowsError(try runOperatorCommand(AddressBookCommand.self, ["add", "alice", "42", "1"], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("not a number"), operatorErrorMessage($0))
        }
        try runOperatorCommand(AddressBookCommand.self, ["remove", "alice", "7"], in: directory)
        try runOperatorCommand(AddressBookCommand.self, ["remove", "alice", "MUM"], in: directory)
        XCTAssertThrowsError(try runOperatorCommand(AddressBookCommand.self, ["remove", "alice", "Mum"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no address book entry Mum")
        }
        XCTAssertEqual(try directory.store().addressBook(account: try directory.store().account(login: "alice")!.id!), [])
    }
}
