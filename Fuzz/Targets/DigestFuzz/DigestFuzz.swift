import FuzzDriver
import FuzzSupport
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
            require(again == credentials, "credentials read back differently: \(String(reflecting: credentials)) vs \(String(reflecting: again))")
        } catch {
            fatalError("re-serialised credentials do not parse: \(error)\n\(credentials.description)")
        }
    }
    if let challenge = try? DigestChallenge(parsing: text) {
        do {
            let again = try DigestChallenge(parsing: challenge.description)
            require(again == challenge, "challenge reads back differently: \([challenge.realm, challenge.nonce, challenge.opaque ?? "-", challenge.domain ?? "-"].debugDescription) \(challenge.qop.debugDescription) vs \([again.realm, again.nonce, again.opaque ?? "-", again.domain ?? "-"].debugDescription) \(again.qop.debugDescription)")
        } catch {
            fatalError("re-serialised challenge does not parse: \(error)\n\(challenge.description)")
        }
    }
    return 0
}
