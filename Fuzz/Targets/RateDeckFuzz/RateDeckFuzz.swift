import Billing
import FuzzDriver
import FuzzSupport

@_cdecl("RateDeckFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// A rate-deck CSV, and money amounts. Invariants: money parse → format → parse gives
/// the same amount; every rate's amounts round-trip; an error names a line of the text
/// and one of the six columns.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    func roundTrips(_ money: Money) {
        do {
            let again = try Money.parse(money.amountString, currency: money.currency)
            require(again == money, "\(money) formats as \(money.amountString), which parses as \(again)")
        } catch {
            fatalError("\(money) formats as \(money.amountString), which does not parse: \(error)")
        }
        for decimals in 0...Money.decimals { _ = money.amountString(decimals: decimals) }
    }
    if let amount = try? Money.parse(text, currency: "EUR") { roundTrips(amount) }
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    do {
        let rates = try RateDeck.parse(text, currency: "EUR")
        for rate in rates {
            roundTrips(rate.perMinute)
            roundTrips(rate.connectionFee)
            require(!rate.prefix.isEmpty, "a rate without a prefix")
        }
    } catch {
        require((1...max(lineCount, 1)).contains(error.line), "error outside the \(lineCount)-line text: \(error)")
        if let column = error.column {
            require((1...RateDeck.columns.count + 1).contains(column), "error in column \(column): \(error)")
        }
    }
    return 0
}
