import FuzzDriver
import FuzzSupport
import SIP

@_cdecl("SIPMessageFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// The message as the serialiser writes it: Content-Length is always recomputed from the
/// body (any compact `l:` or repeated one replaced by one `Content-Length`).
func withoutContentLength(_ message: SIPMessage) -> SIPMessage {
    switch message {
    case .request(var r): r.headers.remove("Content-Length"); return .request(r)
    case .response(var r): r.headers.remove("Content-Length"); return .response(r)
    }
}

/// A SIP message as received in a UDP datagram. Invariant: a message that parses,
/// serialised again, parses to the same start line, headers (Content-Length aside, which
/// the serialiser writes from the body) and body.
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
    require(withoutContentLength(again) == withoutContentLength(message), "re-serialised message parses differently:\n\(message)\n\(again)")
    return 0
}
