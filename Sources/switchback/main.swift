import SwitchbackCLI

await SwitchbackCommand.main()
