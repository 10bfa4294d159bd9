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

    private let store: any Backend
    private let credentials: any SIPCredentialsLookup
    private let gateState: GateState
    /// Whose calls carry a caller ID worth believing (trunks', DID providers' `trusted-sources`).
    /// Replaced on reload (`SwitchbackServer.reloadScripts`): calls admitted from then on
    /// are judged by the new list.
    public var trustedSources: TrustedSources
    private let now: @Sendable () -> Date
    /// Where trigger calls' callbacks are queued; nil: modes that call back refuse (503).
    public var scheduler: CallbackScheduler?
    /// Refused triggers and lockouts, for /metrics.
    public var counters = SecurityCounters()

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

    /// Queues the callback a trigger call asks for (it was never answered). Who is called is
    /// the mode's decision, never the caller's: the caller ID for ANI and PIN, the account's
    /// forward number for a DID. The script's first nodes, run without media
    /// (`TriggerScriptRun`), may add what its `callback` verb says: delay, caller ID, the
    /// script and node the callback leg starts at, and a number written in the script.
    /// A repeat of the same trigger within `callback.idempotency-window` returns the
    /// request already queued. The caller ID and the source the router admitted the call
    /// from (`caller-source` in `entry.callVariables`) spend their trigger rate budget.
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
        let address = entry.callVariables[CallerTrust.sourceVariable]?.text ?? ""
        let requester = TriggerRequester(callerID: callerID, source: address.isEmpty ? nil : address)
        let order = CallbackScheduler.Order(
            trigger: trigger.callTrigger, account: trigger.account, number: number, numberSource: source,
            requester: requester, callerID: verb?.callerID, dialled: entry.accessNumber, campaign: entry.campaign,
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
