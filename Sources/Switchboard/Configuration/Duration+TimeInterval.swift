import Foundation

extension Duration {
    /// The duration in Foundation's seconds, for `Date` arithmetic and the store's windows.
    var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
