import Foundation
import Store

/// What a web-style request (the HTTP API, the spool, the web page) asks for, as the
/// scheduler's `Order`: the user's own leg first (`from`, else the account's forward
/// number, else its first caller ID; the fraud guard checks it), then the destinations;
/// one is a bridge, several a conference bounded by `callback.max-participants` (the
/// user's own leg included). Pure: the account and its caller IDs are given.
public enum WebCallbackOrder {
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case noDestination
        case tooManyNumbers(given: Int, limit: Int)
        case noOwnNumber

        public var description: String {
            switch self {
            case .noDestination:
                return "no number to connect"
            case let .tooManyNumbers(given, limit):
                return "\(given) numbers: at most \(limit - 1) (max-participants is \(limit), your own leg included)"
            case .noOwnNumber:
                return "the account has no number to call you on: give from, or set a forward number or a caller ID"
            }
        }
    }

    /// `requester`: whose trigger rate budget the request spends (the API client's address;
    /// `.operatorSpool` for a spool line).
    public static func order(trigger: CallTrigger, account: Account, requester: TriggerRequester, callerIDs: [String],
                             from: String?,
                             destinations: [String], campaign: String, maxParticipants: Int,
                             idempotencyKey: String?) throws(Problem) -> CallbackScheduler.Order {
        guard !destinations.isEmpty else { throw .noDestination }
        guard destinations.count + 1 <= maxParticipants else {
            throw .tooManyNumbers(given: destinations.count, limit: maxParticipants)
        }
        let origin: String
        if let from, !from.isEmpty {
            origin = from
        } else if let forward = account.forwardNumber, !forward.isEmpty {
            origin = forward
        } else if let first = callerIDs.first {
            origin = first
        } else {
            throw .noOwnNumber
        }
        return CallbackScheduler.Order(
            trigger: trigger, account: account.id, number: origin, numberSource: .requester, requester: requester,
            destinations: destinations,
            // callto.net's note: the user's phone shows whom it is about to be connected to.
            callerID: destinations.first, dialled: "", campaign: campaign,
            // The user is waiting at a web page, not hanging up a trigger call: no delay.
            delay: .zero, idempotencyKey: idempotencyKey)
    }
}
