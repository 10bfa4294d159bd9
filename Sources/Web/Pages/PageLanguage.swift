import Foundation

/// The language of the pages, chosen by `Accept-Language` (RFC 9110 §12.5.4) as the
/// prompts are chosen per call: the first of the client's preferences, by weight, that
/// the pages speak; English otherwise.
enum PageLanguage: String, Sendable, CaseIterable {
    case en, de

    static func preferred(_ header: String?) -> PageLanguage {
        guard let header else { return .en }
        var choices: [(language: PageLanguage, weight: Double, order: Int)] = []
        for (order, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), !tag.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            if weight > 0, let language = PageLanguage(rawValue: primary) {
                choices.append((language, weight, order))
            }
        }
        return choices.sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.order < $1.order }.first?.language ?? .en
    }
}
