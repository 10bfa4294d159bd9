import ArgumentParser

/// `switchback`: the server and the operator's tools. `--help` on each subcommand is its manual.
public struct SwitchbackCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "switchback",
        abstract: "Callback and calling-card telephony server with a declarative IVR engine.",
        subcommands: [
            ServeCommand.self,
            ValidateCommand.self, SimulateCommand.self, GraphCommand.self,
            AccountsCommand.self, CallersCommand.self, AddressBookCommand.self, RatesCommand.self, CDRCommand.self,
        ]
    )

    public init() {}
}
