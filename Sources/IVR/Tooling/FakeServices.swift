import Foundation

/// In-memory stand-ins for accounts, billing and call control, for `switchback simulate`
/// (and tests): the same requests live calls send, answered from a small configuration.
/// Money stays `Decimal`.
public struct FakeServices: Sendable {
    public struct Account: Sendable {
        public var login: String
        public var pin: String
        public var password: String
        public var balance: Decimal
        public var currency: String
        /// Caller IDs that authenticate by ANI (grows with `remember-caller`).
        public var callerIDs: Set<String>
        /// The account's personal DID (DID authentication).
        public var did: String?
        /// Whether the call arrived with valid SIP digest credentials of this account.
        public var sipAuthenticated: Bool
        /// The predefined number DID callbacks call (`$account.forward`).
        public var forward: String?

        public init(login: String, pin: String = "123456", password: String = "1234", balance: Decimal = 10,
                    currency: String = "USD", callerIDs: Set<String> = [], did: String? = nil, sipAuthenticated: Bool = false,
                    forward: String? = nil) {
            self.forward = forward
            self.login = login
            self.pin = pin
            self.password = password
            self.balance = balance
            self.currency = currency
            self.callerIDs = callerIDs
            self.did = did
            self.sipAuthenticated = sipAuthenticated
        }

        var record: [String: IVRValue] {
            var fields: [String: IVRValue] = ["login": .string(login), "balance": .number(balance), "currency": .string(currency)]
            if let forward { fields["forward"] = .string(forward) }
            if let did { fields["did"] = .string(did) }
            return fields
        }
    }

    public var account: Account?
    /// Per-minute rate of every destination.
    public var ratePerMinute: Decimal
    public var blockedPrefixes: [String]
    /// How successive `dial`s end; `ended` once these are used up.
    public var dialOutcomes: [DialOutcome]
    /// The account the call is authenticated as.
    public private(set) var bound: Account?
    /// Wrong PIN/password answers in a row; the account locks after `lockAfter`.
    public var lockAfter: Int
    private var failures = 0

    public init(account: Account? = nil, ratePerMinute: Decimal = Decimal(string: "0.10")!, blockedPrefixes: [String] = [],
                dialOutcomes: [DialOutcome] = [], lockAfter: Int = 5, bound: Account? = nil) {
        self.account = account
        self.ratePerMinute = ratePerMinute
        self.blockedPrefixes = blockedPrefixes
        self.dialOutcomes = dialOutcomes
        self.lockAfter = lockAfter
        self.bound = bound
    }

    public mutating func answer(_ request: ServiceRequest) -> ServiceResult {
        switch request {
        case let .authenticate(method, value):
            guard let account else { return .authenticationFailed }
            if failures >= lockAfter { return .locked }
            let matches: Bool
            switch method {
            case .sipDigest: matches = account.sipAuthenticated
            case .ani: matches = account.callerIDs.contains(value)
            case .did: matches = account.did == value
            case .pin: matches = account.pin == value
            case .password: matches = value == "\(account.login):\(account.password)"
            }
            guard matches else {
                if method == .pin || method == .password { failures += 1 }
                return failures >= lockAfter ? .locked : .authenticationFailed
            }
            failures = 0
            bound = account
            return .authenticated(account: account.record)
        case .creditCheck(let destination):
            if blockedPrefixes.contains(where: destination.hasPrefix) { return .credit(.blocked) }
            guard let bound else { return .credit(.insufficient) }
            guard ratePerMinute > 0 else { return .credit(.ok(maxDurationSeconds: 14_400, ratePerMinute: 0)) }
            let seconds = NSDecimalNumber(decimal: bound.balance * 60 / ratePerMinute).intValue
            return seconds >= 60 ? .credit(.ok(maxDurationSeconds: min(seconds, 14_400), ratePerMinute: ratePerMinute)) : .credit(.insufficient)
        case .balance:
            guard let bound else { return .failed(reason: "no account is bound") }
            return .balance(amount: bound.balance, currency: bound.currency)
        case .dial:
            return .dialEnded(dialOutcomes.isEmpty ? .ended : dialOutcomes.removeFirst())
        case .scheduleCallback:
            return .done
        case .rememberCaller(let callerID):
            guard bound != nil else { return .failed(reason: "no account is bound") }
            bound?.callerIDs.insert(callerID)
            account?.callerIDs.insert(callerID)
            return .done
        }
    }
}
