import Foundation

/// The prompts a script names directly (not those `say` derives from values).
public enum ScriptPrompts {
    public static func located(in script: IVRScript) -> [Located<String>] {
        script.nodes.flatMap { node -> [Located<String>] in
            switch node.verb {
            case .play(let verb): return verb.prompts
            case .say(let verb):
                return verb.items.compactMap { if case .prompt(let name) = $0 { return name } else { return nil } }
            case .collect(let verb): return verb.prompts + verb.invalidPrompts + verb.noInputPrompts
            case .menu(let verb): return verb.prompts + verb.invalidPrompts + verb.noInputPrompts
            case .hangup(let verb): return verb.prompts
            case .authenticate(let verb):
                let methods = Set(verb.methods.map(\.value))
                var inputs: [CollectVerb] = []
                if methods.contains(.pin) { inputs.append(verb.pin) }
                if methods.contains(.password) { inputs += [verb.account, verb.password] }
                return inputs.flatMap { $0.prompts + $0.invalidPrompts + $0.noInputPrompts }
            case .balance(let verb): return verb.prompts
            case .dial(let verb): return verb.announceMaxDuration ? [Located("max-duration-is", at: node.location)] : []
            case .set, .goto, .branch, .creditCheck, .callback, .rememberCaller: return []
            }
        }
    }

    /// Distinct names, in first-use order.
    public static func names(in script: IVRScript) -> [String] {
        var seen: Set<String> = []
        return located(in: script).map(\.value).filter { seen.insert($0).inserted }
    }
}
