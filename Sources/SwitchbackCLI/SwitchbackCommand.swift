import ArgumentParser
import Switchboard

/// `switchback`: the server and the operator's tools. `--help` on each subcommand is its manual.
public struct SwitchbackCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "switchback",
        abstract: "Callback and calling-card telephony server with a declarative IVR engine.",
        version: "switchback \(SwitchbackVersion.current)",
        subcommands: [
            ServeCommand.self, CheckCommand.self,
            ValidateCommand.self, SimulateCommand.self, GraphCommand.self,
            AccountsCommand.self, CallersCommand.self, AddressBookCommand.self, RatesCommand.self, CDRCommand.self,
        ]
    )

    public init() {}
}
