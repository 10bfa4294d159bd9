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

/// The router's trigger side on a real socket, driven by sipp (the scenarios of the
/// interop tests): a `callback: always` number rings and refuses busy and queues one
/// callback per window; a personal DID queues a callback to the forward number with the
/// caller ID withheld; a softphone's INVITE is challenged (407) and then answered.
final class CallbackRouterTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private static let scenarios = root.appendingPathComponent("Tests/InteropTests/Fixtures/sipp")

    private var group: MultiThreadedEventLoopGroup!
    private var endpoint: SIPEndpoint!
    private var router: CallRouter!
    private var store: SQLiteStore!
    private var alice: Account!
    private var port = 0

    override func setUp() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "1234",
                                                   sipRealm: "switchback.local", initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777", personalDID: "4930500"), at: Date())
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: Date())

        let digestScript = Self.root.appendingPathComponent("Tests/InteropTests/Fixtures/scripts/callback-trigger-digest.yaml")
        let configuration = try ConfigurationLoader.parse(yaml: """
        sip: { listen: [udp:127.0.0.1:0] }
        media: { rtp-ports: 43000-43999, bind: 127.0.0.1 }
        sounds: \(Self.root.path)/sounds
        campaigns:
          ani-callback: { script: \(Self.root.path)/scripts/ani-callback.yaml }
          did-callback: { script: \(Self.root.path)/scripts/did-callback.yaml }
          digest: { script: \(digestScript.path) }
        access-numbers:
          "1001": { campaign: ani-callback, callback: always }
          "1005": { campaign: digest, callback: none, sip-digest: always }
          "1006": { campaign: ani-callback, callback: 6, ring: 3s }
        callback: { delay: 30s, did-campaign: did-callback }
        # sipp calls from 127.0.0.1: declared trusted, so its caller IDs and DIDs count (issue 11).
        did-providers: [{ name: loopback, trusted-sources: [127.0.0.1/32] }]
        """, file: "test.yaml")
        let logger = Logger(label: "callback-router-tests")
        let loop = group.next()
        endpoint = SIPEndpoint(eventLoop: loop, configuration: SIPEndpointConfiguration(
            listen: [SIPListenAddress(transport: .udp, host: "127.0.0.1", port: 0)], advertisedHost: nil), logger: logger)
        let soundsRoot = ScriptCatalog.soundsRoot(of: configuration, baseDirectory: Self.root)
        let promptCatalog = PromptCatalog.scan(soundsRoot: soundsRoot)
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root, promptCatalog: promptCatalog)
        let services = CallServices(logger: logger, mediaEngine: MediaEngine(group: group, bindHost: "127.0.0.1",
                                                                             portRange: 43000...43999, logger: logger),
                                    mediaLoops: [loop], prompts: PromptLibrary(root: soundsRoot), promptCatalog: promptCatalog,
                                    mediaAddress: "127.0.0.1", serviceDesk: StoreServiceDesk(store: store))
        router = CallRouter(endpoint: endpoint, catalog: catalog, services: services, logger: logger)
        var triggers = CallbackTriggerDesk(store: store, credentials: AccountCredentials(store: store),
                                           realm: configuration.sip.domain,
                                           trustedSources: TrustedSources(configuration: configuration))
        triggers.scheduler = CallbackScheduler(store: store, catalog: catalog)
        router.callbackTriggers = triggers
        endpoint.user = router
        try await endpoint.start().get()
        let endpoint = self.endpoint!
        port = try await loop.submit { endpoint.boundAddresses.first?.port ?? 0 }.get()
    }

    override func tearDown() async throws {
        try? await endpoint.stop().get()
        try? await group.shutdownGracefully()
    }

    private func sipp(_ scenario: String, service: String, keys: [String: String],
                      extra: [String] = []) throws -> (status: Int32, output: String) {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("callback-router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        var arguments = ["127.0.0.1:\(port)", "-sf", Self.scenarios.appendingPathComponent(scenario).path, "-s", service,
                         "-i", "127.0.0.1", "-p", "\(Int.random(in: 47000..<47900))", "-mp", "\(Int.random(in: 24000..<24900) * 2)",
                         "-m", "1", "-l", "1", "-timeout", "25s", "-timeout_error", "-nostdin", "-trace_err"]
        for (key, value) in keys { arguments += ["-key", key, value] }
        process.arguments = arguments + extra
        process.currentDirectoryURL = work
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = ((try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []).filter { $0.hasSuffix("_errors.log") }
            .compactMap { try? String(contentsOf: work.appendingPathComponent($0), encoding: .utf8) }.joined()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self).suffix(3000) + errors)
    }

    func testANITriggerRingsRefusesBusyAndQueuesOnce() throws {
        let started = Date()
        var run = try sipp("callback-trigger-caller.xml", service: "1001", keys: ["caller": "4930111"])
        XCTAssertEqual(run.status, 0, run.output)
        var queued = try store.callbackRequests(states: CallbackRequest.State.allCases)
        XCTAssertEqual(queued.count, 1)
        let request = try XCTUnwrap(queued.first)
        XCTAssertEqual(request.state, .queued)
        XCTAssertEqual(request.trigger, .sipANI)
        XCTAssertEqual(request.originNumber, "4930111")
        XCTAssertEqual(request.accountID, alice.id)
        XCTAssertEqual(request.callerID, "1001")
        XCTAssertEqual(request.accessNumber, "1001")
        XCTAssertEqual(request.node, "login")
        XCTAssertEqual(request.notBefore.timeIntervalSince(request.createdAt), 30, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(request.createdAt.timeIntervalSince(started), -1)

        run = try sipp("callback-trigger-caller.xml", service: "1001", keys: ["caller": "4930111"])
        XCTAssertEqual(run.status, 0, run.output)
        queued = try store.callbackRequests(states: CallbackRequest.State.allCases)
        XCTAssertEqual(queued.map(\.id), [request.id], "a repeated trigger within the window queues nothing new")

        // An unknown caller ID: a PIN callback, bound to no account.
        run = try sipp("callback-trigger-caller.xml", service: "1001", keys: ["caller": "4930999"])
        XCTAssertEqual(run.status, 0, run.output)
        let pin = try XCTUnwrap(try store.callbackRequests(states: [.queued]).first { $0.originNumber == "4930999" })
        XCTAssertEqual(pin.trigger, .sipPIN)
        XCTAssertNil(pin.accountID)
    }

    func testCallerHangingUpWhileItRingsStillGetsTheCallback() throws {
        // `ring: 3s` holds the busy back; the caller cancels after the 180 (a 487, not a 486).
        let run = try sipp("cancel.xml", service: "1006", keys: [:])
        XCTAssertEqual(run.status, 0, run.output)
        let request = try XCTUnwrap(try store.callbackRequests(states: [.queued]).first)
        XCTAssertEqual(request.trigger, .sipPIN)
        XCTAssertEqual(request.originNumber, "5551234")
        XCTAssertEqual(request.accessNumber, "1006")
    }

    func testPersonalDIDWithWithheldCallerIDCallsTheForwardNumberBack() throws {
        let run = try sipp("callback-trigger-caller.xml", service: "4930500", keys: ["caller": "anonymous"])
        XCTAssertEqual(run.status, 0, run.output)
        let request = try XCTUnwrap(try store.callbackRequests(states: [.queued]).first)
        XCTAssertEqual(request.trigger, .sipDID)
        XCTAssertEqual(request.originNumber, "4930777")
        XCTAssertEqual(request.accountID, alice.id)
        XCTAssertEqual(request.script, "calling-card")
        XCTAssertEqual(request.node, "balance")
    }

    func testWithheldCallerIDOnAnANINumberIsRefusedNotQueued() throws {
        let run = try sipp("callback-trigger-caller.xml", service: "1001", keys: ["caller": "anonymous"])
        XCTAssertNotEqual(run.status, 0, "403 instead of 486: \(run.output)")
        XCTAssertTrue(run.output.contains("403"), run.output)
        XCTAssertEqual(try store.callbackRequests(states: CallbackRequest.State.allCases).count, 0)
    }

    func testSoftphoneINVITEIsChallengedThenAnswered() throws {
        let run = try sipp("callback-trigger-digest.xml", service: "1005", keys: ["login": "alice"],
                       extra: ["-au", "alice", "-ap", "wonderland"])
        XCTAssertEqual(run.status, 0, run.output)
        let wrong = try sipp("callback-trigger-digest.xml", service: "1005", keys: ["login": "alice"],
                         extra: ["-au", "alice", "-ap", "guess"])
        XCTAssertNotEqual(wrong.status, 0, "a wrong password is refused (403): \(wrong.output)")
        XCTAssertEqual(try store.callbackRequests(states: CallbackRequest.State.allCases).count, 0)
    }
}
