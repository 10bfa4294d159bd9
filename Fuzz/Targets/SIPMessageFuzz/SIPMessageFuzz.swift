import FuzzDriver
import SIP

@_cdecl("SIPMessageFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// A SIP message as received in a UDP datagram. Invariant: a message that parses,
/// serialised again, parses to the same start line, headers and body.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? SIPMessageParser.parse(bytes) else { return 0 }
    let again: SIPMessage
    do {
        again = try SIPMessageParser.parse(message.serialized())
    } catch {
        fatalError("re-serialised message does not parse: \(error)\n\(String(decoding: message.serialized(), as: UTF8.self))")
    }
    precondition(again == message, "re-serialised message parses differently:\n\(message)\n\(again)")
    return 0
}
