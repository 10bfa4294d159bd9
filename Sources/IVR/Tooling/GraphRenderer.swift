import Foundation

/// `switchback graph`: the flow as Graphviz DOT. Nodes are labelled with their name and
/// verb; each outcome is a labelled edge. Input nodes that retry themselves by default
/// get a dashed "retry" loop.
public enum GraphRenderer {
    public static func dot(_ script: IVRScript) -> String {
        var lines = ["digraph \(quote(script.name.value)) {",
                     "  rankdir=LR;",
                     "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
                     "  edge [fontname=\"Helvetica\", fontsize=10];",
                     "  \"__start\" [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];",
                     "  \"__start\" -> \(quote(script.start.value));"]
        for node in script.nodes {
            var attributes = ["label=\(quote("\(node.name)\n\(node.verb.name)"))"]
            switch node.verb {
            case .hangup: attributes.append("shape=doubleoctagon")
            case .branch: attributes.append("shape=diamond")
            case .goto(let verb) where verb.script != nil: attributes.append("shape=cds")
            default: break
            }
            lines.append("  \(quote(node.name)) [\(attributes.joined(separator: ", "))];")
        }
        var externals: [String] = []
        for node in script.nodes {
            for transition in node.transitions {
                let label = transition.outcome == "next" || transition.outcome == "goto" ? "" : transition.outcome
                lines.append("  \(quote(node.name)) -> \(quote(transition.target.value))" + (label.isEmpty ? ";" : " [label=\(quote(label))];"))
            }
            switch node.verb {
            case .collect, .menu:
                for outcome in ["timeout", "invalid"] where node.target(for: outcome) == nil {
                    lines.append("  \(quote(node.name)) -> \(quote(node.name)) [label=\(quote("\(outcome) (retry)")), style=dashed];")
                }
            case .goto(let verb):
                if let other = verb.script?.value {
                    let id = "script:\(other)"
                    if !externals.contains(id) {
                        externals.append(id)
                        lines.append("  \(quote(id)) [label=\(quote("script \(other)")), shape=folder];")
                    }
                    lines.append("  \(quote(node.name)) -> \(quote(id))" + (verb.node.map { " [label=\(quote($0.value))];" } ?? ";"))
                }
            default:
                break
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A DOT double-quoted ID: backslash and quote escaped, newlines as `\n`.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
