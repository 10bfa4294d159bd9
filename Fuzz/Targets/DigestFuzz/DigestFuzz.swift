import FuzzDriver
import SIP

@_cdecl("DigestFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// The value of Authorization / WWW-Authenticate. Invariant: credentials or a challenge
/// that parse, written out again, parse to the same values.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let credentials = try? DigestCredentials(parsing: text) {
        do {
            let again = try DigestCredentials(parsing: credentials.description)
            precondition(again == credentials, "credentials read back differently: \(credentials) vs \(again)")
        } catch {
            fatalError("re-serialised credentials do not parse: \(error)\n\(credentials.description)")
        }
    }
    if let challenge = try? DigestChallenge(parsing: text) {
        do {
            let again = try DigestChallenge(parsing: challenge.description)
            precondition(again == challenge, "challenge reads back differently: \(challenge) vs \(again)")
        } catch {
            fatalError("re-serialised challenge does not parse: \(error)\n\(challenge.description)")
        }
    }
    return 0
}
