import Foundation

/// `say`: turns prompts and values into prompt files through the language pack.
extension Interpreter {
    mutating func render(_ items: [SayItem], node: String) -> [PromptRef] {
        var result: [PromptRef] = []
        let language = languagePack.code
        func values(_ names: [String]) -> [PromptRef] { names.map { promptRef($0, language: language) } }
        func said(_ value: String, _ names: [String]) -> [PromptRef] {
            let prompts = values(names)
            emit(.trace(.valueSaid(node: node, value: value, prompts: prompts)))
            return prompts
        }
        for item in items {
            switch item {
            case .prompt(let name):
                result.append(promptRef(name.value))
            case .digits(let template):
                let text = template.evaluate(in: context).text
                result += said("digits \(text)", languagePack.digits(text))
            case .number(let template):
                guard let number = number(template, node: node, what: "number") else { continue }
                result += said("number \(IVRValue.format(number))", languagePack.decimal(number))
            case let .money(template, currencyTemplate):
                guard let amount = number(template, node: node, what: "money") else { continue }
                let currency = currencyTemplate?.evaluate(in: context).text
                    ?? context.value(at: VariablePath(["account", "currency"]))?.text ?? ""
                result += said("money \(IVRValue.format(amount)) \(currency)", languagePack.money(amount, currency: currency))
            case .duration(let template):
                guard let seconds = number(template, node: node, what: "duration") else { continue }
                let whole = NSDecimalNumber(decimal: seconds).intValue
                result += said("duration \(whole)s", languagePack.duration(seconds: whole))
            case .date(let template):
                let text = template.evaluate(in: context).text
                guard let (year, month, day) = Interpreter.parseDate(text) else {
                    emit(.trace(.failure(node: node, message: "cannot say '\(text)' (\(template)) as a date: expected YYYY-MM-DD")))
                    continue
                }
                result += said("date \(text)", languagePack.date(year: year, month: month, day: day))
            }
        }
        return result
    }

    /// Largest magnitude `say` speaks; anything bigger is not a sensible prompt.
    static let sayableLimit = Decimal(string: "999999999999")!

    mutating func number(_ template: Template, node: String, what: String) -> Decimal? {
        let value = template.evaluate(in: context)
        guard let number = value.numberValue, number.magnitude <= Interpreter.sayableLimit else {
            emit(.trace(.failure(node: node, message: "cannot say '\(value.text)' (\(template)) as \(what)")))
            return nil
        }
        return number
    }

    static func parseDate(_ text: String) -> (Int, Int, Int)? {
        let parts = text.prefix(10).split(separator: "-").map { Int($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
              (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        return (year, month, day)
    }
}
