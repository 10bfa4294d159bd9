/// Audio on its way from one event loop to another: everything one loop's relays
/// produced for another loop during one 20 ms tick, shipped with one `execute`.
///
/// **Why no lock.** The batch is filled only on the source loop, during a tick. At the
/// end of the tick the source clock hands the whole batch to the destination loop
/// (`EventLoop.execute`, whose task queue is the only synchronisation) and starts a new
/// one; it never touches the shipped batch again, and the destination only reads it.
/// Ownership moves with the task, so at most one thread uses a batch at any time. The
/// cost is one task (one closure allocation, one wake-up) per pair of loops per tick,
/// whatever the number of calls between them, instead of one per packet.
final class MediaHandoffBatch: @unchecked Sendable {
    /// Entries beyond this per tick are dropped (a stalled destination must not make
    /// the source grow without bound).
    static let maximumEntries = 4096

    private struct Entry {
        let target: any MediaRelayTarget
        let timestamp: UInt32
        let ssrc: UInt32
        let law: G711Law
        let offset: Int
        let length: Int
    }

    private var octets: [UInt8] = []
    private var entries: [Entry] = []
    private(set) var dropped = 0

    var isEmpty: Bool { entries.isEmpty }

    func append(_ payload: UnsafeRawBufferPointer, to target: any MediaRelayTarget,
                timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard entries.count < MediaHandoffBatch.maximumEntries else {
            dropped += 1
            return
        }
        if entries.isEmpty {
            octets.reserveCapacity(4 * G711.samplesPerFrame)
        }
        entries.append(Entry(target: target, timestamp: timestamp, ssrc: ssrc, law: law,
                             offset: octets.count, length: payload.count))
        octets.append(contentsOf: payload)
    }

    /// On the destination loop: hands every entry to its target, in arrival order.
    func deliver() {
        octets.withUnsafeBytes { raw in
            for entry in entries {
                entry.target.relayAudio(UnsafeRawBufferPointer(rebasing: raw[entry.offset..<(entry.offset + entry.length)]),
                                        timestamp: entry.timestamp, ssrc: entry.ssrc, law: entry.law)
            }
        }
    }
}
