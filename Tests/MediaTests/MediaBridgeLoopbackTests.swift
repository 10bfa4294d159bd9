import Foundation
import Logging
import NIOCore
import NIOPosix
import XCTest
@testable import Media

/// Bridges and conferences over real sockets on 127.0.0.1: sessions on a two-thread
/// group (legs on different loops where it matters), raw UDP sockets playing the
/// peers. Bounded waits; everything closed.
final class MediaBridgeLoopbackTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var engine: MediaEngine!
    private var peers: [RTPTestPeer] = []
    private var sessions: [MediaSession] = []

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        engine = MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 47000...47999,
                             logger: Logger(label: "media-bridge-test"))
    }

    override func tearDownWithError() throws {
        for peer in peers { try peer.close() }
        for session in sessions { try session.close().wait() }
        XCTAssertEqual(engine.portsInUse, 0, "every port returned")
        try group.syncShutdownGracefully()
    }

    private var loops: [any EventLoop] { Array(group.makeIterator()) }

    /// A session on `loop` talking to a fresh raw peer.
    private func leg(on loop: any EventLoop, law: G711Law, telephoneEvents: UInt8? = 101) throws -> (MediaSession, RTPTestPeer) {
        let session = try engine.openSession(on: loop).wait()
        sessions.append(session)
        let peer = try RTPTestPeer.make(group: group)
        peers.append(peer)
        session.start(remote: peer.address, law: law, payloadType: law.payloadType, telephoneEventPayloadType: telephoneEvents)
        return (session, peer)
    }

    private func address(_ session: MediaSession) throws -> SocketAddress {
        try SocketAddress(ipAddress: "127.0.0.1", port: session.localPort)
    }

    private func sleep(milliseconds: Int) { Thread.sleep(forTimeInterval: Double(milliseconds) / 1000) }

    func testAudioCrossesABridgeBetweenLoopsBothWaysWithTranscoding() throws {
        let loops = self.loops
        XCTAssertFalse(loops[0] === loops[1])
        let (a, peerA) = try leg(on: loops[0], law: .ulaw)
        let (b, peerB) = try leg(on: loops[1], law: .alaw)
        let bridge = try MediaBridge.connect(a, b).wait()
        peerA.stream(ToneSynthesis.sine(1000, milliseconds: 1200, amplitude: 6000), law: .ulaw, to: try address(a))
        peerB.stream(ToneSynthesis.sine(500, milliseconds: 1200, amplitude: 6000), law: .alaw, to: try address(b))
        sleep(milliseconds: 1300)
        peerA.stop()
        peerB.stop()
        // The middle of the stream: past the playout delay, before the tones end.
        let heardByB = Array(peerB.receivedAudio(law: .alaw, droppingFirst: 10).prefix(4000))
        let heardByA = Array(peerA.receivedAudio(law: .ulaw, droppingFirst: 10).prefix(4000))
        XCTAssertEqual(heardByB.count, 4000)
        XCTAssertEqual(heardByA.count, 4000)
        XCTAssertGreaterThan(ToneMeter.amplitude(of: 1000, in: heardByB), 2500, "A's tone reaches B")
        XCTAssertLessThan(ToneMeter.amplitude(of: 500, in: heardByB), 300, "B does not hear itself")
        XCTAssertGreaterThan(ToneMeter.amplitude(of: 500, in: heardByA), 2500, "B's tone reaches A")
        XCTAssertLessThan(ToneMeter.amplitude(of: 1000, in: heardByA), 300)
        XCTAssertEqual(Set(peerB.packets.map(\.ssrc)), [b.ssrc], "B's peer sees one stream")
        let statistics = try bridge.playoutStatistics(of: .b).wait()
        XCTAssertGreaterThan(statistics.framesWithAudio, 40)
        try bridge.unbridge().wait()
    }

    func testHashElevenFromAIsReportedAndNotForwarded() throws {
        let loop = loops[0]
        let (a, peerA) = try leg(on: loop, law: .ulaw)
        let (b, peerB) = try leg(on: loops[1], law: .ulaw)
        let digits = LockedStrings()
        let three = loop.makePromise(of: Void.self)
        try loop.submit {
            a.onDigit = { digit, source in
                if digits.append("\(digit)/\(source.rawValue)") == 3 { three.succeed(()) }
            }
        }.wait()
        _ = try MediaBridge.connect(a, b).wait()
        peerA.stream(ToneSynthesis.sine(800, milliseconds: 2000, amplitude: 4000), law: .ulaw, to: try address(a))
        sleep(milliseconds: 200)
        peerA.sendEvents("#11", to: try address(a))
        let deadline = loop.scheduleTask(in: .seconds(5)) { three.fail(ChannelError.connectTimeout(.seconds(5))) }
        try three.futureResult.wait()
        deadline.cancel()
        sleep(milliseconds: 300)
        XCTAssertEqual(digits.values, ["#/rfc4733", "1/rfc4733", "1/rfc4733"])
        XCTAssertFalse(peerB.packets.isEmpty)
        XCTAssertTrue(peerB.packets.allSatisfy { $0.payloadType == 0 }, "no telephone-event reaches B")
        let heard = peerB.receivedAudio(law: .ulaw, droppingFirst: 5)
        XCTAssertGreaterThan(ToneMeter.amplitude(of: 800, in: heard), 1000, "while A's audio still does")
    }

    func testInbandDigitsOfALegWithoutTelephoneEventAreDetectedWhileBridged() throws {
        let loop = loops[0]
        let (a, peerA) = try leg(on: loop, law: .alaw, telephoneEvents: nil)
        let (b, _) = try leg(on: loops[1], law: .ulaw)
        let digits = LockedStrings()
        let done = loop.makePromise(of: Void.self)
        try loop.submit {
            a.onDigit = { digit, source in
                if digits.append("\(digit)/\(source.rawValue)") == 5 { done.succeed(()) }
            }
        }.wait()
        _ = try MediaBridge.connect(a, b).wait()
        var tones = ToneSynthesis.silence(milliseconds: 100)
        for digit in "#1179" {
            tones += ToneSynthesis.tone(digit, milliseconds: 80) + ToneSynthesis.silence(milliseconds: 80)
        }
        peerA.stream(tones, law: .alaw, to: try address(a))
        let deadline = loop.scheduleTask(in: .seconds(5)) { done.fail(ChannelError.connectTimeout(.seconds(5))) }
        try done.futureResult.wait()
        deadline.cancel()
        XCTAssertEqual(digits.values, ["#/inband", "1/inband", "1/inband", "7/inband", "9/inband"])
    }

    func testThreePartiesEachHearTheOtherTwoOnly() throws {
        let loops = self.loops
        let conference = engine.makeConference(on: loops[0], maximumParticipants: 3)
        // Two participants on the conference's loop, one on the other loop (handoff both ways).
        let parties = [(loops[0], G711Law.ulaw, 500.0), (loops[0], G711Law.alaw, 1100.0), (loops[1], G711Law.ulaw, 1700.0)]
        var legs: [(MediaSession, RTPTestPeer, G711Law, Double)] = []
        for (loop, law, frequency) in parties {
            let (session, peer) = try leg(on: loop, law: law)
            try conference.join(session).wait()
            legs.append((session, peer, law, frequency))
        }
        XCTAssertThrowsError(try conference.join(try leg(on: loops[1], law: .ulaw).0).wait(), "bounded by the maximum")
        for (session, peer, law, frequency) in legs {
            peer.stream(ToneSynthesis.sine(frequency, milliseconds: 1200, amplitude: 5000), law: law, to: try address(session))
        }
        sleep(milliseconds: 1300)
        for (_, peer, _, _) in legs { peer.stop() }
        for (index, (_, peer, law, own)) in legs.enumerated() {
            let heard = Array(peer.receivedAudio(law: law, droppingFirst: 12).prefix(4000))
            XCTAssertEqual(heard.count, 4000, "participant \(index)")
            for (_, _, _, frequency) in legs where frequency != own {
                XCTAssertGreaterThan(ToneMeter.amplitude(of: frequency, in: heard), 2000,
                                     "participant \(index) hears \(frequency) Hz")
            }
            XCTAssertLessThan(ToneMeter.amplitude(of: own, in: heard), 250, "participant \(index) does not hear itself")
        }
        try conference.close().wait()
    }
}
