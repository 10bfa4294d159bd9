import Billing
import Foundation
import Hummingbird
import NIOCore
import Store

/// `PUT /api/v1/admin/plans/{plan}/rates`: replaces a plan's rates with a CSV deck, as
/// `switchback rates import` does and with its parser (`RateDeck`): all or nothing. A bad
/// deck is a 422 problem naming each wrong row's line and column (`errors`), the first
/// of them also in `detail` and `field`.
enum RateImportRoute {
    struct Imported: Encodable {
        var plan: String
        var currency: String
        var imported: Int
        var chargeALeg: Bool
        var blockedPrefixes: [String]
    }

    /// A deck larger than this is refused (a full international deck is a few MB).
    static let maximumBytes = 16 * 1024 * 1024
    /// How many wrong rows a problem lists at most.
    static let maximumErrors = 100

    static func add<Context: RequestContext>(to admin: RouterGroup<Context>, _ deps: APIDependencies) {
        admin.put("plans/:plan/rates") { request, context -> Response in
            let plan = context.parameters.get("plan") ?? ""
            guard plan.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
                throw APIProblem.badRequest("plan must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                                            field: "plan")
            }
            let query = request.uri.queryParameters
            let currency = query["currency"].map(String.init) ?? "EUR"
            guard currency.range(of: "^[A-Z]{3}$", options: .regularExpression) != nil else {
                throw APIProblem.badRequest("currency must be an ISO 4217 code, e.g. EUR", field: "currency")
            }
            let chargeALeg: Bool
            switch query["chargeALeg"].map(String.init) {
            case nil, "false": chargeALeg = false
            case "true": chargeALeg = true
            default: throw APIProblem.badRequest("chargeALeg must be true or false", field: "chargeALeg")
            }
            let blocked = query.getAll("block").map { String($0) }
            if let bad = blocked.first(where: { $0.isEmpty || !$0.allSatisfy(\.isASCII) || !$0.allSatisfy(\.isNumber) }) {
                throw APIProblem.badRequest("block \"\(bad)\" is not a digit prefix", field: "block")
            }
            let type = request.headers[.contentType]?.lowercased() ?? ""
            guard type.hasPrefix("text/csv") else {
                throw APIProblem(status: .unsupportedMediaType, slug: "media-type", detail: "the body must be text/csv",
                                 field: "Content-Type")
            }
            var body = request
            let buffer: ByteBuffer
            do {
                buffer = try await body.collectBody(upTo: maximumBytes)
            } catch {
                throw APIProblem(status: .contentTooLarge, slug: "too-large",
                                 detail: "the deck is larger than \(maximumBytes) bytes", field: "")
            }
            guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
                throw APIProblem.badRequest("the deck is not UTF-8 text", field: "")
            }
            let rates = try parse(text, currency: currency)
            guard !rates.isEmpty else { throw APIProblem.invalid("the deck holds no rates; nothing imported", field: "") }
            let count: Int
            do {
                count = try APIRouteSupport.store {
                    try deps.store.importRates(plan: plan, currency: currency, chargesALeg: chargeALeg, rates: rates,
                                               blockedPrefixes: blocked, at: deps.now())
                }
            } catch let error as RateError {
                throw APIProblem.invalid("block: \(error); nothing imported", field: "block")
            }
            return try APIRouteSupport.json(Imported(plan: plan, currency: currency, imported: count, chargeALeg: chargeALeg,
                                                     blockedPrefixes: blocked))
        }
    }

    /// The deck's rates, or a problem listing its wrong rows. `RateDeck` stops at the first;
    /// the rest of the deck is read on from the line after it (earlier lines blanked so
    /// the line numbers stay), so one upload names every wrong row it can.
    static func parse(_ text: String, currency: String) throws -> [Rate] {
        var errors: [APIProblem.RowError] = []
        var remaining = text
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while errors.count < maximumErrors {
            do {
                let rates = try RateDeck.parse(remaining, currency: currency)
                if errors.isEmpty { return rates }
                break
            } catch {
                errors.append(APIProblem.RowError(line: error.line, field: error.columnName, detail: error.message))
                guard error.line < lines.count else { break }
                for index in 0..<error.line { lines[index] = "" }
                remaining = lines.joined(separator: "\n")
            }
        }
        let first = errors[0]
        var problem = APIProblem.invalid("line \(first.line)\(first.field.map { ", column \($0)" } ?? ""): \(first.detail); "
                                         + "\(errors.count == 1 ? "" : "\(errors.count) rows are wrong; ")nothing imported",
                                         field: first.field.map { "line \(first.line)/\($0)" } ?? "line \(first.line)")
        problem.errors = errors
        throw problem
    }
}
