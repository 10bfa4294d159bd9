import Foundation

/// The nodes of a script and where each can lead, for validation and `graph`. Besides the
/// written transitions, a `collect`/`menu` may run itself again (a retry without a target).
struct FlowGraph {
    private var edges: [String: [String]] = [:]
    /// Where calls begin: `start`, and the nodes of this script that a `callback` runs on
    /// the call it places (a new call with its own variables).
    private(set) var entries: [String]

    init(_ script: IVRScript) {
        entries = [script.start.value]
        for node in script.nodes {
            if case .callback(let verb) = node.verb, let entry = verb.node?.value,
               verb.script == nil || verb.script?.value == script.name.value, !entries.contains(entry) {
                entries.append(entry)
            }
        }
        for node in script.nodes {
            var targets = node.transitions.map(\.target.value)
            switch node.verb {
            case .collect, .menu:
                let retryOutcomes = ["timeout", "invalid"]
                if retryOutcomes.contains(where: { node.target(for: $0) == nil }) { targets.append(node.name) }
            case .authenticate(let verb) where verb.methods.contains { $0.value == .pin || $0.value == .password }:
                targets.append(node.name)
            default:
                break
            }
            var seen: Set<String> = []
            edges[node.name] = targets.filter { seen.insert($0).inserted }
        }
    }

    func successors(of node: String) -> [String] { edges[node] ?? [] }

    func reachable(from starts: [String]) -> Set<String> {
        var seen = Set(starts)
        var work = starts
        while let node = work.popLast() {
            for next in successors(of: node) where seen.insert(next).inserted { work.append(next) }
        }
        return seen
    }

    /// Tarjan's algorithm restricted to `nodes` (iterative, so deep graphs cannot overflow).
    func stronglyConnectedComponents(within nodes: Set<String>) -> [[String]] {
        var index = 0
        var indices: [String: Int] = [:]
        var lowLinks: [String: Int] = [:]
        var stack: [String] = []
        var onStack: Set<String> = []
        var result: [[String]] = []
        for root in nodes.sorted() where indices[root] == nil {
            var frames: [(node: String, next: Int)] = [(root, 0)]
            indices[root] = index; lowLinks[root] = index; index += 1
            stack.append(root); onStack.insert(root)
            while !frames.isEmpty {
                let (node, position) = frames[frames.count - 1]
                let successors = self.successors(of: node).filter(nodes.contains)
                if position < successors.count {
                    frames[frames.count - 1].next += 1
                    let next = successors[position]
                    if indices[next] == nil {
                        indices[next] = index; lowLinks[next] = index; index += 1
                        stack.append(next); onStack.insert(next)
                        frames.append((next, 0))
                    } else if onStack.contains(next) {
                        lowLinks[node] = min(lowLinks[node]!, indices[next]!)
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last { lowLinks[parent.node] = min(lowLinks[parent.node]!, lowLinks[node]!) }
                if lowLinks[node] == indices[node] {
                    var component: [String] = []
                    while let top = stack.popLast() {
                        onStack.remove(top)
                        component.append(top)
                        if top == node { break }
                    }
                    result.append(component)
                }
            }
        }
        return result
    }
}
