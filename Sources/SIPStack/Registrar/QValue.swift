/// A Contact's `q` preference (RFC 3261 §20.10): 0 to 1 with at most three decimals,
/// kept exactly as thousandths.
public struct QValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let thousandths: Int

    public init?(thousandths: Int) {
        guard (0...1000).contains(thousandths) else { return nil }
        self.thousandths = thousandths
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, whole == "0" || whole == "1" else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 3, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if whole == "1" && fraction.contains(where: { $0 != "0" }) { return nil }
        while fraction.count < 3 { fraction += "0" }
        self.init(thousandths: (whole == "1" ? 1000 : 0) + Int(fraction)!)
    }

    public static let highest = QValue(thousandths: 1000)!

    public static func < (lhs: QValue, rhs: QValue) -> Bool { lhs.thousandths < rhs.thousandths }

    /// `0.5`, `0.125`, `1`, `0`.
    public var description: String {
        if thousandths == 1000 { return "1" }
        if thousandths == 0 { return "0" }
        var digits = String(thousandths)
        while digits.count < 3 { digits = "0" + digits }
        while digits.hasSuffix("0") { digits.removeLast() }
        return "0." + digits
    }
}
