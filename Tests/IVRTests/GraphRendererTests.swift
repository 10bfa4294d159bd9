import XCTest
@testable import IVR

final class GraphRendererTests: XCTestCase {
    func testDemoGraph() throws {
        let script = try ScriptLoader.load(contentsOf: DemoScriptTests.repositoryRoot.appendingPathComponent("scripts/demo.yaml"))
        let dot = GraphRenderer.dot(script)
        XCTAssertTrue(dot.hasPrefix("digraph \"demo\" {\n"))
        XCTAssertTrue(dot.contains("\"__start\" -> \"welcome\";"))
        XCTAssertTrue(dot.contains("\"ask-digits\" [label=\"ask-digits\\ncollect\"];"))
        XCTAssertTrue(dot.contains("\"ask-digits\" -> \"read-back\" [label=\"ok\"];"))
        XCTAssertTrue(dot.contains("\"ask-digits\" -> \"goodbye\" [label=\"exhausted\"];"))
        XCTAssertTrue(dot.contains("\"ask-digits\" -> \"ask-digits\" [label=\"timeout (retry)\", style=dashed];"))
        XCTAssertTrue(dot.contains("\"goodbye\" [label=\"goodbye\\nhangup\", shape=doubleoctagon];"))
        XCTAssertTrue(dot.hasSuffix("}\n"))
    }

    func testBranchLabelsAreEscapedAndOtherScriptsShown() throws {
        let yaml = """
        script: t
        start: a
        nodes:
          a:
            do: branch
            cases: [{ if: "$x == \\"q\\"", then: b }]
            else: c
          b: { do: goto, script: calling-card, node: main-menu }
          c: { do: hangup }
        """
        let dot = GraphRenderer.dot(try ScriptLoader.load(yaml: yaml, file: "t.yaml"))
        XCTAssertTrue(dot.contains("\"a\" -> \"b\" [label=\"if $x == \\\"q\\\"\"];"), dot)
        XCTAssertTrue(dot.contains("\"a\" -> \"c\" [label=\"else\"];"), dot)
        XCTAssertTrue(dot.contains("\"script:calling-card\" [label=\"script calling-card\", shape=folder];"), dot)
        XCTAssertTrue(dot.contains("\"b\" -> \"script:calling-card\" [label=\"main-menu\"];"), dot)
    }
}
