import Foundation
import XCTest
@testable import IVR

/// Holds `schemas/ivr-script.schema.json` and the Swift loader to the same verdict
/// (DESIGN.md: "the two cannot drift apart unnoticed"): every shipped script and every
/// deliberately broken one is checked by Python's `jsonschema` and by
/// `ScriptLoader.parse(schemaOnly: true)`, and both must agree.
final class SchemaAgreementTests: XCTestCase {
    static let root = DemoScriptTests.repositoryRoot

    /// YAML read the way the Swift loader reads it: YAML 1.2 core scalars (so `on:` is a
    /// key, not `true`), string keys, duplicate keys refused, no timestamps.
    static let checker = #"""
    import json, re, sys
    try:
        import yaml, jsonschema
    except ImportError as error:
        print("missing Python module: %s -- install with: python3 -m pip install jsonschema pyyaml (or apt-get install python3-jsonschema python3-yaml)" % error.name, file=sys.stderr)
        sys.exit(3)

    class CoreLoader(yaml.SafeLoader):
        pass

    CoreLoader.yaml_implicit_resolvers = {}
    def resolver(tag, pattern, first):
        CoreLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
    resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
    resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
    resolver("tag:yaml.org,2002:float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789.")

    def construct_int(loader, node):
        text = loader.construct_scalar(node)
        if text.startswith("0o"): return int(text[2:], 8)
        if text.startswith("0x"): return int(text[2:], 16)
        return int(text, 10)
    def construct_float(loader, node):
        return float(loader.construct_scalar(node).replace("inf", "inf"))
    def construct_mapping(loader, node):
        loader.flatten_mapping(node)
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = str(key).lower() if isinstance(key, bool) else ("" if key is None else str(key))
            if key in result:
                raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % key, key_node.start_mark)
            result[key] = loader.construct_object(value_node, deep=True)
        return result
    CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    CoreLoader.add_constructor("tag:yaml.org,2002:float", construct_float)
    CoreLoader.add_constructor("tag:yaml.org,2002:map", construct_mapping)

    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    verdicts = {}
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.load(handle, Loader=CoreLoader)
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
            verdicts[path] = "valid" if not errors else "invalid: " + errors[0].message[:200]
        except Exception as error:
            verdicts[path] = "invalid: " + str(error).splitlines()[0][:200]
    print(json.dumps(verdicts))
    """#

    /// Scripts that break the format (each in one way) and some that are well-formed but
    /// wrong in meaning (which the schema must accept, as the Swift schema-only pass does).
    static let cases: [String: String] = {
        let header = "script: t\nstart: a\nnodes:\n"
        return [
            "unknown-verb": header + "  a: { do: jump }\n",
            "unknown-option": header + "  a: { do: play, prompt: x, promt: y }\n",
            "missing-prompt": header + "  a: { do: play }\n",
            "bad-prompt-name": header + "  a: { do: play, prompt: Welcome }\n",
            "number-as-prompt": header + "  a: { do: play, prompt: 5 }\n",
            "collect-without-store": header + "  a: { do: collect, digits: 4, on: { ok: a } }\n",
            "collect-without-ok": header + "  a: { do: collect, digits: 4, store: x, on: { timeout: a } }\n",
            "collect-with-next": header + "  a: { do: collect, digits: 4, store: x, next: a, on: { ok: a } }\n",
            "bad-digits": header + "  a: { do: collect, digits: four, store: x, on: { ok: a } }\n",
            "bad-duration": header + "  a: { do: collect, digits: 4, timeout: soon, store: x, on: { ok: a } }\n",
            "too-many-attempts": header + "  a: { do: collect, digits: 4, attempts: 11, store: x, on: { ok: a } }\n",
            "quoted-attempts": header + "  a: { do: collect, digits: 4, attempts: \"3\", store: x, on: { ok: a } }\n",
            "digit-terminator-unquoted": header + "  a: { do: collect, digits: 4, terminator: 5, store: x, on: { ok: a } }\n",
            "bad-outcome": header + "  a: { do: play, prompt: x, on: { ok: a } }\n",
            "menu-long-key": header + "  a: { do: menu, prompt: m, choices: { \"12\": a } }\n",
            "hangup-cause": header + "  a: { do: hangup, cause: angry }\n",
            "string-barge-in": header + "  a: { do: play, prompt: x, barge-in: \"yes\" }\n",
            "set-list": header + "  a: { do: set, set: { x: [1, 2] }, next: a }\n",
            "set-bad-name": header + "  a: { do: set, set: { \"x y\": 1 }, next: a }\n",
            "say-two-kinds": header + "  a: { do: say, say: [{ digits: 1, number: 2 }] }\n",
            "say-mapping-alone": header + "  a: { do: say, say: { digits: $caller } }\n",
            "auth-unknown-method": header + "  a: { do: authenticate, methods: [retina], on: { ok: a } }\n",
            "auth-twice": header + "  a: { do: authenticate, methods: [pin, pin], on: { ok: a } }\n",
            "dial-bad-key-action": header + "  a: { do: dial, to: \"1\", keys: { \"#1\": explode } }\n",
            "blocked-prefix-number": header + "  a: { do: credit-check, for: $x, blocked-prefixes: [900], on: { ok: a } }\n",
            "goto-nothing": header + "  a: { do: goto }\n",
            "top-level-typo": "script: t\nstrat: a\nnodes:\n  a: { do: hangup }\n",
            "no-nodes": "script: t\nstart: a\nnodes: {}\n",
            "bad-node-name": header + "  \"a b\": { do: hangup }\n  a: { do: hangup }\n",
            "bad-language": "script: t\nlanguage: EN\nstart: a\nnodes:\n  a: { do: hangup }\n",
            "duplicate-key": "script: t\nstart: a\nstart: b\nnodes:\n  a: { do: hangup }\n",
            "not-a-mapping": "- a\n- b\n",
            "empty": "",
            "bad-yaml": "script: t\nnodes: [\n",
            "two-documents": "script: t\nstart: a\nnodes:\n  a: { do: hangup }\n---\nscript: u\n",
            // Well-formed; wrong only in meaning: the loader refuses the first four, validate the last.
            "meaning-unknown-target": header + "  a: { do: play, prompt: x, next: nowhere }\n",
            "meaning-range": header + "  a: { do: collect, digits: 9..4, timeout: 10m, store: x, on: { ok: a } }\n",
            "meaning-expression": header + "  a: { do: branch, cases: [{ if: \"$x >\", then: a }] }\n",
            "meaning-regex": header + "  a: { do: collect, digits: 4, pattern: \"[0-9\", store: x, on: { ok: a } }\n",
            "validate-loop": header + "  a: { do: goto, node: b }\n  b: { do: set, set: { x: { expr: \"$x + 1\" } }, next: a }\n",
            "valid-everything": header + """
              a:
                do: set
                description: one of each value form
                set: { n: 1, f: 2.5, b: true, z: null, s: "$caller", e: { expr: "len($caller) > 3" } }
                next: b
              b: { do: say, say: [welcome, { digits: $n }, { money: $f, currency: EUR }, { date: "2026-01-02" }], barge-in: true, next: c }
              c:
                do: menu
                prompt: [main-menu]
                choices: { 1: d, "#": a }
                timeout: 2.5s
                on: { timeout: a, exhausted: d }
              d: { do: dial, to: [$n, 4930], keys: { "#11": end-leg }, ring-timeout: 30, on: { busy: a } }
            """,
        ]
    }()

    func testSchemaAndLoaderAgree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var files: [String: String] = [:]  // path → YAML
        for (name, yaml) in Self.cases {
            let url = directory.appendingPathComponent("\(name).yaml")
            try yaml.write(to: url, atomically: true, encoding: .utf8)
            files[url.path] = yaml
        }
        let scripts = Self.root.appendingPathComponent("scripts")
        for file in try FileManager.default.contentsOfDirectory(atPath: scripts.path) where file.hasSuffix(".yaml") {
            let url = scripts.appendingPathComponent(file)
            files[url.path] = try String(contentsOf: url, encoding: .utf8)
        }
        XCTAssertGreaterThanOrEqual(files.count, Self.cases.count + 7, "the seven shipped scripts are checked too")

        let verdicts = try runChecker(paths: files.keys.sorted())
        for (path, yaml) in files.sorted(by: { $0.key < $1.key }) {
            let (_, diagnostics) = ScriptLoader.parse(yaml: yaml, file: path, schemaOnly: true)
            let swiftValid = !diagnostics.contains { $0.severity == .error }
            let schemaVerdict = try XCTUnwrap(verdicts[path], "no verdict for \(path)")
            XCTAssertEqual(swiftValid, schemaVerdict == "valid",
                           "\(URL(fileURLWithPath: path).lastPathComponent): Swift says \(diagnostics.first.map(\.description) ?? "valid"); schema says \(schemaVerdict)")
        }
        // The broken ones are really broken for the Swift loader in full, too.
        for (name, yaml) in Self.cases where name != "valid-everything" && !name.hasPrefix("validate-") {
            XCTAssertThrowsError(try ScriptLoader.load(yaml: yaml, file: name), "\(name) should not load")
        }
        XCTAssertNoThrow(try ScriptLoader.load(yaml: Self.cases["valid-everything"]!, file: "valid-everything"))
    }

    func runChecker(paths: [String]) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.checker, Self.root.appendingPathComponent("schemas/ivr-script.schema.json").path] + paths
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            XCTFail("cannot run python3 (\(error)); install it with: apt-get install python3 python3-jsonschema python3-yaml")
            throw error
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("the schema checker failed (status \(process.terminationStatus)): \(errorText)")
            return [:]
        }
        return try JSONDecoder().decode([String: String].self, from: data)
    }
}
