import Foundation
import IVR
import SIP
import Store

/// The Store side of a call to an access number, run off the SIP event loop: who the
/// caller is (digest credentials, personal DID, authorised caller ID) and, for a callback,
/// the durable queue entry the callback worker will place.
public struct CallbackTriggerDesk: Sendable {
    public typealias Backend = AccountStore & CallerIDStore & CallbackQueueStore

    /// What is known of a call before the decision.
    public struct Admission: Sendable {
        public var digest: InviteDigestGate.Verdict
        public var standing: CallerStanding
    }

    private let store: any Backend
    private let credentials: any SIPCredentialsLookup
    public let gate: InviteDigestGate
    private let now: @Sendable () -> Date
    /// Where trigger calls' callbacks are queued; nil: modes that call back refuse (503).
    public var scheduler: CallbackScheduler?

    public init(store: any Backend, credentials: any SIPCredentialsLookup, gate: InviteDigestGate,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.credentials = credentials
        self.gate = gate
        self.now = now
    }

    /// A desk with a fresh nonce secret, challenging in `realm` (the SIP domain, as REGISTER).
    public init(store: any Backend, credentials: any SIPCredentialsLookup, realm: String) {
        var secret = [UInt8](repeating: 0, count: 32)
        for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max) }
        self.init(store: store, credentials: credentials, gate: InviteDigestGate(realm: realm, nonces: DigestNonces(secret: secret)))
    }

    /// Digest verdict and caller standing of an INVITE to `dialled`.
    public func admit(_ request: SIPRequest, policy: ScriptCatalog.AccessPolicy, dialled: String) async -> Admission {
        let callerID = request.from?.uri.user ?? ""
        var fromIsKnownLogin = false
        var ha1: String?
        if policy.sipDigest != .never {
            if let credentials = gate.credentials(in: request) {
                ha1 = await self.credentials.ha1(username: credentials.username, realm: credentials.realm)
            } else if policy.sipDigest == .auto, !callerID.isEmpty {
                fromIsKnownLogin = (try? store.account(login: callerID)) != nil
            }
        }
        let digest = gate.verdict(for: request, policy: policy.sipDigest, fromIsKnownLogin: fromIsKnownLogin, ha1: ha1,
                                  now: now())
        var identification = CallerStanding.Identification.unknown
        if case .authenticated(let login) = digest, let account = try? store.account(login: login), let id = account.id {
            identification = .sipDigest(account: id)
        } else if let account = try? store.account(personalDID: dialled), let id = account.id {
            identification = .personalDID(account: id)
        } else if CallerStanding.isCallable(callerID: callerID), let account = try? store.account(callerID: callerID),
                  let id = account.id {
            identification = .knownCallerID(account: id)
        }
        var present = CallerStanding.isCallable(callerID: callerID)
        if case .sipDigest = identification { present = true }   // a softphone is called back at its login
        return Admission(digest: digest, standing: CallerStanding(identification, callerIDPresent: present))
    }

    /// A call to a number that is no access number: an account's personal DID (DID
    /// callback, whatever the caller ID), or nil for none.
    public func admitPersonalDID(_ request: SIPRequest, dialled: String) async -> Admission? {
        guard !dialled.isEmpty, let account = try? store.account(personalDID: dialled), let id = account.id else { return nil }
        let callerID = request.from?.uri.user ?? ""
        return Admission(digest: .pass, standing: CallerStanding(.personalDID(account: id),
                                                                  callerIDPresent: CallerStanding.isCallable(callerID: callerID)))
    }

    /// Queues the callback a trigger call asks for (it was never answered). Who is called is
    /// the mode's decision, never the caller's: the caller ID for ANI and PIN, the account's
    /// forward number for a DID. The script's first nodes, run without media
    /// (`TriggerScriptRun`), may add what its `callback` verb says: delay, caller ID, the
    /// script and node the callback leg starts at, and a number written in the script.
    /// A repeat of the same trigger within `callback.idempotency-window` returns the
    /// request already queued.
    public func enqueue(_ trigger: CallbackTrigger, callerID: String, entry: ScriptCatalog.Entry,
                        verb: IVR.CallbackRequest?) throws(CallbackScheduler.ScheduleError) -> CallbackScheduler.Queued {
        guard let scheduler else { throw .refused("callbacks need the store") }
        var number = callerID
        var source = CallbackScheduler.NumberSource.network
        if case .did(let id) = trigger {
            let account: Account?
            do {
                account = try store.account(id: id)
            } catch {
                throw .store("\(error)")
            }
            guard let account else { throw .refused("account #\(id) no longer exists") }
            guard let forward = account.forwardNumber, !forward.isEmpty else {
                throw .refused("account \(account.login) has no forward number to call back")
            }
            number = forward
        }
        if let verb, verb.toIsLiteral, !verb.to.isEmpty {
            number = verb.to
            source = .operatorScript
        }
        let order = CallbackScheduler.Order(
            trigger: trigger.callTrigger, account: trigger.account, number: number, numberSource: source,
            callerID: verb?.callerID, dialled: entry.accessNumber, campaign: entry.campaign,
            script: verb?.script, node: verb?.node, delay: verb?.delaySeconds.map { .seconds($0) },
            idempotencyKey: Self.sourceKey(trigger: trigger, origin: number, accessNumber: entry.accessNumber))
        return try scheduler.schedule(order)
    }

    /// `<trigger>:<origin>:<access number>`: one request per trigger kind, number called
    /// back and access number, within the store's idempotency window.
    public static func sourceKey(trigger: CallbackTrigger, origin: String, accessNumber: String) -> String {
        "\(trigger.callTrigger):\(origin):\(accessNumber)"
    }
}
