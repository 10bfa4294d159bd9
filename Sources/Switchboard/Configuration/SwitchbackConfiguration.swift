import Foundation
import Yams

/// The whole configuration file (`--config`), with an embedded default for every key so
/// that `switchback serve` runs with none. Shape: DESIGN.md, "Configuration and commands";
/// schema: schemas/config.schema.json.
public struct SwitchbackConfiguration: Sendable, Equatable {
    public struct SIP: Sendable, Equatable {
        public var listen: [String] = ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]
        public var domain: String = "switchback.local"
        /// Address put in Via, Contact and SDP when listening on a wildcard address.
        public var advertise: String?
    }

    public struct Media: Sendable, Equatable {
        public var rtpPorts: ClosedRange<Int> = 20000...29999
        public var bind: String = "0.0.0.0"
    }

    public struct HTTP: Sendable, Equatable {
        public var listen: String = "0.0.0.0:8080"
        /// When set, admin routes (`POST /admin/reload`) require `Authorization: Bearer <token>`;
        /// when not, only loopback clients may use them.
        public var adminToken: String?
    }

    public struct Trunk: Sendable, Equatable {
        public var name: String
        public var uri: String
        public var destinations: [String] = ["*"]
        /// `udp` or `tcp`; nil: the URI's `transport` parameter, else UDP.
        public var transport: String?
        /// Digest credentials for the gateway's 401/407 (RFC 3261 §22.2).
        public var username: String?
        public var password: String?
        /// Number rewriting before the Request-URI is built: drop this many leading
        /// characters, then put `prefix` in front.
        public var strip: Int = 0
        public var prefix: String = ""
        /// The caller ID presented on this trunk when the script gives none.
        public var callerID: String?

        public init(name: String, uri: String, destinations: [String] = ["*"], transport: String? = nil,
                    username: String? = nil, password: String? = nil, strip: Int = 0, prefix: String = "",
                    callerID: String? = nil) {
            self.name = name
            self.uri = uri
            self.destinations = destinations
            self.transport = transport
            self.username = username
            self.password = password
            self.strip = strip
            self.prefix = prefix
            self.callerID = callerID
        }
    }

    public struct Campaign: Sendable, Equatable {
        public var script: String
    }

    public struct AccessNumber: Sendable, Equatable {
        public var campaign: String
        public var callback: String = "none"
        /// How long to ring (180) before answering; 0 answers at once.
        public var ringMilliseconds: Int = 0
    }

    public struct Callback: Sendable, Equatable {
        public var delay: String = "3s"
        public var callerNumber: String?
        public var anumberhandling: Int = 3
        public var maxParticipants: Int = 5
    }

    public var sip = SIP()
    public var media = Media()
    public var http = HTTP()
    public var database: String = "sqlite:data/switchback.sqlite"
    /// Root of the prompt files: `<sounds>/<language>/<name>.wav`.
    public var sounds: String = "sounds"
    public var trunks: [Trunk] = []
    public var campaigns: [String: Campaign] = [:]
    public var accessNumbers: [String: AccessNumber] = [:]
    public var callback = Callback()

    public init() {}

    /// The demo configuration of DESIGN.md: access number 100 runs scripts/demo.yaml.
    public static let embeddedDefaultsYAML = """
    sip:
      listen: [udp:0.0.0.0:5060, tcp:0.0.0.0:5060]
      domain: switchback.local
    media: { rtp-ports: 20000-29999 }
    http: { listen: 0.0.0.0:8080 }
    database: sqlite:data/switchback.sqlite
    sounds: sounds
    campaigns:
      demo: { script: scripts/demo.yaml }
    access-numbers:
      "100": { campaign: demo }
    callback:
      delay: 3s
      anumberhandling: 3
      max-participants: 5
    """

    public static func embeddedDefaults() -> SwitchbackConfiguration {
        // The embedded text is part of the binary and covered by tests; it cannot fail.
        try! ConfigurationLoader.parse(yaml: embeddedDefaultsYAML, file: "<embedded defaults>")
    }
}
