import Billing
import Foundation
import SMSCommand
import Store

/// The reply texts: short (one SMS, 160 characters, where the numbers allow), and each
/// error says what to send instead.
enum SMSReplies {
    static func parseError(_ error: SMSCommandError) -> String {
        error.position == 0 ? "Error: \(error.problem)." : "Error in '\(error.token)': \(error.problem)."
    }

    static let temporaryProblem = "Sorry, a temporary problem stopped your request. Please send it again in a minute."
    static let notRegistered = "This phone is not registered: add U.<login> P.<password> to your text, or register it with U. P. R.<number>."
    static let registerNeedsCredentials = "Error in 'R.': registering a number needs U.<login> P.<password> in the same text."
    static let wrongCredentials = "Error in 'U./P.': wrong login or password. Check both and send again."
    static let accountLocked = "Your account is locked. Please contact your provider."

    static func lockedOut(_ period: Duration) -> String {
        "Too many wrong passwords: U./P. is blocked for \(minutes(period)) min. Try again later."
    }

    static func tooMany(window: String) -> String {
        "Too many texts this \(window): further texts are ignored. Try again later."
    }

    /// A callback refused by `callback.limits` (too many callback requests right now).
    static let tryLater = "Too many callback requests right now: please try again in a few minutes."

    static func originNotOwn(_ number: String) -> String {
        "Error in 'O.\(number)': not one of your numbers. Register it first with U. P. R.\(number)."
    }

    static func numberTaken(_ number: String) -> String {
        "Error in 'R.\(number)': that number is registered to another account."
    }

    static func registered(_ number: String, login: String) -> String {
        "Registered \(number) for \(login): texts from it need no U./P. now."
    }

    static func status(account: Account, free: Money, registeredNumbers: Int) -> String {
        "\(account.login): balance \(free.amountString(decimals: 2)) \(free.currency), \(registeredNumbers) registered number"
            + (registeredNumbers == 1 ? "" : "s") + (account.state == .active ? "." : ", account locked.")
    }

    static func tooManyDestinations(_ word: String, most: Int) -> String {
        "Error in '\(word)': at most \(most) destinations in one call."
    }

    static func noEntry(named name: String) -> String {
        "Error in 'B.\(name)': no address-book entry named \(name)."
    }

    static func noEntry(slot: Int) -> String {
        "Error in 'N\(slot)': address-book entry \(slot) is empty."
    }

    static func refused(_ reason: String) -> String {
        "Refused: \(reason)."
    }

    static func accepted(requestID: Int64, origin: String, destinations: [String], again: Bool) -> String {
        let kind = destinations.count > 1 ? "a conference with" : "connecting"
        return (again ? "Already accepted" : "Accepted") + ": request \(requestID). We call \(origin), then \(kind) "
            + destinations.joined(separator: ", ") + "."
    }

    static func minutes(_ duration: Duration) -> Int {
        max(1, Int((duration.components.seconds + 59) / 60))
    }
}
