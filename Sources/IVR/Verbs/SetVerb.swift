import Foundation

/// `set`: assigns variables in the order written, then `next`. A value is a template
/// (`"+49$number"`, `3`) or a computed expression (`{ expr: "$tries + 1" }`).
public struct SetVerb: Sendable {
    public var assignments: [(variable: Located<String>, value: SetValue)]

    public init(assignments: [(variable: Located<String>, value: SetValue)]) {
        self.assignments = assignments
    }
}

/// The right-hand side of one `set` assignment.
public enum SetValue: Sendable {
    case template(Template)
    case expression(Expression, source: Located<String>)

    public func evaluate(in context: CallContext) -> IVRValue {
        switch self {
        case .template(let template): return template.evaluate(in: context)
        case .expression(let expression, _): return expression.evaluate(in: context)
        }
    }

    public var variables: [VariablePath] {
        switch self {
        case .template(let template): return template.variables
        case .expression(let expression, _): return expression.variables
        }
    }
}
