import Dispatch
import Foundation
import Logging
import Switchboard

/// SIGHUP: load the configuration and scripts again; on any error keep the running ones.
final class ReloadOnHangup: @unchecked Sendable {
    private let server: SwitchbackServer
    private let configPath: String?
    private let logger: Logger
    private var source: (any DispatchSourceSignal)?

    init(server: SwitchbackServer, configPath: String?, logger: Logger) {
        self.server = server
        self.configPath = configPath
        self.logger = logger
    }

    func install() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [self] in
            Task { await self.reload() }
        }
        source.resume()
        self.source = source
    }

    func reload() async {
        do {
            let configuration = try configPath.map { try ConfigurationLoader.load(contentsOf: URL(fileURLWithPath: $0)) }
                ?? SwitchbackConfiguration.embeddedDefaults()
            try await server.reloadScripts(configuration: configuration)
            logger.notice("scripts reloaded")
        } catch {
            logger.error("reload refused; the running scripts stay", metadata: ["reason": "\(error)"])
        }
    }
}
