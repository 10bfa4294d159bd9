import Foundation

/// Rules for prompt names: they become file names under `sounds/<language>/`, so they are
/// kept to lower-case letters, digits, '-', '_' and '/' (no '..', no leading '/').
public enum PromptName {
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first != "/", !name.hasSuffix("/"), !name.contains("..") else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" || $0 == "/" }
    }
}
