import Foundation
import Logging
import NIOCore
import SIP
import SIPStack

/// The registrar of `switchback serve` (RFC 3261 §10.3): REGISTER with Digest
/// authentication against an account's HA1, bindings with expiry, several contacts per
/// user, un-REGISTER. The pure `Registrar` decides; this class fetches the HA1
/// (asynchronously: the lookup may hit the database) and sends the answer.
///
/// Confined to the SIP event loop. A user's registered contacts are its "port": what a
/// call to the user tries first (`contacts(of:)`).
final class RegistrationService: @unchecked Sendable {
    private var registrar: Registrar
    private let credentials: any SIPCredentialsLookup
    private let eventLoop: any EventLoop
    private let logger: Logger

    /// - Parameters:
    ///   - domain: our SIP domain, also the Digest realm (the accounts' HA1s are computed with it).
    ///   - lockout: digest failures per username, caller ID and source that lock out (`sip.digest-lockout`).
    init(domain: String, credentials: any SIPCredentialsLookup, eventLoop: any EventLoop, logger: Logger,
         lockout: SwitchbackConfiguration.Lockout = SwitchbackConfiguration.SIP().digestLockout) {
        var secret = [UInt8](repeating: 0, count: 32)
        for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max) }
        registrar = Registrar(configuration: .init(realm: domain, domain: domain), nonces: DigestNonces(secret: secret),
                              failures: AuthenticationFailureCounter(limit: lockout.attempts, period: lockout.seconds))
        self.credentials = credentials
        self.eventLoop = eventLoop
        self.logger = logger
    }

    var realm: String { registrar.configuration.realm }
    /// When expired nonces and old failures were last forgotten.
    private var lastPrune = Date.distantPast

    /// REGISTERs refused because a username, caller ID or source was locked out, and digest
    /// failures counted (for /metrics).
    var digestCounters: (lockouts: Int, failures: Int) {
        (registrar.authority.lockoutRefusals, registrar.authority.failuresCounted)
    }

    /// Handles one REGISTER; responds once, possibly after the HA1 lookup.
    func handle(_ transaction: ServerTransaction) {
        eventLoop.preconditionInEventLoop()
        guard let identity = registrar.credentialsIdentity(of: transaction.request) else {
            finish(transaction, ha1: nil)   // no credentials for our realm: the registrar challenges
            return
        }
        let credentials = self.credentials
        let service = LoopWeakReference(self)
        let eventLoop = self.eventLoop
        Task {
            let ha1 = await credentials.ha1(username: identity.username, realm: identity.realm)
            eventLoop.execute { service.value?.finish(transaction, ha1: ha1) }
        }
    }

    /// The current bindings of `user` (most preferred first), expired ones left out.
    func contacts(of user: String, now: Date = Date()) -> [LocationBinding] {
        registrar.location.bindings(for: AddressOfRecord(user: user, domain: registrar.configuration.domain), now: now)
    }

    private func finish(_ transaction: ServerTransaction, ha1: String?) {
        let request = transaction.request
        let now = Date()
        _ = registrar.location.sweep(now: now)
        if now.timeIntervalSince(lastPrune) > 60 {
            registrar.pruneAuthentication(now: now)
            lastPrune = now
        }
        let source = SIPDestination(transport: transaction.flow.transport, host: transaction.flow.remoteHost,
                                    port: transaction.flow.remotePort)
        let result = registrar.handle(request, now: now, source: source) { _, _ in ha1 }
        transaction.respond(result.response)
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
            metadata["contacts"] = "\(bindings.map { $0.contact.description }.joined(separator: " "))"
            logger.info(bindings.isEmpty ? "unregistered" : "registered", metadata: metadata)
        }
    }
}
