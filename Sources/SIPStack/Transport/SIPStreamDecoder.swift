import NIOCore
import SIP

/// TCP framing (RFC 3261 §18.3): a message ends where its Content-Length says;
/// CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped. `SIPStreamFraming`
/// does the reading; each message goes on as the bytes the parser takes, copied once.
struct SIPStreamDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]

    struct FramingError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "SIP stream framing: \(reason)" }
    }

    /// A header section larger than this with no end in sight is an attack, not SIP.
    static let maximumMessageSize = 64 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes > 0 else { return .needMoreData }
        let bytes = Array(buffer.readableBytesView)
        switch SIPStreamFraming.next(in: bytes) {
        case .incomplete:
            if buffer.readableBytes > Self.maximumMessageSize {
                throw FramingError(reason: "no complete message within \(Self.maximumMessageSize) bytes")
            }
            return .needMoreData
        case .message(let start, let length):
            buffer.moveReaderIndex(forwardBy: start + length)
            context.fireChannelRead(wrapInboundOut(Array(bytes[start..<start + length])))
            return .continue
        case .keepAlive(let count):
            buffer.moveReaderIndex(forwardBy: count)
            return .continue
        case .invalid(let reason):
            throw FramingError(reason: reason)
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        // The peer went away in the middle of a message (say, a Content-Length larger
        // than the body that followed): nothing more will complete it, so say so.
        if state == .needMoreData, seenEOF, buffer.readableBytes > 0 {
            let pending = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: pending)
            throw FramingError(reason: "connection closed inside a message, \(pending) bytes never completed")
        }
        return state
    }
}

/// TCP edge: one framed message at a time to the endpoint; the connection is the
/// flow responses go back on.
final class SIPStreamHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = [UInt8]

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
        let message = unwrapInboundIn(data)
        guard let remote = context.channel.remoteAddress else { return }
        let flow = SIPFlow(transport: .tcp, remote: remote, channel: context.channel)
        endpoint.receive(message, flow: flow)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endpoint.logger.warning("closing SIP TCP connection", metadata: [
            "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(error)",
        ])
        context.close(promise: nil)
    }
}
