import Foundation

/// The variables a call's script sees. The edge fills in what it knows about the call
/// when it starts (`$caller`, the ANI; `$dnis`, the number dialled; `$request`, a
/// callback request's fields); the script adds its own with `collect` and `set`, and
/// service results add `$account`.
public struct CallContext: Sendable, Equatable {
    public var variables: [String: IVRValue]

    public init(caller: String = "", dnis: String = "", variables: [String: IVRValue] = [:]) {
        var all = variables
        all["caller"] = all["caller"] ?? .string(caller)
        all["dnis"] = all["dnis"] ?? .string(dnis)
        self.variables = all
    }

    /// Names every call has before its script runs; `validate` treats them as set. Others
    /// the edge provides (`account`, `request`) a script declares under `inputs:`.
    public static let predefinedVariables: Set<String> = ["caller", "dnis", "campaign", "language"]

    public var caller: String { variables["caller"]?.text ?? "" }
    public var dnis: String { variables["dnis"]?.text ?? "" }

    public subscript(name: String) -> IVRValue? {
        get { variables[name] }
        set { variables[name] = newValue }
    }

    public func value(at path: VariablePath) -> IVRValue? {
        guard let root = variables[path.root] else { return nil }
        return root.value(at: path.components.dropFirst())
    }
}
