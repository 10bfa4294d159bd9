import FuzzDriver
import FuzzSupport
import Switchboard

@_cdecl("ConfigLoaderFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// switchback.yaml from text. Invariants: an error names the file, a line inside the
/// text (when it has one) and says what is wrong; the same text reads the same twice
/// (checked on a quarter of the inputs, below).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml")
    } catch {
        require(error.file == "fuzz.yaml", "error names another file: \(error)")
        if let line = error.line {
            // YAML breaks lines at CR as well as LF (and, in 1.1, at NEL, LS and PS).
            var lineCount = 1
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": lineCount += 1
                default: break
                }
            }
            require((1...max(lineCount, 1) + 1).contains(line), "error outside the \(lineCount)-line text: \(error)")
        }
        require(!error.message.isEmpty, "error without a message: \(error)")
        // Read again on one input in four, picked by its bytes so that a finding replays:
        // the second read takes the first one's path (no new coverage to guide the fuzzer)
        // and cost as much as it, for most inputs are in error.
        guard checksum(data, size) % 4 == 0 else { return 0 }
        do {
            _ = try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml")
            fatalError("the same text read twice: an error, then a configuration")
        } catch let second {
            require(second == error, "the same text read twice gives two errors: \(error), \(second)")
        }
    }
    return 0
}

/// FNV-1a over the input.
func checksum(_ data: UnsafePointer<UInt8>, _ size: Int) -> UInt32 {
    var hash: UInt32 = 2_166_136_261
    for i in 0..<size { hash = (hash ^ UInt32(data[i])) &* 16_777_619 }
    return hash
}
