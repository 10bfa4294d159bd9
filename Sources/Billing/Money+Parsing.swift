import Foundation

extension Money {
    /// Parses a decimal amount strictly: an optional `-` or `+`, one or more digits, and
    /// optionally a `.` followed by one to four digits. Nothing else: no spaces, no thousands
    /// separators, no exponent, no currency sign. "12.3456" → 123456 minor units.
    public static func parse(_ text: String, currency: String) throws(MoneyError) -> Money {
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { throw .invalidAmount(text, reason: "empty amount") }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var whole: Int64 = 0
        var wholeDigits = 0
        while let byte = bytes.first, byte != UInt8(ascii: ".") {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw .invalidAmount(text, reason: "unexpected character '\(Character(Unicode.Scalar(byte)))'")
            }
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .invalidAmount(text, reason: "amount too large") }
            whole = next
            wholeDigits += 1
            bytes = bytes.dropFirst()
        }
        guard wholeDigits > 0 else { throw .invalidAmount(text, reason: "no digits before the decimal point") }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            for byte in bytes {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                    throw .invalidAmount(text, reason: "unexpected character '\(Character(Unicode.Scalar(byte)))'")
                }
                fractionDigits += 1
                guard fractionDigits <= Money.decimals else {
                    throw .invalidAmount(text, reason: "more than \(Money.decimals) decimals")
                }
                fraction = fraction * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            guard fractionDigits > 0 else { throw .invalidAmount(text, reason: "no digits after the decimal point") }
        }
        for _ in fractionDigits..<Money.decimals { fraction *= 10 }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: Money.minorUnitsPerUnit)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2 else { throw .invalidAmount(text, reason: "amount too large") }
        return Money(minorUnits: negative ? -total : total, currency: currency)
    }
}
