import NIOCore

/// UDP edge: each datagram is one SIP message (RFC 3261 §18.3). Hands bytes to the
/// endpoint; writes are flushed by the endpoint in batches.
final class SIPDatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let endpoint: SIPEndpoint

    init(endpoint: SIPEndpoint) {
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let flow = SIPFlow(transport: .udp, remote: envelope.remoteAddress, channel: context.channel)
        endpoint.receive(bytes, flow: flow)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP unreachable and friends surface here on UDP; the socket stays usable.
        endpoint.logger.debug("udp socket error", metadata: ["error": "\(error)"])
    }
}
