import Foundation
import Logging
import NIOCore
import SIP
import SIPStack
import Synchronization

/// The registrar of `switchback serve` (RFC 3261 §10.3): REGISTER with Digest
/// authentication against an account's HA1, bindings with expiry, several contacts per
/// user, un-REGISTER. The pure `Registrar` decides; this class fetches the HA1
/// (asynchronously: the lookup may hit the database) and sends the answer.
///
/// Shared by every SIP event loop (`sip.event-loops`): the registrar's state is behind a
/// lock, and each REGISTER is answered on its transaction's loop. A user's registered
/// contacts are its "port": what a call to the user tries first (`contacts(of:)`).
///
/// With `persistence`, bindings survive a restart: `restoreBindings()` loads them at
/// start, and every accepted REGISTER writes its address-of-record's bindings before
/// the 200 goes out (so a phone told "registered" is registered in the store too). The
/// writes run in order on one serial queue, off the event loop.
final class RegistrationService: @unchecked Sendable {
    /// The registrar, and when expired nonces and old failures were last forgotten.
    private struct State {
        var registrar: Registrar
        var lastPrune = Date.distantPast
    }
    private let state: Mutex<State>
    private let configuration: Registrar.Configuration
    private let credentials: any SIPCredentialsLookup
    private let logger: Logger
    private let persistence: (any LocationBindingPersistence)?
    private let persistenceQueue = DispatchQueue(label: "switchback.registration-bindings")

    /// - Parameters:
    ///   - domain: our SIP domain, also the Digest realm (the accounts' HA1s are computed with it).
    ///   - lockout: digest failures per username, caller ID and source that lock out (`sip.digest-lockout`).
    init(domain: String, credentials: any SIPCredentialsLookup, logger: Logger,
         lockout: SwitchbackConfiguration.Lockout = SwitchbackConfiguration.SIP().digestLockout,
         persistence: (any LocationBindingPersistence)? = nil) {
        var secret = [UInt8](repeating: 0, count: 32)
        for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max) }
        let registrar = Registrar(configuration: .init(realm: domain, domain: domain), nonces: DigestNonces(secret: secret),
                                  failures: AuthenticationFailureCounter(limit: lockout.attempts, period: lockout.seconds))
        configuration = registrar.configuration
        state = Mutex(State(registrar: registrar))
        self.credentials = credentials
        self.logger = logger
        self.persistence = persistence
    }

    /// Loads the bindings the store kept (those still live at `now`) and deletes the
    /// expired ones; call before the endpoint takes requests. Returns how many were restored.
    @discardableResult
    func restoreBindings(now: Date = Date()) throws -> Int {
        guard let persistence else { return 0 }
        let removed = try persistence.deleteExpiredBindings(now: now)
        let stored = try persistence.loadBindings(now: now)
        var restored = 0
        state.withLock { state in
            for (aor, bindings) in stored.sorted(by: { $0.key < $1.key }) {
                restored += state.registrar.location.restore(aor, bindings: bindings, now: now)
            }
        }
        logger.info("registrations restored", metadata: ["bindings": "\(restored)", "addresses": "\(stored.count)",
                                                         "expired-deleted": "\(removed)"])
        return restored
    }

    var realm: String { configuration.realm }

    /// REGISTERs refused because a username, caller ID or source was locked out, and digest
    /// failures counted (for /metrics).
    var digestCounters: (lockouts: Int, failures: Int) {
        state.withLock { ($0.registrar.authority.lockoutRefusals, $0.registrar.authority.failuresCounted) }
    }

    /// Handles one REGISTER; responds once, possibly after the HA1 lookup. `source` is
    /// where it came from (behind an edge proxy, the phone's address the edge names):
    /// nonces are bound to it and failures counted per it. Nil: the transport source.
    func handle(_ transaction: ServerTransaction, source: SIPDestination? = nil) {
        let eventLoop = transaction.eventLoop
        eventLoop.preconditionInEventLoop()
        guard let identity = state.withLock({ $0.registrar.credentialsIdentity(of: transaction.request) }) else {
            finish(transaction, ha1: nil, source: source)   // no credentials for our realm: the registrar challenges
            return
        }
        let credentials = self.credentials
        let service = LoopWeakReference(self)
        Task {
            let ha1 = await credentials.ha1(username: identity.username, realm: identity.realm)
            eventLoop.execute { service.value?.finish(transaction, ha1: ha1, source: source) }
        }
    }

    /// The current bindings of `user` (most preferred first), expired ones left out. With
    /// `stored` (what `storedContactsLookup(of:)` read) those are the truth: every accepted
    /// REGISTER is written to the store before its 200, so the store has this node's
    /// bindings and those of every node sharing it, and none another node removed since.
    /// Nil (no store, or it could not be read): this node's own memory.
    func contacts(of user: String, stored: [LocationBinding]? = nil, now: Date = Date()) -> [LocationBinding] {
        if let stored { return LocationService.preferred(stored, now: now) }
        let aor = address(of: user)
        return state.withLock { $0.registrar.location.bindings(for: aor, now: now) }
    }

    /// Reads `user`'s bindings from the store, to run off the event loop: with a store
    /// that several nodes share, a phone registered through another node is callable
    /// from this one (the node's memory knows only its own REGISTERs). The lookup gives
    /// nil when the store cannot be read (logged). Nil without a store.
    func storedContactsLookup(of user: String) -> (@Sendable () -> [LocationBinding]?)? {
        guard let persistence else { return nil }
        let aor = address(of: user)
        let logger = self.logger
        return {
            do {
                return try persistence.loadBindings(of: aor, now: Date())
            } catch {
                logger.error("registrations not read from the store, using this node's own",
                             metadata: ["aor": "\(aor)", "error": "\(error)"])
                return nil
            }
        }
    }

    private func address(of user: String) -> AddressOfRecord {
        AddressOfRecord(user: user, domain: configuration.domain)
    }

    /// Expired bindings are already invisible; this keeps the table from growing.
    private func deleteExpiredBindings(now: Date) {
        guard let persistence else { return }
        let logger = self.logger
        persistenceQueue.async {
            do {
                _ = try persistence.deleteExpiredBindings(now: now)
            } catch {
                logger.error("expired registrations not deleted", metadata: ["error": "\(error)"])
            }
        }
    }

    private func finish(_ transaction: ServerTransaction, ha1: String?, source: SIPDestination?) {
        let request = transaction.request
        let now = Date()
        let source = source ?? SIPDestination(transport: transaction.flow.transport, host: transaction.flow.remoteHost,
                                              port: transaction.flow.remotePort)
        let (result, prune) = state.withLock { state in
            _ = state.registrar.location.sweep(now: now)
            let prune = now.timeIntervalSince(state.lastPrune) > 60
            if prune {
                state.registrar.pruneAuthentication(now: now)
                state.lastPrune = now
            }
            return (state.registrar.handle(request, now: now, source: source) { _, _ in ha1 }, prune)
        }
        if prune { deleteExpiredBindings(now: now) }
        if case .accepted(let aor, let bindings) = result.outcome, !request.headers.values("Contact").isEmpty,
           let persistence {
            // A change (not a query): stored before the phone is told.
            let logger = self.logger
            let eventLoop = transaction.eventLoop
            persistenceQueue.async {
                do {
                    try persistence.saveBindings(bindings, of: aor)
                } catch {
                    logger.error("registration not stored", metadata: ["aor": "\(aor)", "error": "\(error)"])
                }
                eventLoop.execute { transaction.respond(result.response) }
            }
        } else {
            transaction.respond(result.response)
        }
        var metadata: Logger.Metadata = ["call-id": "\(request.callID ?? "")", "from": "\(transaction.flow)",
                                         "status": "\(result.response.statusCode)"]
        switch result.outcome {
        case .challenged(let stale):
            metadata["stale"] = "\(stale)"
            logger.debug("register challenged", metadata: metadata)
        case .refused(_, let reason):
            metadata["reason"] = "\(reason)"
            logger.info("register refused", metadata: metadata)
        case .accepted(let aor, let bindings):
            metadata["aor"] = "\(aor)"
            metadata["source"] = "\(source)"
            if let path = bindings.first?.routeSet, !path.isEmpty { metadata["path"] = "\(path.joined(separator: ", "))" }
            metadata["contacts"] = "\(bindings.map { $0.contact.description }.joined(separator: " "))"
            logger.info(bindings.isEmpty ? "unregistered" : "registered", metadata: metadata)
        }
    }
}
