#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// A call's RTP socket as the engine opens it: bound here, handed to a NIO channel that
/// owns and closes it but never reads it (`DatagramBootstrap.withBoundSocket`, `autoRead`
/// off), read on the clock's tick (`RTPReceiveBatch`) and written with one `sendto` per
/// packet.
///
/// Why not NIO's write path: a 20 ms packet is one datagram to one address, sent once;
/// NIO's `write` + `flush` (an `AddressedEnvelope`, the pending-writes queue, the flush
/// through the pipeline, a `sendmsg`) were ~6,300 instructions of a sent packet's ~8,600
/// in the IVR profile (Benchmarks/callgrind, issue 19), for nothing RTP needs: a packet
/// the kernel cannot take now is late anyway and is dropped, not queued.
///
/// The descriptor is NIO's once the channel exists (NIO closes it); it is read and written
/// only on the channel's event loop while the channel is active. `close0` closes the socket and
/// marks the channel inactive in one step on that loop, so the number cannot have been
/// reused by another socket when a send checks.
struct RTPSocket {
    let descriptor: CInt

    /// A non-blocking UDP socket bound to `address`, its datagrams stamped on arrival.
    static func bound(to address: SocketAddress) throws -> RTPSocket {
        let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(CInt(address.protocol.rawValue), type, 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        let result = address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            throw IOError(errnoCode: code, reason: "bind \(address)")
        }
        // Read on the clock's tick, so the arrival time comes from the kernel.
        do {
            try RTPReceiveBatch.enableTimestamps(on: descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        return RTPSocket(descriptor: descriptor)
    }

    /// Sends `packet` to `address` now; nil when the kernel took it, else the `errno` of the
    /// refusal (its send buffer is full, the destination is unreachable): the packet is
    /// dropped.
    func send(_ packet: ByteBuffer, to address: SocketAddress) -> CInt? {
        packet.withUnsafeReadableBytes { bytes in
            address.withSockAddr { pointer, length in
                var sent: Int
                repeat {
                    sent = sendto(descriptor, bytes.baseAddress, bytes.count, 0, pointer, socklen_t(length))
                } while sent < 0 && errno == EINTR
                if sent == bytes.count { return nil }
                return sent < 0 ? errno : EMSGSIZE
            }
        }
    }
}
