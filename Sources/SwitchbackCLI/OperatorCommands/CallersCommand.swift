import ArgumentParser
import Foundation
import Store

/// `switchback callers …`: caller IDs that authenticate an account by ANI.
public struct CallersCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "callers",
        abstract: "Manage authorised caller IDs (ANI authentication) of an account.",
        discussion: "Caller ID alone can be spoofed: prefer scripts that also ask for a PIN where money is at stake.",
        subcommands: [Add.self, Remove.self, List.self]
    )

    public init() {}

    public struct Add: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Authorise a caller ID for an account.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Phone number as it arrives in the caller ID, e.g. 33612345678.") var number: String
        public init() {}

        public func validate() throws {
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+") }) else {
                throw ValidationError("caller ID \"\(number)\" must be digits, optionally with a leading +")
            }
        }

        public func run() throws {
            let store = try data.openStore()
            _ = try store.authoriseCallerID(number, account: store.requireAccount(login).id!, at: Date())
            OperatorConsole.line("authorised \(number) for \(login)")
        }
    }

    public struct Remove: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Revoke a caller ID.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Phone number.") var number: String
        public init() {}

        public func run() throws {
            let store = try data.openStore()
            try store.revokeCallerID(number, account: store.requireAccount(login).id!)
            OperatorConsole.line("revoked \(number) for \(login)")
        }
    }

    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List an account's caller IDs.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        public init() {}

        public func run() throws {
            let store = try data.openStore()
            for callerID in try store.callerIDs(account: store.requireAccount(login).id!) {
                OperatorConsole.line(callerID.number)
            }
        }
    }
}
