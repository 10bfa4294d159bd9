import FuzzDriver
import IVR

@_cdecl("IVRLoaderFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// An IVR script (YAML) through the loader and the validator, as `switchback validate`
/// runs them. Invariants: every diagnostic names a place inside the text; the loader
/// refuses exactly the scripts the validator reports loader errors for.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    let diagnostics = ScriptValidator().validate(yaml: text, file: "fuzz.yaml")
    for diagnostic in diagnostics {
        precondition(diagnostic.location.file == "fuzz.yaml", "diagnostic names another file: \(diagnostic)")
        precondition((1...max(lineCount, 1) + 1).contains(diagnostic.location.line) && diagnostic.location.column >= 1,
                     "diagnostic outside the \(lineCount)-line text: \(diagnostic)")
        precondition(!diagnostic.message.isEmpty, "diagnostic without a message at \(diagnostic.location)")
    }
    let (script, loaderDiagnostics) = ScriptLoader.parse(yaml: text, file: "fuzz.yaml")
    let loaderFailed = script == nil || loaderDiagnostics.contains { $0.severity == .error }
    let loaded = (try? ScriptLoader.load(yaml: text, file: "fuzz.yaml")) != nil
    precondition(loaded == !loaderFailed, "ScriptLoader.load and ScriptLoader.parse disagree")
    return 0
}
