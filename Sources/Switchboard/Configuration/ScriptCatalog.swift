import Foundation
import IVR

/// The scripts behind the access numbers, loaded and fully validated up front (schema and
/// meaning: targets, reachability, prompts under the sounds root, loops, variables,
/// references between scripts). A reload builds a new catalog; calls in progress keep the
/// `IVRScript` and `ScriptLibrary` values they started with.
public struct ScriptCatalog: Sendable {
    public struct Entry: Sendable {
        public var accessNumber: String
        public var campaign: String
        public var script: IVRScript
        /// The scripts a `goto`/`callback` with `script:` may continue in.
        public var library: ScriptLibrary
        public var ringMilliseconds: Int
        /// What the number does before answering (DESIGN.md, "Access-number modes").
        public var policy: AccessPolicy
        /// Variables the call starts with besides `caller`, `dnis` and `campaign` (the login
        /// a SIP digest challenge authenticated: `sip-digest-login`), set per call.
        public var callVariables: [String: IVRValue] = [:]
    }

    /// The access number's settings the router applies before a script runs.
    public struct AccessPolicy: Sendable, Equatable {
        public var mode: CallbackMode
        /// The number's own `anumberhandling`, else the global one.
        public var anumberhandling: ANumberHandling
        public var sipDigest: SwitchbackConfiguration.SIPDigestPolicy
        /// The caller ID presented on callbacks: the number's `caller-number`, the global
        /// one, else the access number itself.
        public var callbackCallerNumber: String
        public var callback: SwitchbackConfiguration.Callback

        public init(mode: CallbackMode, anumberhandling: ANumberHandling,
                    sipDigest: SwitchbackConfiguration.SIPDigestPolicy, callbackCallerNumber: String,
                    callback: SwitchbackConfiguration.Callback) {
            self.mode = mode
            self.anumberhandling = anumberhandling
            self.sipDigest = sipDigest
            self.callbackCallerNumber = callbackCallerNumber
            self.callback = callback
        }
    }

    private var entries: [String: Entry] = [:]
    /// Campaigns whose `language:` overrides their scripts'.
    private var campaignLanguages: [String: String] = [:]
    /// Each campaign's script and library, for a mode that names another campaign.
    private var campaignEntries: [String: (script: IVRScript, library: ScriptLibrary)] = [:]
    /// The campaign of personal-DID calls that are not access numbers, with its policy.
    public private(set) var didCampaign: String?
    private var didPolicy: AccessPolicy?
    /// The global `callback:` settings, for a callback asked for on a number that is neither
    /// an access number nor a personal DID.
    public private(set) var callbackSettings = SwitchbackConfiguration.Callback()
    /// Warnings of the validator (e.g. caller ID trusted without a PIN): worth logging,
    /// never a reason to refuse.
    public private(set) var warnings: [Diagnostic] = []

    /// Builds the catalog with the prompts found under the configured sounds root.
    public init(configuration: SwitchbackConfiguration, baseDirectory: URL) throws(ScriptCatalogError) {
        try self.init(configuration: configuration, baseDirectory: baseDirectory,
                      promptCatalog: PromptCatalog.scan(soundsRoot: Self.soundsRoot(of: configuration, baseDirectory: baseDirectory)))
    }

    /// Builds the catalog; any error of any campaign script (or of a script one of them
    /// reaches by `goto`/`callback`) refuses it as a whole.
    public init(configuration: SwitchbackConfiguration, baseDirectory: URL,
                promptCatalog: PromptCatalog) throws(ScriptCatalogError) {
        var errors: [Diagnostic] = []
        var warnings: [Diagnostic] = []
        func record(_ diagnostics: [Diagnostic]) {
            for diagnostic in diagnostics {
                if diagnostic.severity == .error { errors.append(diagnostic) } else { warnings.append(diagnostic) }
            }
        }

        // Each file is read and parsed once, so what is validated is what will run.
        var scriptsByPath: [String: IVRScript] = [:]
        var campaignScripts: [String: IVRScript] = [:]
        var directories: Set<String> = []
        for name in configuration.campaigns.keys.sorted() {
            guard let campaign = configuration.campaigns[name] else { continue }
            let url = Self.resolve(campaign.script, from: baseDirectory)
            directories.insert(url.deletingLastPathComponent().path)
            if let script = scriptsByPath[url.path] {
                campaignScripts[name] = script
                continue
            }
            // A script that is not there is the configuration's mistake: name its line.
            if let file = configuration.file, let line = campaign.scriptLine,
               !FileManager.default.fileExists(atPath: url.path) {
                errors.append(Diagnostic(.error, "campaigns.\(name).script: no such file '\(url.path)'",
                                         at: SourceLocation(file: file, line: line, column: campaign.scriptColumn ?? 1)))
                continue
            }
            let text: String
            do {
                text = try ScriptLoader.readText(url)
            } catch let error as ScriptError {
                errors.append(Diagnostic(error))
                continue
            } catch {
                errors.append(Diagnostic(.error, "\(error)", at: SourceLocation(file: url.path, line: 1, column: 1)))
                continue
            }
            let (script, diagnostics) = ScriptLoader.parse(yaml: text, file: url.path)
            record(diagnostics)
            guard let script, !diagnostics.contains(where: { $0.severity == .error }) else { continue }
            scriptsByPath[url.path] = script
            campaignScripts[name] = script
        }

        // Other scripts are those next to the campaign scripts (as `switchback validate`
        // sees them); the campaign scripts' own versions win over a second reading.
        var libraryScripts: [String: IVRScript] = [:]
        for directory in directories.sorted() {
            for (name, script) in ScriptLibrary.load(directory: URL(fileURLWithPath: directory)).0.scripts where libraryScripts[name] == nil {
                libraryScripts[name] = script
            }
        }
        for script in scriptsByPath.values { libraryScripts[script.name.value] = script }
        let library = ScriptLibrary(Array(libraryScripts.values))

        // Meaning checks of the campaign scripts and of every script they can reach.
        let validator = ScriptValidator(promptCatalog: promptCatalog, library: library)
        var pending = scriptsByPath.keys.sorted().compactMap { scriptsByPath[$0] }
        var validated: Set<String> = []
        while !pending.isEmpty {
            let script = pending.removeFirst()
            guard validated.insert(script.file).inserted else { continue }
            record(validator.validate(script))
            for name in Self.referencedScripts(script) {
                if let other = library.script(named: name), !validated.contains(other.file) { pending.append(other) }
            }
        }
        // A campaign that speaks another language than its scripts: every prompt they play
        // in that language, or (warned here, at load) the script's own, file by file.
        var seen = Set((errors + warnings).map { "\($0)" })
        for name in configuration.campaigns.keys.sorted() {
            guard let language = configuration.campaigns[name]?.language, let script = campaignScripts[name] else { continue }
            let localised = ScriptValidator(promptCatalog: promptCatalog, library: library, language: language)
            var pending = [script], done: Set<String> = []
            while let next = pending.popLast() {
                guard done.insert(next.file).inserted else { continue }
                for diagnostic in localised.validate(next) where seen.insert("\(diagnostic)").inserted {
                    record([diagnostic])
                }
                pending += Self.referencedScripts(next).compactMap { library.script(named: $0) }
            }
        }
        guard errors.isEmpty else { throw ScriptCatalogError(diagnostics: errors) }

        callbackSettings = configuration.callback
        for (name, script) in campaignScripts { campaignEntries[name] = (script, library) }
        campaignLanguages = configuration.campaigns.compactMapValues(\.language)
        for (number, access) in configuration.accessNumbers {
            guard let script = campaignScripts[access.campaign] else { continue }
            entries[number] = Entry(accessNumber: number, campaign: access.campaign, script: script, library: library,
                                    ringMilliseconds: access.ringMilliseconds,
                                    policy: Self.policy(of: access, number: number, configuration: configuration),
                                    callVariables: languageVariables(access.campaign))
        }
        if let did = configuration.callback.didCampaign, campaignScripts[did] != nil {
            didCampaign = did
            didPolicy = AccessPolicy(mode: .always, anumberhandling: configuration.callback.anumberhandling, sipDigest: .never,
                                     callbackCallerNumber: configuration.callback.callerNumber ?? "",
                                     callback: configuration.callback)
        }
        self.warnings = warnings + Self.trustWarnings(configuration) + Self.pinCallbackPayerWarnings(configuration)
    }

    /// `<sounds>` of the configuration, relative paths taken from `baseDirectory`.
    public static func soundsRoot(of configuration: SwitchbackConfiguration, baseDirectory: URL) -> URL {
        resolve(configuration.sounds, from: baseDirectory)
    }

    /// A configured path, relative ones taken from `baseDirectory` (as a directory even when
    /// its URL lacks the trailing slash that would say so).
    static func resolve(_ path: String, from baseDirectory: URL) -> URL {
        let base = URL(fileURLWithPath: baseDirectory.path, isDirectory: true)
        return URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL
    }

    /// Names of the scripts a script's `goto` and `callback` nodes continue in.
    static func referencedScripts(_ script: IVRScript) -> [String] {
        script.nodes.compactMap { node -> String? in
            switch node.verb {
            case .goto(let verb): return verb.script?.value
            case .callback(let verb): return verb.script?.value
            default: return nil
            }
        }
    }

    public func entry(forAccessNumber number: String) -> Entry? {
        entries[number]
    }

    /// The callback settings of a call to `dialled`: its access number's, a personal DID's,
    /// else the global ones presenting `dialled` as the caller ID.
    public func callbackPolicy(forDialled dialled: String) -> AccessPolicy {
        if let entry = entries[dialled] ?? entry(forPersonalDID: dialled) { return entry.policy }
        return AccessPolicy(mode: .none, anumberhandling: callbackSettings.anumberhandling, sipDigest: .never,
                            callbackCallerNumber: callbackSettings.callerNumber ?? dialled, callback: callbackSettings)
    }

    /// The entry of a call to an account's personal DID that is not an access number:
    /// the `callback.did-campaign`, always calling back.
    public func entry(forPersonalDID number: String) -> Entry? {
        guard let didCampaign, let found = campaignEntries[didCampaign], var policy = didPolicy else { return nil }
        if policy.callbackCallerNumber.isEmpty { policy.callbackCallerNumber = number }
        return Entry(accessNumber: number, campaign: didCampaign, script: found.script, library: found.library,
                     ringMilliseconds: 0, policy: policy, callVariables: languageVariables(didCampaign))
    }

    /// A campaign that no access number serves, run on a callback leg an edge asked for
    /// (`callback.web-campaign` for the API, web, spool and SMS triggers): the global
    /// callback settings, `dialled` as its `$dnis`.
    public func entry(forCampaign campaign: String, dialled: String) -> Entry? {
        guard let found = campaignEntries[campaign] else { return nil }
        let policy = AccessPolicy(mode: .none, anumberhandling: callbackSettings.anumberhandling, sipDigest: .never,
                                  callbackCallerNumber: callbackSettings.callerNumber ?? dialled, callback: callbackSettings)
        return Entry(accessNumber: dialled, campaign: campaign, script: found.script, library: found.library,
                     ringMilliseconds: 0, policy: policy)
    }

    /// `entry` running another campaign's script (a mode that names a campaign, or free access).
    public func entry(_ entry: Entry, runningCampaign campaign: String) -> Entry? {
        guard let found = campaignEntries[campaign] else { return nil }
        var other = entry
        other.campaign = campaign
        other.script = found.script
        other.library = found.library
        other.callVariables["language"] = campaignLanguages[campaign].map { .string($0) }
        return other
    }

    static func policy(of access: SwitchbackConfiguration.AccessNumber, number: String,
                       configuration: SwitchbackConfiguration) -> AccessPolicy {
        AccessPolicy(mode: access.callback, anumberhandling: access.anumberhandling ?? configuration.callback.anumberhandling,
                     sipDigest: access.sipDigest,
                     callbackCallerNumber: access.callerNumber ?? configuration.callback.callerNumber ?? number,
                     callback: configuration.callback)
    }

    /// DESIGN.md: ANI alone can be spoofed. Caller IDs are trusted only from declared
    /// `trusted-sources`; warn where an access number calls back (billing an account) on a
    /// caller ID alone, and where a number accepts caller IDs that nothing can ever
    /// vouch for (no trusted source declared: every caller is unauthenticated).
    /// An access number that calls unauthenticated callers back for their PIN places that
    /// first leg before anyone is authenticated: `callback.free-access-user` pays for it,
    /// and without one every such callback is refused (issue 11).
    static func pinCallbackPayerWarnings(_ configuration: SwitchbackConfiguration) -> [Diagnostic] {
        guard (configuration.callback.freeAccessUser ?? "").isEmpty else { return [] }
        return configuration.accessNumbers.keys.sorted().compactMap { number -> Diagnostic? in
            guard let access = configuration.accessNumbers[number] else { return nil }
            let handling = access.anumberhandling ?? configuration.callback.anumberhandling
            let decision = CallbackDecision.decide(mode: access.callback, campaign: access.campaign,
                                                   caller: CallerStanding(.unknown), anumberhandling: handling,
                                                   freeIVRAccess: nil)
            guard decision == .callBack(.pin) else { return nil }
            let location = SourceLocation(file: configuration.file ?? "<configuration>", line: access.line ?? 1, column: 1)
            return Diagnostic(.warning, "access-numbers.\(number): callback \(access.callback.name) calls unknown callers "
                + "back for their PIN, but callback.free-access-user is not set: nobody pays for that first leg, so every "
                + "such callback is refused (set callback.free-access-user to the house account that pays for it)",
                at: location)
        }
    }

    static func trustWarnings(_ configuration: SwitchbackConfiguration) -> [Diagnostic] {
        let trusted = TrustedSources(configuration: configuration)
        return configuration.accessNumbers.keys.sorted().compactMap { number -> Diagnostic? in
            guard let access = configuration.accessNumbers[number] else { return nil }
            let handling = access.anumberhandling ?? configuration.callback.anumberhandling
            guard handling.acceptsKnownCallerIDs else { return nil }
            let location = SourceLocation(file: configuration.file ?? "<configuration>", line: access.line ?? 1, column: 1)
            switch access.callback {
            case .auto, .ivrUnlessAuthenticated, .dropUnauthenticated, .always: break
            default: return nil
            }
            guard !trusted.isEmpty else {
                return Diagnostic(.warning, "access-numbers.\(number): callback \(access.callback.name) with anumberhandling "
                    + "\(handling.rawValue) accepts caller IDs, but no trunk or did-provider declares trusted-sources: this "
                    + "number is open to untrusted sources only, so no caller ID is trusted and every caller is unauthenticated",
                    at: location)
            }
            return Diagnostic(.warning, "access-numbers.\(number): callback \(access.callback.name) with anumberhandling "
                + "\(handling.rawValue) calls back on the caller ID alone, without a PIN, for calls from "
                + trusted.sources.map(\.name).joined(separator: ", ")
                + "; caller IDs can be spoofed (anumberhandling 0 or 1 makes such callers enter their PIN); calls from "
                + "anywhere else are unauthenticated", at: location)
        }
    }

    public var accessNumbers: [String] { entries.keys.sorted() }

    /// `$language` for a call of `campaign`, when its `language:` overrides the script's.
    func languageVariables(_ campaign: String) -> [String: IVRValue] {
        campaignLanguages[campaign].map { ["language": .string($0)] } ?? [:]
    }
}
