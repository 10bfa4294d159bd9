#if canImport(Glibc)
import Glibc
#endif
import CDatagramBatch
import NIOCore

/// Reads the datagrams waiting on RTP sockets, one `recvmmsg` per socket, into memory
/// shared by all the sessions of one `MediaClock` (confined to its loop).
///
/// Why not NIO's read path: NIO reads each datagram on its own readable event (an epoll
/// wake-up and a `recvmsg` per packet), formats its source address as a string
/// (`inet_ntop`), wraps it in an `AddressedEnvelope` and sends it down a pipeline: ≈ 4.5 k
/// instructions per received packet before our handler ran (Benchmarks/callgrind). The
/// clock ticks every 20 ms anyway and every started session is on it, so each tick reads
/// what has arrived since; the kernel's receive time (`SO_TIMESTAMPNS`) keeps the RTCP
/// jitter true to the arrival, not to the tick.
final class RTPReceiveBatch {
    /// Datagrams per read: a session gets one per 20 ms (three per read for one read every
    /// third tick), more after a late tick.
    static let capacity = 8

    private let batch: OpaquePointer

    init() {
        guard let batch = switchback_datagram_batch_create(CInt(Self.capacity), CInt(MediaEngine.largestDatagram)) else {
            fatalError("RTPReceiveBatch: out of memory for \(Self.capacity) datagrams")
        }
        self.batch = batch
    }

    deinit {
        switchback_datagram_batch_destroy(batch)
    }

    /// Reads everything waiting on `descriptor` and calls `body` with each datagram (its
    /// octets are valid only during the call; one larger than `MediaEngine.largestDatagram`
    /// is cut, as NIO cut it), its source (through the socket's own `sources`) and its
    /// arrival in nanoseconds of CLOCK_REALTIME. Returns the datagrams read, or the error
    /// of a failed read.
    @discardableResult
    func receiveAll(from descriptor: CInt, sources: inout SourceAddressCache,
                    _ body: (UnsafeRawBufferPointer, SocketAddress, UInt64) -> Void) -> Result<Int, IOError> {
        var total = 0
        while true {
            let count = Int(switchback_datagram_batch_receive(batch, descriptor))
            if count < 0 { return .failure(IOError(errnoCode: CInt(-count), reason: "recvmmsg")) }
            for index in 0..<count {
                var length: CInt = 0
                let octets = switchback_datagram_batch_payload(batch, CInt(index), &length, nil)!
                var sourceLength: socklen_t = 0
                let source = switchback_datagram_batch_source(batch, CInt(index), &sourceLength)!
                guard let address = sources.address(of: source, length: sourceLength) else { continue }
                var arrival = switchback_datagram_batch_arrival(batch, CInt(index))
                if arrival == 0 { arrival = Self.realtimeNanoseconds() }
                body(UnsafeRawBufferPointer(start: octets, count: Int(length)), address, arrival)
            }
            total += count
            if count < Self.capacity { return .success(total) }
        }
    }

    /// Asks the kernel to stamp what `descriptor` receives.
    static func enableTimestamps(on descriptor: CInt) throws {
        let result = switchback_enable_receive_timestamps(descriptor)
        if result < 0 { throw IOError(errnoCode: -result, reason: "setsockopt SO_TIMESTAMPNS") }
    }

    /// The same clock as the kernel's stamps, for a datagram that came without one.
    static func realtimeNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// The `SocketAddress` of a socket's raw sources, built again only when the source changes:
/// a call's packets come from one address, and building one formats it as text. One per
/// socket (a shared one would change at every socket).
struct SourceAddressCache {
    private var raw = sockaddr_storage()
    private var rawLength: socklen_t = 0
    private var last: SocketAddress?

    mutating func address(of source: UnsafePointer<sockaddr>, length: socklen_t) -> SocketAddress? {
        if let last, length == rawLength, withUnsafeBytes(of: &raw, { memcmp($0.baseAddress!, source, Int(length)) == 0 }) {
            return last
        }
        let address: SocketAddress
        switch Int32(source.pointee.sa_family) {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            address = source.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee) }
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            address = source.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee) }
        default:
            return nil
        }
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(length))) }
        rawLength = length
        last = address
        return address
    }
}
