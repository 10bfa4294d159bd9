import FuzzDriver
import FuzzSupport
import Switchboard

@_cdecl("ConfigLoaderFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// switchback.yaml from text. Invariants: an error names the file, a line inside the
/// text (when it has one) and says what is wrong; the same text reads the same twice.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // YAML breaks lines at CR as well as LF (and, in 1.1, at NEL, LS and PS).
    let lineCount = 1 + text.unicodeScalars.filter { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }.count
    do {
        _ = try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml")
    } catch {
        require(error.file == "fuzz.yaml", "error names another file: \(error)")
        if let line = error.line {
            require((1...max(lineCount, 1) + 1).contains(line), "error outside the \(lineCount)-line text: \(error)")
        }
        require(!error.message.isEmpty, "error without a message: \(error)")
        do {
            _ = try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml")
            fatalError("the same text read twice: an error, then a configuration")
        } catch let second {
            require(second == error, "the same text read twice gives two errors: \(error), \(second)")
        }
    }
    return 0
}
