import Foundation
import NIOCore
import NIOPosix
@testable import Media

/// A raw UDP socket playing a SIP peer's media side in loopback tests: it sends a
/// 20 ms RTP stream (a tone, or anything else) to a session, sends RFC 4733 events,
/// and records every packet the session sends back.
final class RTPTestPeer: @unchecked Sendable {
    struct Received: Sendable {
        let payloadType: UInt8
        let ssrc: UInt32
        let sequenceNumber: UInt16
        let timestamp: UInt32
        let payload: [UInt8]
    }

    let channel: any Channel
    let address: SocketAddress
    private let lock = NSLock()
    private var received: [Received] = []
    private var task: RepeatedTask?
    // Sending state, on the channel's loop.
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)

    static func make(group: any EventLoopGroup) throws -> RTPTestPeer {
        let recorder = Recorder()
        let channel = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let peer = RTPTestPeer(channel: channel, address: channel.localAddress!)
        recorder.peer = peer
        return peer
    }

    private init(channel: any Channel, address: SocketAddress) {
        self.channel = channel
        self.address = address
    }

    fileprivate func record(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let packet = try? RTPPacket(parsing: envelope.data.readableBytesView) else { return }
        lock.withLock {
            received.append(Received(payloadType: packet.payloadType, ssrc: packet.ssrc,
                                     sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                                     payload: packet.payload))
        }
    }

    var packets: [Received] { lock.withLock { received } }

    func clear() { lock.withLock { received.removeAll() } }

    /// Streams `samples` (cut into 20 ms frames, `law`) to `destination`, one frame every
    /// 20 ms, then keeps sending silence until `stop` (a real phone never stops).
    func stream(_ samples: [Int16], law: G711Law, to destination: SocketAddress) {
        let encoded = G711.encode(samples, law)
        let frames = encoded.count / G711.samplesPerFrame
        let loop = channel.eventLoop
        let box = FrameCounter()
        task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { [self] _ in
            let index = box.next()
            let payload: [UInt8] = index < frames
                ? Array(encoded[(index * 160)..<((index + 1) * 160)])
                : [UInt8](repeating: law.silenceByte, count: 160)
            send(payloadType: law.payloadType, marker: index == 0, payload: payload, to: destination, advance: 160)
        }
    }

    func stop() {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        if let task { task.cancel(promise: promise) } else { promise.succeed(()) }
        try? promise.futureResult.wait()
        task = nil
    }

    /// Sends `digits` as RFC 4733 events (100 ms each, three end packets), on the loop,
    /// interleaved with the audio stream's timestamps.
    func sendEvents(_ digits: String, payloadType: UInt8 = 101, to destination: SocketAddress) {
        channel.eventLoop.execute { [self] in
            for digit in digits {
                let code = TelephoneEvent.code(forDigit: digit)!
                let start = timestamp
                let events = [TelephoneEvent(event: code, duration: 160), TelephoneEvent(event: code, duration: 400),
                              TelephoneEvent(event: code, duration: 800)]
                    + Array(repeating: TelephoneEvent(event: code, isEnd: true, duration: 800), count: 3)
                for (index, event) in events.enumerated() {
                    sendRaw(payloadType: payloadType, marker: index == 0, timestamp: start,
                            payload: event.serialized(), to: destination)
                }
                timestamp &+= 1600
            }
        }
    }

    private func send(payloadType: UInt8, marker: Bool, payload: [UInt8], to destination: SocketAddress, advance: UInt32) {
        sendRaw(payloadType: payloadType, marker: marker, timestamp: timestamp, payload: payload, to: destination)
        timestamp &+= advance
    }

    private func sendRaw(payloadType: UInt8, marker: Bool, timestamp: UInt32, payload: [UInt8], to destination: SocketAddress) {
        var buffer = channel.allocator.buffer(capacity: 12 + payload.count)
        RTPPacket(marker: marker, payloadType: payloadType, sequenceNumber: sequence, timestamp: timestamp,
                  ssrc: ssrc, payload: payload).write(into: &buffer)
        sequence &+= 1
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
    }

    func close() throws {
        stop()
        try channel.close().wait()
    }

    /// Decoded audio of the packets received (audio payload types only), in arrival order.
    func receivedAudio(law: G711Law, droppingFirst: Int = 0) -> [Int16] {
        let audio = packets.filter { $0.payloadType == law.payloadType }.dropFirst(droppingFirst)
        return audio.flatMap { G711.decode($0.payload, law) }
    }

    private final class FrameCounter: @unchecked Sendable {
        private var value = 0
        func next() -> Int {
            defer { value += 1 }
            return value
        }
    }

    private final class Recorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        weak var peer: RTPTestPeer?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer?.record(unwrapInboundIn(data))
        }
    }
}
