import Billing
import Foundation

/// Whether an account may authenticate and place calls.
public enum AccountState: String, Codable, Sendable, CaseIterable {
    case active
    case locked
}

/// How calls to an account's user reach its forward number (DESIGN.md, callback service 1:
/// "if not registered or no answer, their forward number — fork or sequential"). The
/// user's registered SIP contacts (its "port") are always tried first.
public enum ForwardMode: String, Codable, Sendable, CaseIterable {
    /// Never forward: only the registered phone rings.
    case none
    /// Forward only when no phone is registered.
    case unregistered
    /// Forward when no phone is registered, or when it does not answer within
    /// `forwardAfterSeconds` (sequential).
    case noAnswer = "no-answer"
    /// Ring the registered phones and the forward number at once; the first answer wins
    /// and the others are cancelled.
    case fork

    /// The mode of accounts that never chose one.
    public static let `default` = ForwardMode.noAnswer
    /// How long the phone rings before a `no-answer` forward, unless the account says.
    public static let defaultForwardAfterSeconds = 20
}

/// A forward setting the store refuses (a number that is no dial string, a ring time out
/// of range); the description names the value.
public struct InvalidForwarding: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// A prepaid account: credentials, balance and limits (table `account`).
///
/// Secrets are stored only as hashes: `passwordHash` (PBKDF2, see `PasswordHasher`),
/// `pinHash` (salted per account and peppered, with a lookup bucket so a PIN alone can
/// find its account: `PINHasher`), and the SIP digest HA1 values
/// (RFC 7616 §3.4.2: MD5 and SHA-256 of `login:realm:password`), never the password.
public struct Account: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var login: String
    public var passwordHash: String
    public var sipRealm: String
    public var sipHA1: String
    public var sipHA1SHA256: String
    public var pinHash: String?
    /// The account's PIN salt (migration v6-pin-salt); nil: `pinHash` is a pre-v6 hash.
    public var pinSalt: String? = nil
    /// The PIN's 16-bit lookup bucket (`PINHasher.bucket`); nil with a pre-v6 hash.
    public var pinBucket: String? = nil
    public var balanceMinorUnits: Int64
    public var currency: String
    public var ratePlan: String?
    public var forwardNumber: String?
    public var personalDID: String?
    /// When the forward number is called (column added by migration "v2 forward mode").
    public var forwardMode: ForwardMode
    /// Seconds the registered phone rings before a `no-answer` forward.
    public var forwardAfterSeconds: Int
    /// Open reservations (calls) allowed at once; 0 means no limit.
    public var maxConcurrentCalls: Int
    /// Most the account may spend on calls per UTC day; nil means no limit.
    public var dailySpendLimitMinorUnits: Int64?
    public var state: AccountState
    public var lotID: Int64?
    public var createdAt: Date

    /// The booked balance (open reservations not deducted; see `BillingStore.freeBalance`).
    public var balance: Money { Money(minorUnits: balanceMinorUnits, currency: currency) }
    public var dailySpendLimit: Money? {
        dailySpendLimitMinorUnits.map { Money(minorUnits: $0, currency: currency) }
    }
}

/// What is needed to open an account; secrets in clear, hashed by the store.
public struct NewAccount: Sendable, Hashable {
    public var login: String
    public var password: String
    public var pin: String?
    public var sipRealm: String
    public var initialBalance: Money
    public var ratePlan: String?
    public var forwardNumber: String?
    public var personalDID: String?
    public var maxConcurrentCalls: Int
    public var dailySpendLimit: Money?
    public var forwardMode: ForwardMode
    public var forwardAfterSeconds: Int

    public init(login: String, password: String, pin: String? = nil, sipRealm: String,
                initialBalance: Money, ratePlan: String? = nil, forwardNumber: String? = nil,
                personalDID: String? = nil, maxConcurrentCalls: Int = 0, dailySpendLimit: Money? = nil,
                forwardMode: ForwardMode = .default, forwardAfterSeconds: Int = ForwardMode.defaultForwardAfterSeconds) {
        self.login = login
        self.password = password
        self.pin = pin
        self.sipRealm = sipRealm
        self.initialBalance = initialBalance
        self.ratePlan = ratePlan
        self.forwardNumber = forwardNumber
        self.personalDID = personalDID
        self.maxConcurrentCalls = maxConcurrentCalls
        self.dailySpendLimit = dailySpendLimit
        self.forwardMode = forwardMode
        self.forwardAfterSeconds = forwardAfterSeconds
    }
}
