import Foundation

/// `credit-check`: may the account call `for`? Numbers starting with a `blocked-prefixes`
/// entry are `blocked` without asking; otherwise the services answer `ok` (setting
/// `$credit.max-duration` in seconds and `$credit.rate` per minute), `insufficient` or `blocked`.
public struct CreditCheckVerb: Sendable {
    public var destination: Template
    public var blockedPrefixes: [Located<String>]

    public static let outcomes = ["ok", "insufficient", "blocked"]

    public init(destination: Template, blockedPrefixes: [Located<String>] = []) {
        self.destination = destination
        self.blockedPrefixes = blockedPrefixes
    }
}
