import Foundation
import IVR
import Logging

/// The one way a running server takes a new configuration and new scripts, whatever asked
/// for it (SIGHUP, `POST /admin/reload`): read the configuration again, validate every
/// campaign script, and put them in service only when nothing is wrong. A refused reload
/// changes nothing; calls in progress keep the script they started with either way.
public actor ConfigurationReloader {
    /// Produces the configuration as `serve` would at start: the file (or the embedded
    /// defaults) with the command line's overrides applied.
    public typealias Source = @Sendable () throws -> SwitchbackConfiguration

    public enum Outcome: Sendable, Equatable {
        /// In service; the access numbers now answered.
        case reloaded(accessNumbers: [String])
        /// Refused; each diagnostic is `file:line:column: error: message` (a configuration
        /// error has no column: `file:line: error: key: message`).
        case refused(diagnostics: [String])
    }

    private let server: SwitchbackServer
    private let source: Source
    private let logger: Logger
    /// The reload in progress; the next one waits for it, so two triggers at once cannot
    /// put an older reading in service after a newer one.
    private var inProgress: Task<Outcome, Never>?

    public init(server: SwitchbackServer, source: @escaping Source, logger: Logger) {
        self.server = server
        self.source = source
        self.logger = logger
    }

    /// Reloads; `trigger` names who asked, for the log.
    public func reload(trigger: String) async -> Outcome {
        let previous = inProgress
        let task = Task { [server, source, logger] in
            _ = await previous?.value
            return await Self.perform(server: server, source: source, logger: logger, trigger: trigger)
        }
        inProgress = task
        return await task.value
    }

    private static func perform(server: SwitchbackServer, source: Source, logger: Logger, trigger: String) async -> Outcome {
        let configuration: SwitchbackConfiguration
        do {
            configuration = try source()
        } catch {
            return refuse(["\(error)"], logger: logger, trigger: trigger)
        }
        do {
            let numbers = try await server.reloadScripts(configuration: configuration)
            let fixed = sectionsNeedingRestart(running: server.configuration, loaded: configuration)
            if !fixed.isEmpty {
                logger.warning("changed settings take effect on restart", metadata: ["sections": "\(fixed.joined(separator: ","))"])
            }
            logger.notice("configuration reloaded", metadata: [
                "trigger": "\(trigger)", "access-numbers": "\(numbers.joined(separator: ","))",
            ])
            return .reloaded(accessNumbers: numbers)
        } catch let error as ScriptCatalogError {
            return refuse(error.lines, logger: logger, trigger: trigger)
        } catch {
            return refuse(["\(error)"], logger: logger, trigger: trigger)
        }
    }

    private static func refuse(_ diagnostics: [String], logger: Logger, trigger: String) -> Outcome {
        for diagnostic in diagnostics {
            logger.error("\(diagnostic)", metadata: ["trigger": "\(trigger)"])
        }
        logger.error("reload refused; the running configuration and scripts stay", metadata: [
            "trigger": "\(trigger)", "errors": "\(diagnostics.count)",
        ])
        return .refused(diagnostics: diagnostics)
    }

    /// Sections a reload reads but cannot apply to sockets, media and files already open.
    static func sectionsNeedingRestart(running: SwitchbackConfiguration, loaded: SwitchbackConfiguration) -> [String] {
        var sections: [String] = []
        if running.sip != loaded.sip { sections.append("sip") }
        if running.media != loaded.media { sections.append("media") }
        if running.http != loaded.http { sections.append("http") }
        if running.database != loaded.database { sections.append("database") }
        if running.sounds != loaded.sounds { sections.append("sounds") }
        // The queue worker's settings are fixed at start; the access numbers' callback
        // policy (delay, caller number, anumberhandling, free access, window) applies at once.
        if running.callback.retry != loaded.callback.retry { sections.append("callback.retry") }
        if running.callback.limits != loaded.callback.limits { sections.append("callback.limits") }
        return sections
    }
}
