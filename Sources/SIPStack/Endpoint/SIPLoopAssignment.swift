/// Which of a server's SIP event loops handles a message (`sip.event-loops`): the one its
/// Call-ID hashes to, so that every transaction and dialog of one call lives on one loop
/// whichever socket its datagrams arrive at (the kernel spreads them over the loops'
/// sockets by source address, not by call). Call-IDs we make for our own calls are drawn
/// until they hash back to the loop that makes them. Pure.
public struct SIPLoopAssignment: Sendable, Equatable {
    /// How many loops share the SIP work (at least 1).
    public let loops: Int

    public init(loops: Int) {
        self.loops = max(1, loops)
    }

    /// The loop (0..<loops) that handles messages with `callID`. FNV-1a over its bytes:
    /// the same answer on every loop and in every process (Swift's `Hasher` is seeded per
    /// process, so a restarted node would disagree with itself about nothing here, but a
    /// fixed function keeps the tests and the logs exact).
    public func loop(forCallID callID: String) -> Int {
        guard loops > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in callID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(loops))
    }

    /// A fresh Call-ID (`tag@host`) that `loop(forCallID:)` maps to `loop`: tags are drawn
    /// until one does (on average `loops` draws).
    public func makeCallID(for loop: Int, host: String = "switchback", tag: () -> String = SIPEndpoint.makeTag) -> String {
        while true {
            let callID = "\(tag())@\(host)"
            if self.loop(forCallID: callID) == loop % loops { return callID }
        }
    }
}
