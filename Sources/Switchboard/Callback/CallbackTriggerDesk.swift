import Foundation
import IVR
import SIP
import Store
import Synchronization

/// The Store side of a call to an access number, run off the SIP event loop: who the
/// caller is (digest credentials, personal DID, authorised caller ID) and, for a callback,
/// the durable queue entry the callback worker will place.
public struct CallbackTriggerDesk: Sendable {
    public typealias Backend = AccountStore & CallerIDStore & CallbackQueueStore

    /// What is known of a call before the decision.
    public struct Admission: Sendable {
        public var digest: InviteDigestGate.Verdict
        public var standing: CallerStanding
        /// The number a callback calls: a trusted source's P-Asserted-Identity, else the From user.
        public var callerID: String = ""
        /// The trusted source the INVITE came from (`trunk pstn`), nil: none.
        public var trustedSource: String?
        /// The INVITE's transport source address (PIN lockout counts per source).
        public var source: String = ""

        /// The variables the call's script starts with: its trust, the caller ID a
        /// trusted source asserted and the number's anumberhandling (`CallerTrust`).
        public func callVariables(anumberhandling: ANumberHandling) -> [String: IVRValue] {
            var variables: [String: IVRValue] = [
                CallerTrust.variable: standing.trust.value,
                CallerTrust.anumberhandlingVariable: .number(Decimal(anumberhandling.rawValue)),
            ]
            if standing.trust.callerIDTrusted { variables[CallerTrust.callerIDVariable] = .string(callerID) }
            if !source.isEmpty { variables[CallerTrust.sourceVariable] = .string(source) }
            return variables
        }
    }

    /// The digest gate's nonce table and failure counts, shared by the desk's copies and
    /// the tasks admitting calls at once.
    final class GateState: Sendable {
        let gate: Mutex<InviteDigestGate>
        init(_ gate: InviteDigestGate) { self.gate = Mutex(gate) }
    }

    /// A queued (or already queued) callback.
    public struct Queued: Sendable {
        public var request: CallbackRequest
        /// False when the idempotency key matched a request queued earlier in the window.
        public var isNew: Bool
    }

    public enum EnqueueError: Error, CustomStringConvertible {
        case noForwardNumber(login: String)
        case unknownAccount(Int64)
        case store(String)

        public var description: String {
            switch self {
            case .noForwardNumber(let login): return "account \(login) has no forward number to call back"
            case .unknownAccount(let id): return "account #\(id) no longer exists"
            case .store(let error): return "callback queue: \(error)"
            }
        }
    }

    private let store: any Backend
    private let credentials: any SIPCredentialsLookup
    private let gateState: GateState
    /// Whose calls carry a caller ID worth believing (trunks', DID providers' `trusted-sources`).
    public let trustedSources: TrustedSources
    private let now: @Sendable () -> Date
    /// Refused triggers and lockouts, for /metrics.
    public var counters = SecurityCounters()
    /// Told after a new request is queued (the worker's `notify`), so it plans its wake-up
    /// for the request's due time instead of finding it at its next poll.
    public var queued: (@Sendable () -> Void)?

    public init(store: any Backend, credentials: any SIPCredentialsLookup, gate: InviteDigestGate,
                trustedSources: TrustedSources = .none, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.credentials = credentials
        gateState = GateState(gate)
        self.trustedSources = trustedSources
        self.now = now
    }

    /// A desk with a fresh nonce secret, challenging in `realm` (the SIP domain, as REGISTER).
    public init(store: any Backend, credentials: any SIPCredentialsLookup, realm: String,
                trustedSources: TrustedSources = .none, lockout: SwitchbackConfiguration.Lockout? = nil) {
        var secret = [UInt8](repeating: 0, count: 32)
        for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max) }
        let failures = lockout.map { AuthenticationFailureCounter(limit: $0.attempts, period: $0.seconds) }
            ?? AuthenticationFailureCounter()
        self.init(store: store, credentials: credentials,
                  gate: InviteDigestGate(realm: realm, nonces: DigestNonces(secret: secret), failures: failures),
                  trustedSources: trustedSources)
    }

    /// INVITEs refused because a username, caller ID or source was locked out, and digest
    /// failures counted (for /metrics).
    public var digestCounters: (lockouts: Int, failures: Int) {
        gateState.gate.withLock { ($0.authority.lockoutRefusals, $0.authority.failuresCounted) }
    }

    /// The trust of a call from `source` (its transport address): decided here, once.
    public func trust(source: String) -> (trust: CallerTrust, name: String?) {
        guard let found = trustedSources.source(of: source) else { return (.untrusted, nil) }
        return (.trustedSource, found.name)
    }

    /// The caller ID of `request`: from a trusted source its P-Asserted-Identity (RFC 3325)
    /// when present, else the From user; from anywhere else the From user (a number to call
    /// back at most, never an identity).
    public static func callerID(of request: SIPRequest, trust: CallerTrust) -> String {
        if trust == .trustedSource, let asserted = request.headers.values("P-Asserted-Identity").first,
           let user = (try? SIPNameAddress(parsing: asserted))?.uri.user, !user.isEmpty {
            return user
        }
        return request.from?.uri.user ?? ""
    }

    /// Digest verdict and caller standing of an INVITE to `dialled` from `source` (the
    /// transport address it arrived from: empty means unknown, so untrusted).
    public func admit(_ request: SIPRequest, policy: ScriptCatalog.AccessPolicy, dialled: String,
                      source: String = "") async -> Admission {
        let (trust, trustedName) = trust(source: source)
        let callerID = Self.callerID(of: request, trust: trust)
        let wants = gateState.gate.withLock {
            $0.wantsAuthentication(request, policy: policy.sipDigest, trustedSource: trust == .trustedSource)
        }
        var ha1: String?
        if wants, let credentials = gateState.gate.withLock({ $0.credentials(in: request) }) {
            ha1 = await self.credentials.ha1(username: credentials.username, realm: credentials.realm)
        }
        let at = now()
        let digest = gateState.gate.withLock {
            $0.verdict(for: request, policy: policy.sipDigest, trustedSource: trust == .trustedSource, ha1: ha1,
                       source: source, now: at)
        }
        var identification = CallerStanding.Identification.unknown
        if case .authenticated(let login) = digest, let account = try? store.account(login: login), let id = account.id {
            identification = .sipDigest(account: id)
        } else if trust.callerIDTrusted {
            // Only a trusted source's dialled number and caller ID are looked up at all:
            // an untrusted caller learns nothing from how long the answer takes.
            if let account = try? store.account(personalDID: dialled), let id = account.id {
                identification = .personalDID(account: id)
            } else if CallerStanding.isCallable(callerID: callerID), let account = try? store.account(callerID: callerID),
                      let id = account.id {
                identification = .knownCallerID(account: id)
            }
        }
        var present = CallerStanding.isCallable(callerID: callerID)
        if case .sipDigest = identification { present = true }   // a softphone is called back at its login
        return Admission(digest: digest, standing: CallerStanding(identification, callerIDPresent: present, trust: trust),
                         callerID: callerID, trustedSource: trustedName, source: source)
    }

    /// A call to a number that is no access number: an account's personal DID (DID
    /// callback, whatever the caller ID) delivered by a trusted source, or nil: from
    /// anywhere else a DID answers like any unknown number.
    public func admitPersonalDID(_ request: SIPRequest, dialled: String, source: String = "") async -> Admission? {
        let (trust, trustedName) = trust(source: source)
        guard trust == .trustedSource, !dialled.isEmpty, let account = try? store.account(personalDID: dialled),
              let id = account.id else { return nil }
        let callerID = Self.callerID(of: request, trust: trust)
        return Admission(digest: .pass, standing: CallerStanding(.personalDID(account: id),
                                                                  callerIDPresent: CallerStanding.isCallable(callerID: callerID),
                                                                  trust: trust),
                         callerID: callerID, trustedSource: trustedName, source: source)
    }

    /// Queues the callback a trigger asks for: who to call (the caller ID, or the
    /// account's forward number for a DID), as whom (`callbackcallernumber`, else the
    /// access number), when (now + `callback.delay`), and where the callback leg's script
    /// starts (the campaign script's `callback` node says). A repeat of the same trigger
    /// within `callback.idempotency-window` returns the request already queued.
    public func enqueue(_ trigger: CallbackTrigger, callerID: String, accessNumber: String, campaign: String,
                        script: IVRScript, policy: ScriptCatalog.AccessPolicy) throws(EnqueueError) -> Queued {
        let at = now()
        let origin: String
        do {
            switch trigger {
            case .ani, .pin:
                origin = callerID
            case .did(let id):
                guard let account = try store.account(id: id) else { throw EnqueueError.unknownAccount(id) }
                guard let forward = account.forwardNumber, !forward.isEmpty else {
                    throw EnqueueError.noForwardNumber(login: account.login)
                }
                origin = forward
            }
        } catch let error as EnqueueError {
            throw error
        } catch {
            throw .store("\(error)")
        }
        let start = Self.callbackLegStart(of: script)
        let request = NewCallbackRequest(
            sourceKey: Self.sourceKey(trigger: trigger, origin: origin, accessNumber: accessNumber),
            accountID: trigger.account, campaign: campaign, trigger: trigger.kind, originNumber: origin, destinations: [],
            callerID: policy.callbackCallerNumber.isEmpty ? accessNumber : policy.callbackCallerNumber,
            accessNumber: accessNumber, script: start.script, node: start.node,
            notBefore: at.addingTimeInterval(Self.seconds(policy.callback.delay)))
        do {
            let queued = try store.enqueueCallback(request, idempotencyWindow: Self.seconds(policy.callback.idempotencyWindow),
                                                   at: at)
            // The store returns the earlier request for a key in its window; ours was created just now.
            let isNew = abs(queued.createdAt.timeIntervalSince(at)) < 0.001
            if isNew { self.queued?() }
            return Queued(request: queued, isNew: isNew)
        } catch {
            throw .store("\(error)")
        }
    }

    /// `<trigger>:<origin>:<access number>`: one request per trigger kind, number called
    /// back and access number, within the store's idempotency window.
    public static func sourceKey(trigger: CallbackTrigger, origin: String, accessNumber: String) -> String {
        "\(trigger.kind):\(origin):\(accessNumber)"
    }

    /// Where the callback leg starts: the campaign script's `callback` node names the
    /// script and node the called-back user gets (ani-callback.yaml: `node: login`;
    /// did-callback.yaml: `script: calling-card, node: main-menu`). Without one, the
    /// campaign script from its start.
    public static func callbackLegStart(of script: IVRScript) -> (script: String?, node: String?) {
        for node in script.nodes {
            if case .callback(let verb) = node.verb {
                return (verb.script?.value, verb.node?.value)
            }
        }
        return (nil, nil)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
