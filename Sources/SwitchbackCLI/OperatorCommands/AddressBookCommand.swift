import ArgumentParser
import Foundation
import Store

/// `switchback addressbook …`: named numbers an account can dial by name (`B.<name>`) or
/// by entry number (`N<k>`) in SMS commands.
public struct AddressBookCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "addressbook",
        abstract: "Manage an account's address book (SMS B.<name> and N<k>).",
        subcommands: [Add.self, Remove.self, List.self]
    )

    public init() {}

    public struct Add: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Add a named number.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Name (one word, case-insensitive).") var name: String
        @Argument(help: "Phone number.") var number: String
        @Option(help: "Entry number k (default: the lowest free one).") var slot: Int?
        public init() {}

        public func validate() throws {
            guard !name.isEmpty, !name.contains(where: \.isWhitespace), Int(name) == nil else {
                throw ValidationError("name \"\(name)\" must be one word and not a number")
            }
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+") }) else {
                throw ValidationError("number \"\(number)\" must be digits, optionally with a leading +")
            }
            if let slot, slot < 1 { throw ValidationError("--slot must be 1 or more") }
        }

        public func run() throws {
            let store = try data.openStore()
            let entry = try store.addAddressBookEntry(account: store.requireAccount(login).id!, slot: slot, name: name, number: number)
            OperatorConsole.line("added \(entry.slot): \(entry.name) = \(entry.number) for \(login)")
        }
    }

    public struct Remove: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Remove an entry by number or name.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Entry number or name.") var entry: String
        public init() {}

        public func run() throws {
            let store = try data.openStore()
            try store.removeAddressBookEntry(account: store.requireAccount(login).id!, slotOrName: entry)
            OperatorConsole.line("removed \(entry) for \(login)")
        }
    }

    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List an account's address book.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let rows = try store.addressBook(account: store.requireAccount(login).id!).map { [String($0.slot), $0.name, $0.number] }
            OperatorConsole.line(OperatorText.table(["K", "NAME", "NUMBER"], rows))
        }
    }
}
