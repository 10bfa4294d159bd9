import Foundation

/// Building pages as strings: every value that did not come from this file goes through
/// `escape` (HTML §13.1.2: `&`, `<`, `>`, `"` and `'` are the characters that can end a
/// text run or an attribute value), so a hostile name shows as text and never runs.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A text field with its label (every field has one, for screen readers and for tapping).
    static func field(_ name: String, label: String, value: String = "", type: String = "text", required: Bool = true,
                      hint: String? = nil, id fieldID: String? = nil, attributes: String = "") -> String {
        let id = fieldID ?? "f-" + name
        let hintID = hint.map { _ in id + "-hint" }
        return """
        <p class="field"><label for="\(id)">\(escape(label))</label>\
        <input id="\(id)" name="\(name)" type="\(type)" value="\(escape(value))"\(required ? " required" : "")\
        \(hintID.map { " aria-describedby=\"\($0)\"" } ?? "") \(attributes)>\
        \(hint.map { "<small id=\"\(hintID!)\">\(escape($0))</small>" } ?? "")</p>
        """
    }

    /// A form that posts to `action` with the session's CSRF token.
    static func form(_ action: String, csrf: String, `class` className: String = "", label: String? = nil,
                     _ content: String) -> String {
        """
        <form method="post" action="\(escape(action))"\(className.isEmpty ? "" : " class=\"\(className)\"")\
        \(label.map { " aria-label=\"\(escape($0))\"" } ?? "")>\
        <input type="hidden" name="csrf" value="\(escape(csrf))">\(content)</form>
        """
    }

    static func button(_ text: String, name: String? = nil, value: String? = nil, `class` className: String = "") -> String {
        "<button type=\"submit\"\(name.map { " name=\"\($0)\"" } ?? "")\(value.map { " value=\"\(escape($0))\"" } ?? "")"
            + "\(className.isEmpty ? "" : " class=\"\(className)\"")>\(escape(text))</button>"
    }

    /// A table with a caption; cells are given already escaped.
    static func table(caption: String, headers: [String], rows: [[String]], id: String? = nil,
                      attributes: String = "") -> String {
        let head = headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return """
        <div class="scroll"><table\(id.map { " id=\"\($0)\"" } ?? "") \(attributes)><caption>\(escape(caption))</caption>
        <thead><tr>\(head)</tr></thead><tbody>
        \(body)
        </tbody></table></div>
        """
    }
}
