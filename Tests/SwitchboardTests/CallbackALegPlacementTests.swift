import Billing
import Foundation
import IVR
import Logging
import Media
import NIOCore
import NIOPosix
import SIP
import SIPStack
import Store
@testable import Switchboard
import XCTest

/// The real callback dialer (`OutboundScriptedCall`) on a real SIP endpoint, its trunk a
/// UDP socket of the test that counts what reaches it: a callback that cannot be rated,
/// paid for or reserved sends no INVITE at all and ends with the reason; one that can
/// sends its INVITE to the trunk after the reservation is written.
final class CallbackALegPlacementTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private var group: MultiThreadedEventLoopGroup!
    private var endpoint: SIPEndpoint!
    private var router: CallRouter!
    private var store: SQLiteStore!
    private var trunk: Channel!
    private let received = Received()
    private var ids: [String: Int64] = [:]
    private var catalog: ScriptCatalog!
    private var services: CallServices!

    /// The datagrams the trunk received, as text.
    private final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String] = []
        func append(_ text: String) { lock.withLock { texts.append(text) } }
        func withLockedValue<T>(_ body: ([String]) -> T) -> T { lock.withLock { body(texts) } }
    }

    /// Keeps what the trunk receives.
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: Received
        init(_ box: Received) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let text = String(buffer: envelope.data)
            box.append(text)
        }
    }

    override func setUp() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let now = Date()
        _ = try store.importRates(plan: "card", currency: "EUR", chargesALeg: true, rates: [
            try Rate(prefix: "49", description: "Germany", perMinute: try Money.parse("0.4800", currency: "EUR"),
                     connectionFee: try Money.parse("0", currency: "EUR"), increments: BillingIncrements(first: 1, following: 1)),
        ], blockedPrefixes: ["4990"], at: now)
        for (login, balance) in [("alice", "5"), ("poor", "0")] {
            ids[login] = try store.createAccount(NewAccount(login: login, password: "pw", sipRealm: "switchback.local",
                                                            initialBalance: try Money.parse(balance, currency: "EUR"),
                                                            ratePlan: "card"), at: now).id
        }
        let box = received
        trunk = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in channel.pipeline.addHandler(Collector(box)) }
            .bind(host: "127.0.0.1", port: 0).get()
        let trunkPort = try XCTUnwrap(trunk.localAddress?.port)
        let configuration = try ConfigurationLoader.parse(yaml: """
        sip: { listen: [udp:127.0.0.1:0] }
        media: { rtp-ports: 44000-44999, bind: 127.0.0.1 }
        sounds: \(Self.root.path)/sounds
        campaigns:
          ani-callback: { script: \(Self.root.path)/scripts/ani-callback.yaml }
        access-numbers:
          "1001": { campaign: ani-callback, callback: always }
        trunks:
          - { name: pstn, uri: "sip:127.0.0.1:\(trunkPort)", destinations: ["*"] }
        """, file: "test.yaml")
        let logger = Logger(label: "callback-placement-tests")
        let loop = group.next()
        endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(
            listen: [SIPListenAddress(transport: .udp, host: "127.0.0.1", port: 0)], advertisedHost: nil), logger: logger)
        let soundsRoot = ScriptCatalog.soundsRoot(of: configuration, baseDirectory: Self.root)
        let promptCatalog = PromptCatalog.scan(soundsRoot: soundsRoot)
        catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root, promptCatalog: promptCatalog)
        services = CallServices(logger: logger, mediaEngine: MediaEngine(group: group, bindHost: "127.0.0.1",
                                                                         portRange: 44000...44999, logger: logger),
                                mediaLoops: [loop], prompts: PromptLibrary(root: soundsRoot), promptCatalog: promptCatalog,
                                mediaAddress: "127.0.0.1", serviceDesk: StoreServiceDesk(store: store))
        router = CallRouter(endpoint: endpoint, catalog: catalog, services: services, logger: logger)
        router.dialPlan = DialPlan(trunks: try TrunkSelector(configuration: configuration.trunks), domain: "switchback.local")
        endpoint.user = router
        try await endpoint.start().get()
    }

    override func tearDown() async throws {
        try? await endpoint.stop().get()
        try? await trunk.close()
        try? await group.shutdownGracefully()
    }

    private func dialer(houseAccount: String?) -> OutboundScriptedCall {
        OutboundScriptedCall(router: router, services: services, catalog: catalog, accounts: store,
                             settings: .init(callerNumber: "7001", ringTimeout: .seconds(2), houseAccount: houseAccount))
    }

    private func request(_ trigger: CallTrigger, account: String?, number: String) throws -> Store.CallbackRequest {
        try store.enqueueCallback(NewCallbackRequest(accountID: account.flatMap { ids[$0] }, campaign: "ani-callback",
                                                     trigger: trigger, originNumber: number, destinations: [],
                                                     accessNumber: "1001", notBefore: Date()), at: Date())
    }

    /// The first event the dialer reports, within 5 s.
    private func firstEvent(_ request: Store.CallbackRequest, houseAccount: String?) async throws -> CallbackLegEvent? {
        let (events, continuation) = AsyncStream.makeStream(of: CallbackLegEvent.self)
        dialer(houseAccount: houseAccount).placeCallback(request, events: CallbackLegReporter(continuation))
        return try await withThrowingTaskGroup(of: CallbackLegEvent?.self) { group in
            group.addTask { for await event in events { return event }; return nil }
            group.addTask { try await Task.sleep(for: .seconds(5)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            continuation.finish()
            return first
        }
    }

    func testARefusedCallbackSendsNoINVITEAndSaysWhy() async throws {
        let rows: [(CallTrigger, String?, String, String?, String)] = [
            (.sipPIN, nil, "4930777", nil, "free-access-user"),   // nobody pays for the PIN leg
            (.sipANI, "alice", "33123456", nil, "no rate"),
            (.api, "alice", "4990123", nil, "blocked"),
            (.web, "poor", "4930777", nil, "out-of-credit"),
            (.sipPIN, nil, "4930777", "poor", "out-of-credit"),   // the house itself cannot pay
        ]
        for (trigger, account, number, house, why) in rows {
            let event = try await firstEvent(try request(trigger, account: account, number: number), houseAccount: house)
            guard case let .unanswered(.failed, reason)? = event else {
                return XCTFail("\(trigger) \(account ?? "-") \(number): \(String(describing: event))")
            }
            XCTAssertTrue(reason.hasPrefix("not placed"), reason)
            XCTAssertTrue(reason.contains(why), "\(trigger) \(number): \(reason)")
        }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(received.withLockedValue { $0 }, [], "no INVITE reached the trunk")
        for id in ids.values { XCTAssertEqual(try store.openReservations(account: id).count, 0, "nothing held") }
    }

    func testAnAdmittedCallbackIsReservedBeforeItsINVITE() async throws {
        let dialer = dialer(houseAccount: nil)
        let (events, continuation) = AsyncStream.makeStream(of: CallbackLegEvent.self)
        dialer.placeCallback(try request(.sipANI, account: "alice", number: "4930777"), events: CallbackLegReporter(continuation))
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !received.withLockedValue({ $0.contains { $0.hasPrefix("INVITE sip:4930777@") } }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertTrue(received.withLockedValue { $0.contains { $0.hasPrefix("INVITE sip:4930777@") } }, "the INVITE left")
        let open = try store.openReservations(account: try XCTUnwrap(ids["alice"]))
        XCTAssertEqual(open.count, 1, "reserved for the leg that rings")
        XCTAssertEqual(open.first?.trigger, "sip-ani")
        _ = events
        continuation.finish()
    }
}
