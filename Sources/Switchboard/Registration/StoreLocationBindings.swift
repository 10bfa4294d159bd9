import Foundation
import SIP
import SIPStack
import Store

/// The registrar's `LocationBindingPersistence` on the store's `RegistrationBindingStore`:
/// translates bindings to plain rows and back, so neither side knows the other.
///
/// The source a REGISTER came on is kept for UDP only: the restarted server listens on
/// the same socket, so a phone behind NAT is still reached at its public address and
/// port. A TCP connection dies with the process; its binding comes back reached at the
/// Contact (a new connection), as the phone's own address is all that is left.
struct StoreLocationBindings: LocationBindingPersistence {
    let store: any RegistrationBindingStore
    /// Told of each stored row that cannot be read back (it is skipped, the others load).
    var unreadable: @Sendable (StoredBindingError) -> Void = { _ in }

    func loadBindings(now: Date) throws -> [AddressOfRecord: [LocationBinding]] {
        var bindings: [AddressOfRecord: [LocationBinding]] = [:]
        for row in try store.registrationBindings(liveAt: now) {
            do throws(StoredBindingError) {
                let binding = try Self.binding(row)
                bindings[AddressOfRecord(user: row.user, domain: row.domain), default: []].append(binding)
            } catch {
                unreadable(error)
            }
        }
        return bindings
    }

    func loadBindings(of aor: AddressOfRecord, now: Date) throws -> [LocationBinding] {
        try store.registrationBindings(user: aor.user, domain: aor.domain, liveAt: now).compactMap { row in
            do throws(StoredBindingError) { return try Self.binding(row) } catch {
                unreadable(error)
                return nil
            }
        }
    }

    func saveBindings(_ bindings: [LocationBinding], of aor: AddressOfRecord) throws {
        try store.replaceRegistrationBindings(user: aor.user, domain: aor.domain,
                                              with: bindings.map { Self.row($0, of: aor) })
    }

    func deleteExpiredBindings(now: Date) throws -> Int {
        try store.deleteRegistrationBindings(expiredAt: now)
    }

    static func row(_ binding: LocationBinding, of aor: AddressOfRecord) -> RegistrationBinding {
        let source = binding.source.flatMap { $0.transport == .udp ? $0 : nil }
        return RegistrationBinding(user: aor.user, domain: aor.domain, contact: binding.contact.description,
                                   expiresAt: binding.expires, qThousandths: binding.q?.thousandths, callID: binding.callID,
                                   cseq: Int64(binding.cseq), registeredAt: binding.registeredAt,
                                   sourceTransport: source?.transport.rawValue, sourceHost: source?.host,
                                   sourcePort: source?.port, userAgent: binding.userAgent,
                                   path: binding.path.isEmpty ? nil : binding.routeSet.joined(separator: ", "))
    }

    static func binding(_ row: RegistrationBinding) throws(StoredBindingError) -> LocationBinding {
        let contact: SIPURI
        do { contact = try SIPURI(parsing: row.contact) } catch {
            throw StoredBindingError(row: row, problem: "contact \"\(row.contact)\" is not a SIP URI (\(error))")
        }
        guard let cseq = UInt32(exactly: row.cseq) else {
            throw StoredBindingError(row: row, problem: "CSeq \(row.cseq) is out of range")
        }
        var q: QValue?
        if let thousandths = row.qThousandths {
            guard let value = QValue(thousandths: thousandths) else {
                throw StoredBindingError(row: row, problem: "q \(thousandths)/1000 is out of range")
            }
            q = value
        }
        var source: SIPDestination?
        if let transport = row.sourceTransport, let host = row.sourceHost, let port = row.sourcePort {
            guard let kind = SIPTransportKind(rawValue: transport), kind == .udp else {
                throw StoredBindingError(row: row, problem: "source transport \(transport) is not UDP")
            }
            source = SIPDestination(transport: kind, host: host, port: port)
        }
        var path = [SIPURI]()
        if let stored = row.path {
            var headers = SIPHeaders()
            headers.add("Path", stored)
            for value in headers.values("Path") {
                guard let hop = try? SIPNameAddress(parsing: value, header: "Path") else {
                    throw StoredBindingError(row: row, problem: "path \"\(value)\" is not a name-addr")
                }
                path.append(hop.uri)
            }
        }
        return LocationBinding(contact: contact, expires: row.expiresAt, q: q, callID: row.callID, cseq: cseq,
                               registeredAt: row.registeredAt, source: source, userAgent: row.userAgent, path: path)
    }
}

/// A stored registration binding that cannot be read back (edited by hand, or written
/// by a newer version): names the row and what is wrong with it.
struct StoredBindingError: Error, CustomStringConvertible {
    let row: RegistrationBinding
    let problem: String

    var description: String {
        "registration binding \(row.id.map(String.init) ?? "?") of \(row.user)@\(row.domain): \(problem)"
    }
}
