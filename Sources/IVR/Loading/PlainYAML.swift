import Yams

/// How our YAML files (scripts, switchback.yaml) are composed into nodes. The loaders give
/// a scalar its meaning from where it stands (`port: 5060` is read as a number because
/// `port` is one), never from its implicit tag, so no tag is resolved: Yams' default
/// resolver runs up to seven regular expressions over every key it compares for
/// duplicates, most of the time a file takes to read. Keys compare as the text they are:
/// `1` and `"1"` in one mapping are one key twice, as the loaders would read them.
public enum PlainYAML {
    public static func compose(_ yaml: String) throws -> Node? {
        try Yams.compose(yaml: yaml, .basic, .default, .utf8)
    }

    public static func composeAll(_ yaml: String) throws -> YamlSequence<Node> {
        try Yams.compose_all(yaml: yaml, .basic, .default, .utf8)
    }
}
