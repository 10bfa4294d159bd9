import FuzzDriver
import FuzzSupport
import IVR

@_cdecl("IVRLoaderFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// An IVR script (YAML) through the loader and the validator, as `switchback validate`
/// runs them. Invariants: every diagnostic names a place inside the text; a script the
/// loader refuses has a validator error.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // YAML breaks lines at CR as well as LF (and, in 1.1, at NEL, LS and PS).
    let lineCount = 1 + text.unicodeScalars.filter { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }.count
    let diagnostics = ScriptValidator().validate(yaml: text, file: "fuzz.yaml")
    for diagnostic in diagnostics {
        require(diagnostic.location.file == "fuzz.yaml", "diagnostic names another file: \(diagnostic)")
        require((1...max(lineCount, 1) + 1).contains(diagnostic.location.line) && diagnostic.location.column >= 1,
                     "diagnostic outside the \(lineCount)-line text: \(diagnostic)")
        require(!diagnostic.message.isEmpty, "diagnostic without a message at \(diagnostic.location)")
    }
    // The validator reads the text as the loader does, then adds meaning checks: a script
    // the loader refuses must show at least one error. (Two reads per input, not three: the
    // YAML read is most of an execution, and the long run needs 10 M of them.)
    if (try? ScriptLoader.load(yaml: text, file: "fuzz.yaml")) == nil {
        require(diagnostics.contains { $0.severity == .error }, "the loader refuses a script the validator finds no error in")
    }
    return 0
}
