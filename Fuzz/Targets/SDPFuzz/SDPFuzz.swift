import FuzzDriver
import FuzzSupport
import SIP

@_cdecl("SDPFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// SDP as an offer from a peer. Invariants: a description that parses, serialised,
/// parses to the same description; when we can answer it, our answer parses and the
/// offer accepts it with the same media.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let offer = try? SessionDescription(parsing: text) else { return 0 }
    let again: SessionDescription
    do {
        again = try SessionDescription(parsing: offer.description)
    } catch {
        fatalError("re-serialised SDP does not parse: \(error)\n\(offer.description)")
    }
    require(again == offer, "re-serialised SDP parses differently:\n\(offer.description)")
    guard let (answer, media) = try? SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.1", localPort: 40000,
                                                           sessionID: 1, sessionVersion: 1) else { return 0 }
    do {
        let reparsed = try SessionDescription(parsing: answer.description)
        require(reparsed == answer, "our answer does not read back as itself:\n\(answer.description)")
        let accepted = try SDPOfferAnswer.accept(answer: answer, to: offer)
        require(accepted.codec == media.codec, "the offer reads our answer as \(accepted), we meant \(media)")
    } catch {
        fatalError("our answer to an offer is refused: \(error)\noffer:\n\(offer.description)\nanswer:\n\(answer.description)")
    }
    return 0
}
