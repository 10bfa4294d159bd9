import Billing
import Foundation

/// The money a call's access leg holds (calling card on a plan that charges A legs; see
/// `CallBilling`). The call's own credit check counts it as available, since the dial
/// step resizes that same reservation (`BillingStore.openForward` with its `accessLeg`) rather
/// than adding a second one.
public struct AccessLegReservation: Sendable, Hashable {
    public var reservationID: Int64
    /// What is set aside for the access leg's maximum duration.
    public var amount: Money
    /// When the access leg was answered (its billed time runs from here).
    public var answeredAt: Date
    /// The number the caller dialled: the destination the access leg is rated by.
    public var accessNumber: String

    public init(reservationID: Int64, amount: Money, answeredAt: Date, accessNumber: String) {
        self.reservationID = reservationID
        self.amount = amount
        self.answeredAt = answeredAt
        self.accessNumber = accessNumber
    }
}
