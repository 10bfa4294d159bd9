import Billing
import Foundation
import Hummingbird
import HummingbirdTesting
import IVR
import NIOCore
import Store
import Switchboard
@testable import Web
import XCTest

/// An API over an in-memory store and a real scheduler and catalog (web-callback.yaml),
/// driven without sockets (`app.test(.router)`).
struct APITestBed {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let store: SQLiteStore
    let scheduler: CallbackScheduler
    let alice: Account
    let deps: APIDependencies
    let metrics: SwitchbackMetrics

    init(maxParticipants: Int = 3, lockoutAttempts: Int = 3, adminToken: String? = "s3cret",
         webCampaign: String? = "web-callback", limits: String = "{}") throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        alice = try store.createAccount(NewAccount(login: "alice", password: "wonderland", pin: "123456", sipRealm: "r",
                                                   initialBalance: try Money.parse("5", currency: "EUR"),
                                                   forwardNumber: "4930777"), at: Date())
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: Date())
        let configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(Self.root.path)/sounds
        campaigns:
          web-callback: { script: \(Self.root.path)/scripts/web-callback.yaml }
        callback:
          max-participants: \(maxParticipants)
          web-campaign: web-callback
          idempotency-window: 60s
          pin-lockout: { attempts: \(lockoutAttempts), period: 15m }
          limits: \(limits)
        """, file: "test.yaml")
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds")))
        scheduler = CallbackScheduler(store: store, catalog: catalog)
        metrics = SwitchbackMetrics()
        deps = APIDependencies(store: store, scheduler: scheduler, webCampaign: webCampaign,
                               lockout: PINLockoutPolicy(configuration.callback.pinLockout), adminToken: adminToken,
                               activeCalls: { 7 }, metrics: metrics, eventPollInterval: .milliseconds(20))
    }

    func application() -> some ApplicationProtocol {
        let router = Router(context: SwitchbackRequestContext.self)
        APIv1.add(to: router, deps)
        return Application(router: router)
    }

    static func basic(_ login: String, _ password: String) -> String {
        "Basic " + Data("\(login):\(password)".utf8).base64EncodedString()
    }

    static let alice: HTTPFields = [.authorization: basic("alice", "wonderland"), .contentType: "application/json"]
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
