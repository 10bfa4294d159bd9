import SwitchbackCLI

@main
enum SwitchbackMain {
    static func main() async {
        await SwitchbackCommand.main(nil)
    }
}
