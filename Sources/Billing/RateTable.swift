import Foundation

/// Rates indexed by destination prefix, answering "which rate applies to this number?" by
/// longest-prefix match.
///
/// A digit trie stored in flat arrays: node `n`'s child for digit `d` is
/// `children[n * 10 + d]` (0 = none; node 0 is the root), and `rateIndex[n]` is the rate
/// ending at that node (-1 = none). Looking a number up walks at most one node per digit
/// and remembers the last rate seen, so it costs O(number length) whatever the deck size
/// (100,000 prefixes ≈ a few hundred thousand nodes).
public struct RateTable: Sendable {
    public let rates: [Rate]
    private var children: [Int32]
    private var rateIndex: [Int32]

    /// Builds the table; two rates with the same prefix are an error.
    public init(rates: [Rate]) throws(RateError) {
        self.rates = rates
        children = [Int32](repeating: 0, count: 10)
        rateIndex = [-1]
        children.reserveCapacity(rates.count * 30)
        rateIndex.reserveCapacity(rates.count * 3)
        for (index, rate) in rates.enumerated() {
            var node = 0
            for byte in rate.prefix.utf8 {
                let slot = node * 10 + Int(byte &- UInt8(ascii: "0"))
                if children[slot] == 0 {
                    children[slot] = Int32(rateIndex.count)
                    rateIndex.append(-1)
                    children.append(contentsOf: repeatElement(0, count: 10))
                }
                node = Int(children[slot])
            }
            guard rateIndex[node] < 0 else { throw .duplicatePrefix(rate.prefix) }
            rateIndex[node] = Int32(index)
        }
    }

    /// The rate with the longest prefix of `number`, or nil if none matches.
    /// A leading "+" is ignored; the walk stops at the first non-digit.
    public func rate(for number: String) -> Rate? {
        var best = rateIndex[0]
        var node = 0
        var digits = number.utf8[...]
        if digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            let next = children[node * 10 + Int(digit)]
            guard next != 0 else { break }
            node = Int(next)
            if rateIndex[node] >= 0 { best = rateIndex[node] }
        }
        return best >= 0 ? rates[Int(best)] : nil
    }

    public var count: Int { rates.count }
}
