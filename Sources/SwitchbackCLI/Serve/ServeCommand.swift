import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import Store
import Switchboard
import Web

/// `switchback serve`: SIP, media and HTTP on the embedded defaults or a configuration file.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server: SIP on UDP and TCP, RTP media, the HTTP API.",
        discussion: """
        With no options it runs the demo configuration: access number 100 runs \
        scripts/demo.yaml with the prompts in sounds/ of the share directory \
        (/usr/share/switchback when installed, the checkout when run from one), SIP on port \
        5060, HTTP on 8080, SQLite in ./data. A configuration file that leaves campaigns or \
        sounds out keeps those of the share directory. Every campaign script is validated as `switchback validate` does; \
        an error stops the start. SIGHUP or POST /admin/reload re-reads the configuration \
        (campaigns, access numbers) and the scripts; a reload with any error is refused and \
        the running ones stay; calls in progress keep their script. POST /admin/reload needs \
        Authorization: Bearer <http.admin-token> when that key is set, else a loopback \
        client. SIGTERM or SIGINT stops.
        """
    )

    @Option(name: .long, help: "Configuration file (YAML). Keys not given keep their embedded defaults.")
    var config: String?

    @Option(name: .customLong("sip-listen"), help: "HOST:PORT for SIP on both UDP and TCP (overrides sip.listen).")
    var sipListen: String?

    @Option(name: .customLong("http-listen"), help: "HOST:PORT for HTTP (overrides http.listen).")
    var httpListen: String?

    @Option(name: .customLong("node-id"),
            help: "This node's id among the nodes sharing a database (overrides node.id; letters, digits, -_.@).")
    var nodeID: String?

    @Option(name: .customLong("data-dir"), help: "Directory for the SQLite database.")
    var dataDir: String = "data"

    @Option(name: .customLong("share-dir"),
            help: "Shipped scripts, sounds and schemas (default: /usr/share/switchback when installed, else the checkout).")
    var shareDir: String?

    @Option(name: .customLong("log-format"),
            help: "text (journald style under systemd), journal (always) or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("log-level"), help: """
        trace, debug, info, notice, warning, error or critical. info: one line each for call received, \
        answered and hangup (cause, duration); debug: every call step and the script trace.
        """)
    var logLevel: String = "info"

    public init() {}

    public func validate() throws {
        if let sipListen, Self.splitHostPort(sipListen) == nil {
            throw ValidationError("--sip-listen must be HOST:PORT, got '\(sipListen)'")
        }
        if let httpListen, Self.splitHostPort(httpListen) == nil {
            throw ValidationError("--http-listen must be HOST:PORT, got '\(httpListen)'")
        }
        if let nodeID, nodeID.isEmpty || nodeID.count > 64
            || !nodeID.allSatisfy(Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@").contains) {
            throw ValidationError("--node-id must be 1 to 64 letters, digits or -_.@, got '\(nodeID)'")
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// Takes the data directory's lock for this server's life; a second `serve` on the same
    /// directory stops here with a message naming the directory and the holder's pid.
    static func lock(_ dataDirectory: URL) throws -> DataDirectoryLock {
        do {
            return try DataDirectoryLock(dataDirectory: dataDirectory)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Opens the shared PostgreSQL store, migrated, as the server's store.
    static func openPostgreSQL(_ url: PostgresURL, dataDirectory: URL, pinPepperFile: URL?, node: String?, logger: Logger)
        throws -> any SwitchbackStore {
        let postgres: PostgresStore
        do {
            postgres = try PostgresStore(url: url, dataDirectory: dataDirectory, pinPepperFile: pinPepperFile,
                                         node: node ?? PostgresStore.defaultNode)
            let migrations = try postgres.appliedMigrations().count
            logger.info("store opened", metadata: ["database": "\(url.redacted)", "migrations": "\(migrations)",
                                                  "node": "\(postgres.node)"])
        } catch {
            throw ValidationError("cannot open the database \(url.redacted): \(error)")
        }
        // The server needs every Store protocol; the cast holds once PostgresStore has the
        // billing intents and the callback queue (issue 17's money and queue parts).
        guard let complete = postgres as Any as? any SwitchbackStore else {
            postgres.close()
            throw ValidationError("database \(url.redacted): the PostgreSQL store does not implement billing and the "
                                  + "callback queue yet; leave `database:` out to run on the embedded SQLite")
        }
        return complete
    }

    static func splitHostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    /// How `serve` reads its configuration, at start and on every reload (SIGHUP,
    /// `POST /admin/reload`): the file or the embedded defaults, then the command line's
    /// overrides, so a reload never undoes an override.
    func configurationSource() -> ConfigurationReloader.Source {
        let (config, sipListen, httpListen, nodeID) = (config, sipListen, httpListen, nodeID)
        let share = ShareDirectory.locate(explicit: shareDir)
        return {
            var configuration = try config.map {
                try ConfigurationLoader.load(contentsOf: URL(fileURLWithPath: $0), shareDirectory: share)
            } ?? SwitchbackConfiguration.embeddedDefaults(shareDirectory: share)
            if let sipListen, let (host, port) = Self.splitHostPort(sipListen) {
                configuration.sip.listen = ["udp:\(host):\(port)", "tcp:\(host):\(port)"]
            }
            if let httpListen { configuration.http.listen = httpListen }
            if let nodeID { configuration.node.id = nodeID }
            return configuration
        }
    }

    public func run() async throws {
        LoggingSetup.bootstrap(logFormat, level: Logger.Level(rawValue: logLevel) ?? .info,
                               environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "switchback")
        logger.info("starting", metadata: ["version": "\(SwitchbackVersion.current)",
                                          "share-dir": "\(ShareDirectory.locate(explicit: shareDir).path)"])
        let source = configurationSource()
        let configuration: SwitchbackConfiguration
        do {
            configuration = try source()
        } catch {
            throw ValidationError("\(error)")
        }
        let baseDirectory = config.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let dataDirectory = URL(fileURLWithPath: dataDir, isDirectory: true)
        // The PIN pepper: `secrets.pin-pepper-file` (relative to the configuration), else beside the data directory.
        let pinPepperFile = configuration.secrets.pinPepperFile.map {
            URL(fileURLWithPath: $0, relativeTo: baseDirectory).standardizedFileURL
        }
        let lock: DataDirectoryLock?
        let store: any SwitchbackStore
        switch configuration.database {
        case .embeddedSQLite:
            // Creates data/switchback.sqlite and migrates it on first start (DESIGN.md, Persistence).
            // One server per data directory, held until this process ends (a second one would
            // recover and settle the first one's calls as crashed).
            lock = try Self.lock(dataDirectory)
            do {
                let sqlite = try SQLiteStore(dataDirectory: dataDirectory, pinPepperFile: pinPepperFile,
                                             node: configuration.node.id ?? SQLiteStore.localNode)
                let migrations = try sqlite.appliedMigrations().count
                logger.info("store opened", metadata: [
                    "path": "\(dataDirectory.appendingPathComponent(SQLiteStore.fileName).path)",
                    "migrations": "\(migrations)",
                ])
                store = sqlite
            } catch {
                throw ValidationError("cannot open the database in \(dataDirectory.path): \(error)")
            }
        case .postgreSQL(let url):
            // Shared by several nodes: no data-directory lock; migrations take an advisory lock.
            lock = nil
            store = try Self.openPostgreSQL(url, dataDirectory: dataDirectory, pinPepperFile: pinPepperFile,
                                        node: configuration.node.id, logger: logger)
        }
        defer { withExtendedLifetime(lock) {} }

        let group = MultiThreadedEventLoopGroup.singleton
        let server: SwitchbackServer
        do {
            server = try SwitchbackServer(configuration: configuration, baseDirectory: baseDirectory, group: group,
                                          store: store, logger: logger)
        } catch let error as ScriptCatalogError {
            // A script the server would refuse to reload must not go into service at start.
            for line in error.lines { logger.critical("\(line)") }
            logger.critical("cannot start: \(error.diagnostics.count) error(s) in the campaign scripts")
            throw ExitCode.failure
        } catch {
            throw ValidationError("cannot start: \(error)")
        }
        let reloader = ConfigurationReloader(server: server, source: source, logger: logger)
        let hangup = ReloadOnHangup(reloader: reloader)
        hangup.install()
        guard let (httpHost, httpPort) = Self.splitHostPort(configuration.http.listen) else {
            throw ValidationError("http.listen must be HOST:PORT, got '\(configuration.http.listen)'")
        }
        let app = WebFrontend.makeApplication(server: server, reloader: reloader, host: httpHost, port: httpPort, logger: logger)
        try await app.runService()
    }
}
