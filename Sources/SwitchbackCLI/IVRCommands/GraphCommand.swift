import ArgumentParser
import Foundation
import IVR

/// `switchback graph SCRIPT`: the flow as Graphviz DOT.
public struct GraphCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print an IVR script's flow as Graphviz DOT.",
        discussion: "Nodes show their name and verb; outcomes are labelled edges. Render with: switchback graph scripts/demo.yaml | dot -Tsvg > demo.svg")

    @Argument(help: "The IVR script file (YAML).")
    public var script: String

    public init() {}

    public func run() throws {
        do {
            let loaded = try ScriptLoader.load(contentsOf: URL(fileURLWithPath: script))
            print(GraphRenderer.dot(loaded), terminator: "")
        } catch let error as ScriptError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
