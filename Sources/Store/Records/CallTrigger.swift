import Foundation

/// What started a call or a callback request: the queue's and the CDR's `trigger` column.
///
/// The SIP triggers call back the line the network gave (the caller ID, or the account's
/// forward number for a personal DID); every other trigger names its numbers itself and is
/// held to the account's allow-list.
public enum CallTrigger: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A call to an access number whose caller was authenticated (known caller ID, SIP digest).
    case sipANI = "sip-ani"
    /// A call to an access number whose caller was not: the callback asks for the PIN.
    case sipPIN = "sip-pin"
    /// A call to an account's personal DID: its forward number is called back.
    case sipDID = "sip-did"
    /// The HTTP API (`POST /api/v1/callbacks`).
    case api
    /// The web callback page.
    case web
    /// An SMS command.
    case sms
    /// A line of the transaction spool file.
    case spool
    /// A script's `callback` verb on a live call.
    case script
    /// A call answered by an access number's script (calling card, IVR): no callback.
    case card

    /// Triggers whose numbers a requester typed, posted or texted: the fraud guard holds
    /// them to the account's allow-list. (A SIP trigger calls back the line the network
    /// gave; a script's number was checked when the verb asked for it.)
    public var numbersAreRequesterChosen: Bool {
        switch self {
        case .api, .web, .sms, .spool: return true
        case .sipANI, .sipPIN, .sipDID, .script, .card: return false
        }
    }

    public var description: String { rawValue }

    /// Also reads the names rows had before migration v6 ("ani", "pin", "did"), so a row
    /// another tool wrote the old way is placed, not a reason to stop the queue.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let trigger = CallTrigger(rawValue: text) ?? CallTrigger(rawValue: "sip-" + text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown trigger '\(text)'"))
        }
        self = trigger
    }
}
