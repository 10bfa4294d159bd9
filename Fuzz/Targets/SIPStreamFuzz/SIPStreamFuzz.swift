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

/// What a decoder made of a byte stream: the messages it framed, the refusal that ended
/// it (with the header section passed up for the answer), and whether it gave up.
struct Decoded: Equatable {
    var messages: [[UInt8]] = []
    var refusal: SIPStreamFramer.Refusal?
    var refusedHeader: [UInt8]?
    var failed = false
}

extension Decoded {
    mutating func record(_ frame: SIPStreamFrame) {
        switch frame {
        case .message(let bytes):
            messages.append(bytes)
        case .refused(let refusal, let header):
            require(self.refusal == nil, "a second refusal after \(self.refusal!): \(refusal)")
            self.refusal = refusal
            refusedHeader = header
        }
    }
}

/// Feeds `bytes` to the TCP decoder in writes of `chunk` bytes, then ends the stream, the
/// way `ByteToMessageHandler` drives it: each write is appended to what is left, then
/// `decode` is called until it needs more data; at the end `decodeLast` (with EOF seen)
/// likewise. Driven directly through `nextFrame` and `streamEnded`, the two halves of
/// `decode` and `decodeLast`, because a channel costs most of an execution: the self-check
/// below holds this to what a channel pipeline makes of the same streams.
func decode(_ bytes: [UInt8], chunk: Int) -> Decoded {
    var decoder = SIPStreamDecoder()
    var buffer = ByteBuffer()
    var result = Decoded()
    func drain() {
        while true {
            let (frame, state) = decoder.nextFrame(in: &buffer)
            if let frame { result.record(frame) }
            if state == .needMoreData { return }
        }
    }
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunk, bytes.count)
        buffer.writeBytes(bytes[offset..<end])
        drain()
        offset = end
    }
    drain()
    do { try decoder.streamEnded(leaving: &buffer) } catch { result.failed = true }
    return result
}

/// The same, through the ByteToMessageDecoder interface a channel pipeline uses.
func decodeInChannel(_ bytes: [UInt8], chunk: Int) -> Decoded {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(SIPStreamDecoder()))
    var result = Decoded()
    func drain() {
        // Read as what the decoder passes up: reading any other type throws, and a `try?`
        // would then see no messages at all and every comparison would hold vacuously.
        while let frame = try! channel.readInbound(as: SIPStreamFrame.self) { result.record(frame) }
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
    _ = harnessSelfCheck
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
        let found = occurrence(of: message, in: stream, from: searchFrom)
        require(found != nil, "a framed message is not in the stream after the previous one")
        searchFrom = found! + message.count
        _ = try? SIPMessageParser.parse(message, in: 0..<message.count, stream: true)
    }
    if let header = whole.refusedHeader {
        require(occurrence(of: header, in: stream, from: searchFrom) != nil,
                "the refused header section is not in the stream after the last message")
    }
    return 0
}

/// Where `needle` first occurs in `stream` at or after `start`.
func occurrence(of needle: [UInt8], in stream: [UInt8], from start: Int) -> Int? {
    var i = start
    while i + needle.count <= stream.count {
        if stream[i..<i + needle.count].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

/// Once per process: the harness itself frames known streams (two messages in writes of 3
/// bytes; one with no Content-Length; one cut short inside its body; one refused after a
/// message), both directly and through a channel pipeline, so a decoder that changes what
/// it passes up, or a direct drive that parts from the pipeline's, fails the run instead of
/// leaving every invariant above vacuous.
let harnessSelfCheck: Void = {
    let message = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n".utf8)
    let unframed = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n".utf8)
    let cut = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 9\r\n\r\nabc".utf8)
    let twice = decode(message + message, chunk: 3)
    require(twice.messages == [message, message] && twice.refusal == nil && !twice.failed,
            "harness self-check: two messages framed as \(twice)")
    let refused = decode(unframed, chunk: 5)
    require(refused.messages.isEmpty && refused.refusal?.status == 400,
            "harness self-check: a message without Content-Length framed as \(refused)")
    let ended = decode(message + cut, chunk: 7)
    require(ended.messages == [message] && ended.refusal == nil && ended.failed,
            "harness self-check: a stream ending inside a body framed as \(ended)")
    for (stream, chunk) in [(message + message, 3), (unframed, 5), (message + cut, 7), (message + unframed + message, 4)] {
        let direct = decode(stream, chunk: chunk), piped = decodeInChannel(stream, chunk: chunk)
        require(direct == piped, "harness self-check: directly \(direct), through a channel \(piped)")
    }
}()
