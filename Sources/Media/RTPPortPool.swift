import Foundation

/// The even RTP ports of a range (RFC 3550 §11: RTP on an even port, RTCP on the next
/// odd one), handed out round-robin so that a port just freed is not reused at once
/// (late packets of the old call would land in the new one). Thread-safe.
public final class RTPPortPool: @unchecked Sendable {
    public let range: ClosedRange<Int>
    private let lock = NSLock()
    private var inUse = Set<Int>()
    private var cursor: Int

    public init(range: ClosedRange<Int>) {
        let firstEven = range.lowerBound % 2 == 0 ? range.lowerBound : range.lowerBound + 1
        precondition(firstEven + 1 <= range.upperBound, "RTP port range \(range) holds no even/odd pair")
        self.range = range
        self.cursor = firstEven
    }

    /// Number of even ports whose odd neighbour is also in the range.
    public var capacity: Int {
        let firstEven = range.lowerBound % 2 == 0 ? range.lowerBound : range.lowerBound + 1
        return (range.upperBound - 1 - firstEven) / 2 + 1
    }

    public var portsInUse: Int { lock.withLock { inUse.count } }

    /// The next free even port, or nil when all are taken.
    public func reserve() -> Int? {
        lock.withLock {
            guard inUse.count < capacity else { return nil }
            while true {
                let port = cursor
                cursor += 2
                if cursor + 1 > range.upperBound {
                    cursor = range.lowerBound % 2 == 0 ? range.lowerBound : range.lowerBound + 1
                }
                if !inUse.contains(port) {
                    inUse.insert(port)
                    return port
                }
            }
        }
    }

    public func release(_ port: Int) {
        _ = lock.withLock { inUse.remove(port) }
    }
}
