import Foundation
import SIP

/// The REGISTER processing of RFC 3261 §10.3, as a value: a request, the time, and
/// the stored HA1 in; the response out, the location service updated. No store and no
/// clock of its own: the caller looks the HA1 up (`credentialsIdentity(of:)` says
/// whose, so an asynchronous store can be asked first) and keeps the registrar.
///
/// In order (§10.3): authenticate (401 with a Digest challenge, §22.4; wrong
/// credentials 403), authorise (a user registers only its own AOR, else 403), the AOR
/// from To (404 for a domain not served here), the Contacts (`*` only alone and with
/// Expires 0, else 400; an interval below the minimum 423 with Min-Expires; above the
/// maximum it is shortened), then all bindings or none (§10.3 step 7: a same-Call-ID
/// CSeq not higher than the binding's is 400). The 200 lists every current binding
/// with its remaining `expires` (step 8). A Path (RFC 3327) is kept with the bindings
/// (the route to the phone through the edge proxy) and returned in the 200.
public struct Registrar: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The Digest realm of our challenges (the HA1s are computed with it).
        public var realm: String
        /// The domain of our addresses-of-record: every host accepted in To maps here,
        /// so `sip:alice@192.0.2.1` and `sip:alice@switchback.local` are one AOR.
        public var domain: String
        /// Hosts besides `domain` a REGISTER's To may name (our addresses); empty
        /// accepts any host (a single-domain server reached by IP).
        public var acceptedHosts: Set<String>
        /// Shortest interval accepted (423 below it, §10.3 step 7).
        public var minimumExpires: Int
        /// Longest interval granted; longer requests are shortened.
        public var maximumExpires: Int
        /// Interval when neither the Contact nor the request says (§10.2.1.1 leaves it to us).
        public var defaultExpires: Int
        /// The Digest algorithm we challenge with; the HA1s must be of this hash.
        public var algorithm: DigestAlgorithm

        public init(realm: String, domain: String, acceptedHosts: Set<String> = [], minimumExpires: Int = 60,
                    maximumExpires: Int = 3600, defaultExpires: Int = 3600, algorithm: DigestAlgorithm = .md5) {
            self.realm = realm
            self.domain = domain
            self.acceptedHosts = acceptedHosts
            self.minimumExpires = minimumExpires
            self.maximumExpires = maximumExpires
            self.defaultExpires = defaultExpires
            self.algorithm = algorithm
        }
    }

    public var configuration: Configuration
    public var location: LocationService
    /// Nonces issued per source with their `nc`, the `uri` check and the failure lockout
    /// (RFC 7616; issue 11).
    public private(set) var authority: DigestAuthority
    public var nonces: DigestNonces { authority.nonces }

    public init(configuration: Configuration, nonces: DigestNonces, location: LocationService = LocationService(),
                failures: AuthenticationFailureCounter = AuthenticationFailureCounter()) {
        self.configuration = configuration
        self.location = location
        authority = DigestAuthority(realm: configuration.realm, nonces: nonces, algorithm: configuration.algorithm,
                                    failures: failures)
    }

    /// Forgets expired nonces and old failures (the service calls it with its sweep).
    public mutating func pruneAuthentication(now: Date) {
        authority.prune(now: now)
    }

    /// The username and realm of the credentials `handle` will check, if the request
    /// carries any for our realm: what to fetch the HA1 of before calling it.
    public func credentialsIdentity(of request: SIPRequest) -> (username: String, realm: String)? {
        credentials(in: request).map { ($0.username, $0.realm) }
    }

    /// Processes one REGISTER. `ha1` is asked at most once, for the credentials' username
    /// and our realm; nil means no such user (answered like a wrong password). `source`
    /// is where the request came from, kept with each binding. `toTag` is for the response.
    public mutating func handle(_ request: SIPRequest, now: Date, source: SIPDestination? = nil,
                                toTag: String = SIPEndpoint.makeTag(),
                                ha1: (_ username: String, _ realm: String) -> String?) -> RegistrarResult {
        func refuse(_ status: Int, _ detail: String, headers: [(String, String)] = []) -> RegistrarResult {
            var response = SIPResponse(replyingTo: request, statusCode: status,
                                       reasonPhrase: SIPEndpoint.reasonPhrase(status, detail), toTag: toTag)
            for (name, value) in headers { response.headers.add(name, value) }
            return RegistrarResult(response: response, outcome: .refused(status: status, reason: detail))
        }
        func challenge(_ challenge: DigestChallenge) -> RegistrarResult {
            let stale = challenge.stale
            var response = SIPResponse(replyingTo: request, statusCode: 401, toTag: toTag)
            response.headers.add("WWW-Authenticate", challenge.description)
            return RegistrarResult(response: response, outcome: .challenged(stale: stale))
        }

        guard request.method == .register else {
            return refuse(405, "a registrar takes REGISTER only", headers: [("Allow", "REGISTER")])
        }

        // §10.3 step 3, §22.4: authenticate (the nonce bound to the source address, `nc`
        // increasing, `uri` the Request-URI, failures counted and locked out).
        let credentials = credentials(in: request)
        let sourceAddress = source?.host ?? ""
        let stored = credentials.flatMap { $0.algorithm == configuration.algorithm ? ha1($0.username, $0.realm) : nil }
        switch authority.authenticate(credentials, method: "REGISTER", requestURI: request.uri, ha1: stored,
                                      callerID: request.from?.uri.user, source: sourceAddress, now: now) {
        case .authenticated: break
        case .challenge(let value): return challenge(value)
        case .refuse(let status, let reason, _): return refuse(status, reason)
        }
        guard let credentials else { return challenge(authority.challenge(source: sourceAddress, now: now)) }

        // §10.3 step 5 (and step 1 for the Request-URI): the address-of-record.
        guard let to = request.to, let named = AddressOfRecord(to.uri) else {
            return refuse(400, "To must be a SIP URI with a user part")
        }
        guard serves(named.domain) else { return refuse(404, "domain \(named.domain) is not served here") }
        if request.uri.isSIP, !serves(request.uri.host.lowercased()) {
            return refuse(404, "Request-URI domain \(request.uri.host) is not served here")
        }
        let aor = AddressOfRecord(user: named.user, domain: configuration.domain)

        // §10.3 step 4: a user registers its own address only.
        guard credentials.username == aor.user else {
            return refuse(403, "user \(credentials.username) may not register \(aor)")
        }

        guard let callID = request.callID, let cseq = request.cseq else { return refuse(400, "missing Call-ID or CSeq") }
        let contactValues = request.headers.values("Contact")

        // RFC 3327 §5.3: the Path the proxies (Kamailio's add_path) put on the way in is
        // kept with the bindings and becomes the route set of requests to the phone.
        var path = [SIPURI]()
        for value in request.headers.values("Path") {
            guard let hop = try? SIPNameAddress(parsing: value, header: "Path") else {
                return refuse(400, "Path \"\(value)\" is not a valid name-addr")
            }
            path.append(hop.uri)
        }

        // A query: no Contact, nothing changes (§10.2.3).
        if contactValues.isEmpty {
            return accepted(request, aor: aor, bindings: location.bindings(for: aor, now: now), now: now, toTag: toTag)
        }

        // §10.3 step 6: the wildcard.
        if contactValues.contains("*") {
            guard contactValues.count == 1, request.headers["Expires"] != nil, request.expires == 0 else {
                return refuse(400, "Contact * must be alone and come with Expires: 0")
            }
            do throws(LocationServiceError) {
                try location.removeAll(for: aor, callID: callID, cseq: cseq.sequence, now: now)
            } catch {
                return refuse(400, error.description)
            }
            return accepted(request, aor: aor, bindings: [], now: now, toTag: toTag)
        }

        // §10.3 step 7: each contact's interval and preference.
        let contacts = request.contacts
        guard contacts.count == contactValues.count else { return refuse(400, "a Contact is not a valid name-addr") }
        var registrations = [ContactRegistration]()
        for contact in contacts {
            var interval: Int
            if let parameter = contact.parameter("expires") {
                guard let value = parameter.value, let seconds = Int(value), seconds >= 0 else {
                    return refuse(400, "Contact <\(contact.uri)> has an invalid expires parameter")
                }
                interval = seconds
            } else if request.headers["Expires"] != nil {
                guard let seconds = request.expires else { return refuse(400, "invalid Expires header") }
                interval = seconds
            } else {
                interval = configuration.defaultExpires
            }
            if interval > 0 && interval < configuration.minimumExpires {
                return refuse(423, "\(interval) s for <\(contact.uri)>, minimum \(configuration.minimumExpires) s",
                              headers: [("Min-Expires", "\(configuration.minimumExpires)")])
            }
            interval = min(interval, configuration.maximumExpires)
            var q: QValue?
            if let parameter = contact.parameter("q") {
                guard let value = parameter.value, let parsed = QValue(parsing: value) else {
                    return refuse(400, "Contact <\(contact.uri)> has an invalid q parameter")
                }
                q = parsed
            }
            registrations.append(ContactRegistration(contact: contact.uri, expiresIn: interval, q: q, source: source,
                                                     userAgent: request.headers["User-Agent"], path: path))
        }
        do throws(LocationServiceError) {
            let bindings = try location.register(aor, contacts: registrations, callID: callID, cseq: cseq.sequence, now: now)
            return accepted(request, aor: aor, bindings: bindings, now: now, toTag: toTag)
        } catch {
            switch error {
            case .outOfOrder: return refuse(400, error.description)
            case .tooManyBindings: return refuse(403, error.description)
            }
        }
    }

    /// §10.3 step 8: 200 with every current binding and its remaining time, and Date.
    private func accepted(_ request: SIPRequest, aor: AddressOfRecord, bindings: [LocationBinding], now: Date,
                          toTag: String) -> RegistrarResult {
        var response = SIPResponse(replyingTo: request, statusCode: 200, toTag: toTag)
        for binding in bindings {
            var value = "<\(binding.contact)>;expires=\(binding.remainingSeconds(at: now))"
            if let q = binding.q { value += ";q=\(q)" }
            response.headers.add("Contact", value)
        }
        response.headers.add("Date", Self.httpDate(now))
        // RFC 3327 §5.3: the registrar returns the Path it stored, so the phone (and the
        // edge) see which route its incoming requests will take.
        for value in request.headers.values("Path") { response.headers.add("Path", value) }
        return RegistrarResult(response: response, outcome: .accepted(aor, bindings: bindings))
    }

    /// The Authorization for our realm (a request may carry several, §22.4).
    private func credentials(in request: SIPRequest) -> DigestCredentials? {
        request.headers.values("Authorization")
            .compactMap { try? DigestCredentials(parsing: $0) }
            .first { $0.realm == configuration.realm }
    }

    private func serves(_ host: String) -> Bool {
        configuration.acceptedHosts.isEmpty || host == configuration.domain.lowercased()
            || configuration.acceptedHosts.contains { $0.lowercased() == host }
    }

    /// RFC 1123 date in GMT, as RFC 3261 §20.17 wants it: `Sat, 13 Nov 2010 23:29:00 GMT`.
    static func httpDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }
}
