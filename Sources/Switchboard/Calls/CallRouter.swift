import Foundation
import Logging
import NIOCore
import SIP
import SIPStack

/// The UA core (RFC 3261 §8.2) above the endpoint: sends each request to the call it
/// belongs to, creates calls for INVITEs to access numbers, answers what needs no call.
/// Confined to the SIP event loop.
final class CallRouter: SIPTransactionUser, @unchecked Sendable {
    static let allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"

    let endpoint: SIPEndpoint
    private let services: CallServices
    private let logger: Logger
    private var catalog: ScriptCatalog
    private var callsByDialog: [SIPDialog.ID: InboundCall] = [:]
    private var callsByInvite: [ObjectIdentifier: InboundCall] = [:]
    /// Calls we placed (B legs): their in-dialog requests, ACKs and stray 2xx go to them.
    let outboundCalls = OutboundCallRegistry()
    /// Trunks and B-leg billing for `dial`; nil: scripts' dials go to the service desk.
    var dialPlan: DialPlan?
    /// The registrar; nil: REGISTER is answered 405 (no credentials to check against).
    var registrations: RegistrationService?

    init(endpoint: SIPEndpoint, catalog: ScriptCatalog, services: CallServices, logger: Logger) {
        self.endpoint = endpoint
        self.catalog = catalog
        self.services = services
        self.logger = logger
    }

    /// Calls in progress (for metrics and shutdown).
    var activeCalls: Int { callsByInvite.count }

    var catalogAccessNumbers: [String] { catalog.accessNumbers }

    func replaceCatalog(_ catalog: ScriptCatalog) {
        self.catalog = catalog
    }

    func contactURI(for transport: SIPTransportKind) -> SIPURI {
        let local = endpoint.advertisedAddress(for: transport)
        var uri = SIPURI(scheme: "sip", user: "switchback", host: local.host, port: local.port)
        if transport == .tcp { uri.parameters.append(SIPParameter(name: "transport", value: "tcp")) }
        return uri
    }

    /// Where in-dialog requests go: the dialog's next hop, over the transport it came on.
    func destination(for dialog: SIPDialog, flow: SIPFlow) -> SIPDestination {
        let hop = dialog.nextHop
        let transport: SIPTransportKind = hop.parameter("transport")?.value?.lowercased() == "tcp" ? .tcp : flow.transport
        return SIPDestination(transport: transport, host: hop.host, port: hop.port ?? 5060)
    }

    func register(_ call: InboundCall, dialog: SIPDialog.ID) {
        callsByDialog[dialog] = call
    }

    func remove(_ call: InboundCall) {
        callsByInvite[ObjectIdentifier(call.invite)] = nil
        if let id = call.dialog?.id, callsByDialog[id] === call { callsByDialog[id] = nil }
    }

    // MARK: - SIPTransactionUser

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        let inDialog = request.to?.tag != nil
        if inDialog, outboundCalls.handle(request, in: transaction) { return }
        switch request.method {
        case .invite where !inDialog:
            newCall(transaction)
        case .invite:
            guard let call = call(for: request, transaction) else { return }
            call.reinvite(transaction)
        case .bye:
            guard let call = call(for: request, transaction) else { return }
            call.remoteHangup(transaction)
        case .info:
            guard let call = call(for: request, transaction) else { return }
            call.info(transaction)
        case .options:
            transaction.respond(status: 200, headers: [
                ("Allow", Self.allowedMethods), ("Accept", "application/sdp"), ("Accept-Language", "en"),
            ])
        case .register where registrations != nil:
            registrations?.handle(transaction)
        case .register, .subscribe, .notify, .refer, .message, .publish, .prack, .update:
            transaction.respond(status: 405, headers: [("Allow", Self.allowedMethods)])
        default:
            transaction.respond(status: 501, headers: [("Allow", Self.allowedMethods)])
        }
    }

    private func call(for request: SIPRequest, _ transaction: ServerTransaction) -> InboundCall? {
        guard let id = SIPDialog.ID(incoming: request), let call = callsByDialog[id] else {
            transaction.respond(status: 481)
            return nil
        }
        return call
    }

    private func newCall(_ transaction: ServerTransaction) {
        let request = transaction.request
        let number = request.uri.user ?? ""
        guard let entry = catalog.entry(forAccessNumber: number) else {
            logger.info("call to unknown number", metadata: ["to": "\(number)", "call-id": "\(request.callID ?? "")"])
            transaction.respond(status: 404, reason: "Not Found (no access number \(number))")
            return
        }
        let call = InboundCall(invite: transaction, entry: entry, router: self, services: services)
        callsByInvite[ObjectIdentifier(transaction)] = call
        call.start()
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        if outboundCalls.handleACK(ack) { return }
        guard let id = SIPDialog.ID(incoming: ack), let call = callsByDialog[id] else { return }
        call.ackReceived(ack)
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {
        callsByInvite[ObjectIdentifier(transaction)]?.cancelled()
    }

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {
        callsByInvite[ObjectIdentifier(transaction)]?.answerTimedOut()
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {
        if outboundCalls.handleStray(response) { return }
        logger.debug("response matches no transaction", metadata: [
            "status": "\(response.statusCode)", "call-id": "\(response.callID ?? "")", "from": "\(flow)",
        ])
    }
}
