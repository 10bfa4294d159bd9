import Foundation

/// Which variables a node reads and sets, for the "read before set" check.
enum VariableUse {
    struct Read {
        enum Kind { case reads, assigns(String) }
        var path: VariablePath
        var location: SourceLocation
        var kind: Kind = .reads
    }

    static func sets(_ node: ScriptNode) -> Set<String> {
        switch node.verb {
        case .collect(let verb): return [verb.variable.value]
        case .set(let verb): return Set(verb.assignments.map(\.variable.value))
        case .authenticate: return ["account"]
        case .creditCheck: return ["credit"]
        case .balance: return ["account"]
        default: return []
        }
    }

    /// Reads in evaluation order; a `set` assignment makes its variable known to later ones.
    static func reads(_ node: ScriptNode) -> [Read] {
        func of(_ template: Template) -> [Read] { template.variables.map { Read(path: $0, location: template.location) } }
        switch node.verb {
        case .say(let verb):
            return verb.items.flatMap { item -> [Read] in
                switch item {
                case .prompt: return []
                case .digits(let value), .number(let value), .duration(let value), .date(let value): return of(value)
                case let .money(value, currency):
                    // Without a currency, money reads $account.currency when present; not required.
                    return of(value) + (currency.map(of) ?? [])
                }
            }
        case .set(let verb):
            return verb.assignments.flatMap { assignment -> [Read] in
                let reads: [Read]
                switch assignment.value {
                case .template(let template): reads = of(template)
                case .expression(let expression, let source):
                    reads = expression.requiredVariables.map { Read(path: $0, location: source.location) }
                }
                return reads + [Read(path: VariablePath([assignment.variable.value]), location: assignment.variable.location,
                                     kind: .assigns(assignment.variable.value))]
            }
        case .branch(let verb):
            return verb.cases.flatMap { branch in branch.condition.requiredVariables.map { Read(path: $0, location: branch.source.location) } }
        case .creditCheck(let verb): return of(verb.destination)
        case .dial(let verb): return verb.to.flatMap(of) + (verb.callerID.map(of) ?? [])
        case .callback(let verb): return of(verb.to) + (verb.callerID.map(of) ?? [])
        case .rememberCaller(let verb): return of(verb.number)
        case .play, .collect, .menu, .hangup, .goto, .authenticate, .balance: return []
        }
    }
}

extension Expression {
    /// Variables whose absence would be a mistake: all but those only tested with `is_set`.
    var requiredVariables: [VariablePath] {
        switch self {
        case .literal: return []
        case .variable(let path): return [path]
        case .not(let inner), .negate(let inner): return inner.requiredVariables
        case let .binary(_, left, right): return left.requiredVariables + right.requiredVariables
        case let .call(function, arguments):
            return function == .isSet ? [] : arguments.flatMap(\.requiredVariables)
        }
    }
}
