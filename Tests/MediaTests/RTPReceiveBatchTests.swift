#if canImport(Glibc)
import Glibc
#endif
@testable import Media
import NIOCore
import XCTest

/// Datagrams read the way the clock reads a session's socket: everything waiting, in
/// order, each with its source and the kernel's receive time.
final class RTPReceiveBatchTests: XCTestCase {
    private var descriptors: [CInt] = []

    override func tearDown() {
        descriptors.forEach { _ = close($0) }
        descriptors = []
    }

    /// A socket on 127.0.0.1 with a port the kernel chose, and its address.
    private func socketOnLoopback() throws -> (RTPSocket, SocketAddress) {
        let socket = try RTPSocket.bound(to: SocketAddress(ipAddress: "127.0.0.1", port: 0))
        descriptors.append(socket.descriptor)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) }
        }
        XCTAssertEqual(result, 0)
        return (socket, SocketAddress(address))
    }

    private func datagram(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    func testEverythingWaitingIsReadInOrderWithItsSourceAndArrival() throws {
        let (receiver, receiverAddress) = try socketOnLoopback()
        try RTPReceiveBatch.enableTimestamps(on: receiver.descriptor)
        let (sender, senderAddress) = try socketOnLoopback()
        // More than one read's worth: the batch reads again until the socket is empty.
        let count = RTPReceiveBatch.capacity * 2 + 3
        for index in 0..<count {
            XCTAssertNil(sender.send(datagram("packet \(index)"), to: receiverAddress))
        }
        let batch = RTPReceiveBatch()
        var sources = SourceAddressCache()
        var texts: [String] = []
        var arrivals: [UInt64] = []
        let before = RTPReceiveBatch.realtimeNanoseconds() - 60_000_000_000
        let result = batch.receiveAll(from: receiver.descriptor, sources: &sources) { bytes, source, arrival in
            texts.append(String(decoding: bytes, as: UTF8.self))
            XCTAssertEqual(source, senderAddress)
            arrivals.append(arrival)
        }
        XCTAssertEqual(try result.get(), count)
        XCTAssertEqual(texts, (0..<count).map { "packet \($0)" })
        XCTAssertEqual(arrivals, arrivals.sorted(), "arrivals in order")
        XCTAssertTrue(arrivals.allSatisfy { $0 > before && $0 <= RTPReceiveBatch.realtimeNanoseconds() },
                      "kernel stamps on the wall clock: \(arrivals.prefix(3))")
        // Nothing more waiting: nothing read, no error.
        var more = 0
        XCTAssertEqual(try batch.receiveAll(from: receiver.descriptor, sources: &sources) { _, _, _ in more += 1 }.get(), 0)
        XCTAssertEqual(more, 0)
    }

    func testEachDatagramIsToldItsOwnSource() throws {
        let (receiver, receiverAddress) = try socketOnLoopback()
        let (first, firstAddress) = try socketOnLoopback()
        let (second, secondAddress) = try socketOnLoopback()
        for sender in [first, second, second, first] {
            XCTAssertNil(sender.send(datagram("x"), to: receiverAddress))
        }
        var sources = SourceAddressCache()
        var seen: [SocketAddress] = []
        let read = RTPReceiveBatch().receiveAll(from: receiver.descriptor, sources: &sources) { _, source, _ in
            seen.append(source)
        }
        XCTAssertEqual(try read.get(), 4)
        XCTAssertEqual(seen, [firstAddress, secondAddress, secondAddress, firstAddress])
        XCTAssertEqual(seen.map(\.port), [firstAddress.port, secondAddress.port, secondAddress.port, firstAddress.port])
    }

    func testAClosedDescriptorIsAnErrorNotACrash() {
        var sources = SourceAddressCache()
        let read = RTPReceiveBatch().receiveAll(from: -1, sources: &sources) { _, _, _ in XCTFail("nothing to read") }
        guard case .failure(let error) = read else { return XCTFail("read \(read) from descriptor -1") }
        XCTAssertEqual(error.errnoCode, EBADF)
    }
}
