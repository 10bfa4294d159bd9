import ArgumentParser
import XCTest
@testable import SwitchbackCLI

/// The help text is the operator's manual: pin what it must say.
final class OperatorHelpTests: XCTestCase {
    func testHelpDocumentsDeckColumnsAndSharedDataDirectory() {
        let importHelp = RatesCommand.helpMessage(for: RatesCommand.Import.self, columns: 200)
        XCTAssertTrue(importHelp.contains("prefix,description,rate per minute,connection fee,first increment,increment"), importHelp)
        XCTAssertTrue(importHelp.contains("nothing is imported"), importHelp)
        for (root, subcommand) in [(AccountsCommand.self as ParsableCommand.Type, AccountsCommand.Add.self as ParsableCommand.Type),
                                   (CallersCommand.self, CallersCommand.List.self),
                                   (AddressBookCommand.self, AddressBookCommand.Add.self),
                                   (RatesCommand.self, RatesCommand.Quote.self),
                                   (CDRCommand.self, CDRCommand.Export.self)] {
            let help = root.helpMessage(for: subcommand)
            XCTAssertTrue(help.contains("--data-dir <data-dir>"), "\(subcommand): \(help)")
            XCTAssertTrue(help.contains("(default: ./data)"), "\(subcommand): \(help)")
        }
        let accountsHelp = AccountsCommand.helpMessage()
        for verb in ["add", "list", "show", "credit", "debit", "lock", "unlock", "generate"] {
            XCTAssertTrue(accountsHelp.contains("  \(verb) "), "accounts \(verb): \(accountsHelp)")
        }
        XCTAssertTrue(RatesCommand.helpMessage(for: RatesCommand.Quote.self).contains("--leg <leg>"))
    }
}
