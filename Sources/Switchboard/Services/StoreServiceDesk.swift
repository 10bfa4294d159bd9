import Billing
import Dispatch
import Foundation
import IVR
import SIP
import Store

/// Answers the interpreter's service requests from the Store: accounts, caller IDs, rate
/// plans and balances (issue 4, "into the language"). No SQL here: only Store protocols.
///
/// The desk keeps no per-call state. The account a call is bound to is `$account.login`,
/// which `authenticate` put in the call's variables; every later request reads it back
/// from the context, so a request can never act on another call's account.
///
/// Store calls are synchronous and quick (indexed reads, one short write), so they run on
/// the calling task; password checks run PBKDF2 on purpose slowly and go to a dispatch
/// queue so they never hold a thread of the cooperative pool.
public struct StoreServiceDesk: ServiceDesk {
    /// What the desk reads and writes.
    public typealias Backend = AccountStore & BillingStore & CallerIDStore & RateStore & PINLockoutStore

    private let store: any Backend
    private let now: @Sendable () -> Date
    /// `callback.pin-lockout`: PIN and password guessing is refused (`locked`) per caller
    /// ID, and per account where the login is known, after too many failures.
    private let lockout: PINLockoutPolicy?
    /// The global `anumberhandling`, for a call whose variables do not carry its number's.
    private let anumberhandling: ANumberHandling
    /// Lockouts and failures, for /metrics.
    private let counters: SecurityCounters?

    public init(store: any Backend, lockout: PINLockoutPolicy? = nil, anumberhandling: ANumberHandling = .addAndAccept,
                counters: SecurityCounters? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.lockout = lockout
        self.anumberhandling = anumberhandling
        self.counters = counters
        self.now = now
    }

    public func answer(_ request: ServiceRequest, context: IVR.CallContext) async -> ServiceResult {
        await answer(request, context: context, accessLeg: nil)
    }

    public func answer(_ request: ServiceRequest, context: IVR.CallContext,
                       accessLeg: AccessLegReservation?) async -> ServiceResult {
        do {
            switch request {
            case let .authenticate(method, value):
                return try await authenticate(method: method, value: value, context: context)
            case .creditCheck(let destination):
                return try creditCheck(destination: destination, context: context, accessLeg: accessLeg)
            case .balance:
                let account = try boundAccount(context)
                return .balance(amount: account.balance.decimalAmount, currency: account.currency)
            case .rememberCaller(let callerID):
                return try rememberCaller(callerID, context: context)
            case .dial, .scheduleCallback:
                // Call control places calls and queues callbacks (DialPlan, CallbackScheduler);
                // a request that reaches the accounts desk was misrouted.
                return .failed(reason: "\(request) is handled by call control, not by the accounts desk")
            }
        } catch let failure as DeskFailure {
            return .failed(reason: failure.reason)
        } catch {
            return .failed(reason: "\(request): store error: \(error)")
        }
    }

    // MARK: - authenticate

    private func authenticate(method: AuthenticationMethod, value: String,
                              context: IVR.CallContext) async throws -> ServiceResult {
        // Withheld caller IDs share one bucket: sending none does not escape the count.
        let caller = AuthenticationFailureCounter.normalisedCallerID(context.caller)
        let source = context[CallerTrust.sourceVariable]?.text
        // Decided where the call arrived (CallRouter / CallbackTriggerDesk); missing means untrusted.
        let trust = CallerTrust(variable: context[CallerTrust.variable])
        switch method {
        case .pin:
            if try lockedOut(caller: caller, account: nil, source: source) { return .locked }
            let store = self.store
            let outcome = try await Self.offPool { try store.authenticate(pin: value) }
            return try counted(Self.result(outcome), caller: caller, account: nil, source: source)
        case .password:
            // The verb sends "<account number>:<password>", both typed as digits.
            guard let colon = value.firstIndex(of: ":") else { return .authenticationFailed }
            let login = String(value[..<colon])
            let password = String(value[value.index(after: colon)...])
            guard !login.isEmpty, !password.isEmpty else { return .authenticationFailed }
            let accountID = try store.account(login: login)?.id
            if try lockedOut(caller: caller, account: accountID, source: source) { return .locked }
            let store = self.store
            let result = Self.result(try await Self.offPool { try store.authenticate(login: login, password: password) })
            return try counted(result, caller: caller, account: accountID, source: source)
        case .ani:
            // A caller ID authenticates only when a trusted source vouched for it (or we
            // called the number ourselves) and the number's anumberhandling accepts (2, 3).
            guard trust.callerIDTrusted, handling(context).acceptsKnownCallerIDs else { return .authenticationFailed }
            let callerID = context[CallerTrust.callerIDVariable]?.text ?? value
            guard !callerID.isEmpty, let account = try store.account(callerID: callerID) else { return .authenticationFailed }
            return Self.result(account.state == .active ? .authenticated(account) : .locked(account))
        case .did:
            // The dialled number is the carrier's word only from a trusted source.
            guard trust.callerIDTrusted else { return .authenticationFailed }
            guard !value.isEmpty, let account = try store.account(personalDID: value) else { return .authenticationFailed }
            return Self.result(account.state == .active ? .authenticated(account) : .locked(account))
        case .sipDigest:
            // The router verified the INVITE's digest credentials (Callback/InviteDigestGate)
            // and put the login in the call's variables; nothing else sets it.
            guard let login = context["sip-digest-login"]?.text, !login.isEmpty,
                  let account = try store.account(login: login) else { return .authenticationFailed }
            return Self.result(account.state == .active ? .authenticated(account) : .locked(account))
        }
    }

    /// The call's number's anumberhandling, else the global one.
    private func handling(_ context: IVR.CallContext) -> ANumberHandling {
        if let value = context[CallerTrust.anumberhandlingVariable]?.text, let code = Int(value),
           let handling = ANumberHandling(rawValue: code) {
            return handling
        }
        return anumberhandling
    }

    private func lockedOut(caller: String?, account: Int64?, source: String?) throws -> Bool {
        guard let lockout else { return false }
        let locked = try lockout.check(store, callerID: caller, account: account, source: source, now: now()).isLocked
        if locked { counters?.pinLockout() }
        return locked
    }

    /// Counts a failure towards the lockout; a success clears the caller's (and account's) count.
    private func counted(_ result: ServiceResult, caller: String?, account: Int64?, source: String?) throws -> ServiceResult {
        guard lockout != nil else { return result }
        switch result {
        case .authenticationFailed:
            counters?.pinFailure()
            try store.recordPINFailure(callerID: caller, account: account, source: source, at: now())
        case .authenticated(let variables):
            let login = variables["login"]?.text
            let id = try login.flatMap { try store.account(login: $0)?.id } ?? account
            try store.clearPINFailures(callerID: caller, account: id)
        default:
            break
        }
        return result
    }

    static func result(_ outcome: AuthenticationOutcome) -> ServiceResult {
        switch outcome {
        case .authenticated(let account): return .authenticated(account: accountVariables(account))
        case .locked: return .locked
        case .rejected: return .authenticationFailed
        }
    }

    /// `$account` as scripts read it (scripts/README.md): login, balance (exact, the booked
    /// balance), currency, plan, forward, did.
    static func accountVariables(_ account: Account) -> [String: IVRValue] {
        var fields: [String: IVRValue] = [
            "login": .string(account.login),
            "balance": .number(account.balance.decimalAmount),
            "currency": .string(account.currency),
        ]
        if let plan = account.ratePlan { fields["plan"] = .string(plan) }
        if let forward = account.forwardNumber { fields["forward"] = .string(forward) }
        if let did = account.personalDID { fields["did"] = .string(did) }
        return fields
    }

    // MARK: - credit-check

    /// How long the bound account may call `destination`, from its free balance and its
    /// plan's rates. With `accessLeg`, the call's own access-leg reservation counts as
    /// available and the access leg's cost (already running) is counted alongside, exactly
    /// as the dial step's `openForward` (a resize of this reservation) will compute it.
    private func creditCheck(destination: String, context: IVR.CallContext,
                             accessLeg: AccessLegReservation?) throws -> ServiceResult {
        let account = try boundAccount(context)
        guard account.state == .active else { throw DeskFailure("credit-check: account \(account.login) is locked") }
        guard let planName = account.ratePlan else {
            throw DeskFailure("credit-check: account \(account.login) has no rate plan")
        }
        guard let plan = try store.ratePlan(named: planName) else {
            throw DeskFailure("credit-check: rate plan \"\(planName)\" of account \(account.login) does not exist")
        }
        let bRate: Rate
        do {
            bRate = try plan.rate(for: destination)
        } catch {
            return .credit(.blocked)   // the plan does not serve this destination
        }
        var available = try store.freeBalance(account: account.id!)
        var aRate: Rate?
        var aElapsed = 0
        if let accessLeg {
            available = try available.adding(accessLeg.amount)
            if plan.chargesALeg {
                aRate = try plan.rate(for: accessLeg.accessNumber)
                aElapsed = max(0, Int(now().timeIntervalSince(accessLeg.answeredAt).rounded(.down)))
            }
        }
        let duration = try MaximumDuration.compute(freeBalance: available, aLeg: aRate, aLegElapsedSeconds: aElapsed,
                                                   bLeg: bRate)
        guard duration.seconds > 0 else { return .credit(.insufficient) }
        return .credit(.ok(maxDurationSeconds: duration.seconds, ratePerMinute: bRate.perMinute.decimalAmount))
    }

    // MARK: - remember-caller

    /// Remembers the caller ID only where anumberhandling adds (1, 3) and the caller ID
    /// can be believed (a trusted source's, or the number we called back): a spoofed
    /// caller ID is never written down for a later ANI login. Otherwise nothing is stored
    /// and the script goes on.
    private func rememberCaller(_ callerID: String, context: IVR.CallContext) throws -> ServiceResult {
        let account = try boundAccount(context)
        guard handling(context).remembersCallerIDs, CallerTrust(variable: context[CallerTrust.variable]).callerIDTrusted else {
            return .done
        }
        let callerID = context[CallerTrust.callerIDVariable]?.text ?? callerID
        guard !callerID.isEmpty else { throw DeskFailure("remember-caller: the call has no caller ID") }
        do {
            _ = try store.authoriseCallerID(callerID, account: account.id!, at: now())
            return .done
        } catch let error as StoreError {
            throw DeskFailure("remember-caller: \(error)")
        }
    }

    // MARK: - Helpers

    /// The account `authenticate` bound to the call (`$account.login`), as stored now.
    private func boundAccount(_ context: IVR.CallContext) throws -> Account {
        guard let login = context.value(at: VariablePath(["account", "login"]))?.text, !login.isEmpty else {
            throw DeskFailure("no account is bound to the call: authenticate first")
        }
        guard let account = try store.account(login: login) else {
            throw DeskFailure("account \(login) no longer exists")
        }
        return account
    }

    /// Runs slow blocking work (PBKDF2) on a dispatch queue, not on the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// A request the desk refuses, with the reason the script's trace shows.
private struct DeskFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
