import FuzzDriver
import FuzzSupport
import NIOCore
import NIOEmbedded
import SIP
@testable import SIPStack

@_cdecl("SIPStreamFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// What a decoder made of a byte stream: the messages it framed, and whether it gave up.
struct Decoded: Equatable {
    var messages: [[UInt8]] = []
    var failed = false
}

/// Feeds `bytes` to the TCP decoder (through the ByteToMessageDecoder interface the
/// channel pipeline uses) in writes of `chunk` bytes, then closes the stream.
func decode(_ bytes: [UInt8], chunk: Int) -> Decoded {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(SIPStreamDecoder()))
    var result = Decoded()
    func drain() {
        while let message = try? channel.readInbound(as: [UInt8].self) { result.messages.append(message) }
    }
    var offset = 0
    while offset < bytes.count, !result.failed {
        let end = min(offset + chunk, bytes.count)
        var buffer = channel.allocator.buffer(capacity: end - offset)
        buffer.writeBytes(bytes[offset..<end])
        do { try channel.writeInbound(buffer) } catch { result.failed = true }
        drain()
        offset = end
    }
    if !result.failed {
        do { _ = try channel.finish() } catch { result.failed = true }
    } else {
        _ = try? channel.finish()
    }
    drain()
    return result
}

/// SIP over TCP: the stream decoder. The first input byte picks the write size, the
/// rest is the stream. Invariants: writing the stream in pieces frames exactly what
/// writing it whole frames (the decoder is incremental); every framed message frames
/// again as one whole message; and messages come out in stream order.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0]) % 64 + 1
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = decode(stream, chunk: max(stream.count, 1))
    let pieces = decode(stream, chunk: chunk)
    require(whole == pieces, "writes of \(chunk) bytes frame differently from one write: \(whole) vs \(pieces)")
    var searchFrom = 0
    for message in whole.messages {
        guard case .message(start: 0, length: message.count) = SIPStreamFraming.next(in: message) else {
            fatalError("a framed message does not frame again as itself: \(SIPStreamFraming.next(in: message))")
        }
        // In order: each message occurs in the stream after the previous one.
        var found = false
        var i = searchFrom
        while i + message.count <= stream.count {
            if stream[i..<i + message.count].elementsEqual(message) { found = true; searchFrom = i + message.count; break }
            i += 1
        }
        require(found, "a framed message is not in the stream after the previous one")
        _ = try? SIPMessageParser.parse(message, in: 0..<message.count, stream: true)
    }
    return 0
}
