import NIOCore
import SIP

/// TCP framing (RFC 3261 §18.3): a message ends where its Content-Length says;
/// CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped.
struct SIPStreamDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct FramingError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "SIP stream framing: \(reason)" }
    }

    /// A header section larger than this with no end in sight is an attack, not SIP.
    static let maximumMessageSize = 64 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let first = buffer.readableBytesView.first, first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard buffer.readableBytes > 0 else { return .needMoreData }
        switch SIPStreamFraming.next(in: Array(buffer.readableBytesView)) {
        case .incomplete:
            if buffer.readableBytes > Self.maximumMessageSize {
                throw FramingError(reason: "no complete message within \(Self.maximumMessageSize) bytes")
            }
            return .needMoreData
        case .message(let start, let length):
            buffer.moveReaderIndex(forwardBy: start)
            guard let message = buffer.readSlice(length: length) else { return .needMoreData }
            context.fireChannelRead(wrapInboundOut(message))
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
    typealias InboundIn = ByteBuffer

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
        let buffer = unwrapInboundIn(data)
        guard let remote = context.channel.remoteAddress else { return }
        let flow = SIPFlow(transport: .tcp, remote: remote, channel: context.channel)
        endpoint.receive(Array(buffer.readableBytesView), flow: flow)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endpoint.logger.warning("closing SIP TCP connection", metadata: [
            "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(error)",
        ])
        context.close(promise: nil)
    }
}
