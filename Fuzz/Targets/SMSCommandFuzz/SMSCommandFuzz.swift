import FuzzDriver
import FuzzSupport
import SMSCommand

@_cdecl("SMSCommandFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// An SMS command text. Invariants: a command's numbers are digits within the length
/// limit and its slots within range; an error names a word of the message by its position
/// (0 for the whole message) as the sender typed it.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).map(String.init)
    func checkNumber(_ number: String) {
        // The limit counts digits: a leading + is not one (crash-fee69e64…: 20 digits after +).
        let digits = number.first == "+" ? number.dropFirst() : Substring(number)
        require(!digits.isEmpty && digits.count <= SMSCommandParser.maximumNumberLength
                    && digits.allSatisfy { ("0"..."9").contains($0) }, "number \(number) accepted")
    }
    switch SMSCommandParser.parse(text) {
    case .success(let command):
        if let origin = command.origin { checkNumber(origin) }
        switch command.action {
        case .callback(let destinations):
            require(!destinations.isEmpty, "a callback to nobody")
            for destination in destinations {
                switch destination {
                case .number(let number): checkNumber(number)
                case .addressBookName(let name):
                    require(!name.isEmpty && name.count <= SMSCommandParser.maximumValueLength, "name \(name) accepted")
                case .addressBookSlot(let slot):
                    require(SMSCommandParser.slotRange.contains(slot), "slot \(slot) accepted")
                }
            }
        case .register(let number): checkNumber(number)
        case .status: break
        }
        if let credentials = command.credentials {
            require(!credentials.login.isEmpty && !credentials.password.isEmpty, "empty credentials accepted")
        }
    case .failure(let error):
        require((0...words.count).contains(error.position), "error at word \(error.position) of \(words.count)")
        if error.position > 0 {
            require(words[error.position - 1] == error.token, "error names \(error.token), word \(error.position) is \(words[error.position - 1])")
        }
        require(!error.problem.isEmpty, "error without a problem")
    }
    return 0
}
