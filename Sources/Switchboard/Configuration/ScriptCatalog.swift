import Foundation
import IVR

/// The scripts behind the access numbers, loaded and validated up front. A reload builds
/// a new catalog; calls in progress keep the `IVRScript` value they started with.
public struct ScriptCatalog: Sendable {
    public struct Entry: Sendable {
        public var accessNumber: String
        public var campaign: String
        public var script: IVRScript
        public var ringMilliseconds: Int
    }

    private var entries: [String: Entry] = [:]

    public init(configuration: SwitchbackConfiguration, baseDirectory: URL) throws {
        var scripts: [String: IVRScript] = [:]
        for (name, campaign) in configuration.campaigns {
            let url = URL(fileURLWithPath: campaign.script, relativeTo: baseDirectory).standardizedFileURL
            scripts[name] = try ScriptLoader.load(contentsOf: url)
        }
        for (number, access) in configuration.accessNumbers {
            guard let script = scripts[access.campaign] else { continue }
            entries[number] = Entry(accessNumber: number, campaign: access.campaign, script: script,
                                    ringMilliseconds: access.ringMilliseconds)
        }
    }

    public func entry(forAccessNumber number: String) -> Entry? {
        entries[number]
    }

    public var accessNumbers: [String] { entries.keys.sorted() }
}
