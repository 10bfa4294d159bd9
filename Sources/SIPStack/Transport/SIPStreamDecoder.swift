import NIOCore
import SIP

/// What the stream decoder passes up: a whole message, or the end of a stream that
/// cannot be framed any further (with the header section, when there was one, so that
/// the endpoint can still answer it before closing).
enum SIPStreamFrame {
    case message([UInt8])
    case refused(SIPStreamFramer.Refusal, header: [UInt8]?)
}

/// TCP framing (RFC 3261 §18.3) on a connection: `SIPStreamFramer` finds each message
/// without examining a byte twice; each message goes on as the bytes the parser takes,
/// copied once. CRLF keep-alives between messages (RFC 5626 §3.5.1) are dropped. After
/// a refusal the rest of the stream is dropped unread: the connection is being closed.
struct SIPStreamDecoder: ByteToMessageDecoder {
    typealias InboundOut = SIPStreamFrame

    struct FramingError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "SIP stream framing: \(reason)" }
    }

    private var framer: SIPStreamFramer
    private var refused = false

    init(limits: SIPStreamFramer.Limits = .default) {
        framer = SIPStreamFramer(limits: limits)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let (frame, state) = nextFrame(in: &buffer)
        if let frame { context.fireChannelRead(wrapInboundOut(frame)) }
        return state
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        if state == .needMoreData, seenEOF { try streamEnded(leaving: &buffer) }
        return state
    }

    /// One step over what has arrived, without a channel (the fuzz harness drives it
    /// directly): the frame to pass up, if any, and whether to call again at once.
    mutating func nextFrame(in buffer: inout ByteBuffer) -> (SIPStreamFrame?, DecodingState) {
        guard !refused else {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return (nil, .needMoreData)
        }
        switch framer.next(in: buffer) {
        case .needMoreData:
            return (nil, .needMoreData)
        case .keepAlive(let count):
            buffer.moveReaderIndex(forwardBy: count)
            return (nil, .continue)
        case .message(let length):
            return (.message(buffer.readBytes(length: length)!), .continue)
        case .refused(let refusal):
            refused = true
            let header = refusal.headerLength.flatMap { buffer.getBytes(at: buffer.readerIndex, length: $0) }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return (.refused(refusal, header: header), .needMoreData)
        }
    }

    /// The peer went away in the middle of a message (say, a Content-Length larger than
    /// the body that followed): nothing more will complete it, so say so.
    func streamEnded(leaving buffer: inout ByteBuffer) throws(FramingError) {
        guard buffer.readableBytes > 0 else { return }
        let pending = buffer.readableBytes
        buffer.moveReaderIndex(forwardBy: pending)
        throw FramingError(reason: "connection closed inside a message, \(pending) bytes never completed")
    }
}

/// TCP edge: one framed message at a time to the endpoint; the connection is the
/// flow responses go back on.
final class SIPStreamHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = SIPStreamFrame

    private let endpoint: SIPEndpoint

    init(endpoint: SIPEndpoint) {
        self.endpoint = endpoint
    }

    func channelActive(context: ChannelHandlerContext) {
        endpoint.connectionOpened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endpoint.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let remote = context.channel.remoteAddress else { return }
        let flow = SIPFlow(transport: .tcp, remote: remote, channel: context.channel)
        switch unwrapInboundIn(data) {
        case .message(let bytes):
            endpoint.receive(bytes, flow: flow)
        case .refused(let refusal, let header):
            endpoint.refuseStream(refusal, header: header, flow: flow)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endpoint.logger.warning("closing SIP TCP connection", metadata: [
            "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(error)",
        ])
        context.close(promise: nil)
    }
}
