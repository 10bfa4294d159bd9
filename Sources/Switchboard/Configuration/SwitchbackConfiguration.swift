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

    /// A campaign: a script and its settings.
    public struct Campaign: Sendable, Equatable {
        public var script: String
        /// The number presented as caller ID on this campaign's forwards (B legs); nil:
        /// the script's or the trunk's.
        public var callerID: String?
        /// Caller-ID forwarding: the B leg shows the A leg's number (and the web callback's
        /// A leg the B number) unless `callerID` says otherwise.
        public var forwardCallerID: Bool = true

        public init(script: String, callerID: String? = nil, forwardCallerID: Bool = true) {
            self.script = script
            self.callerID = callerID
            self.forwardCallerID = forwardCallerID
        }
    }

    /// Whether an INVITE to an access number is challenged for Digest credentials
    /// (RFC 3261 §22.3, 407 Proxy Authentication Required), for softphones.
    public enum SIPDigestPolicy: String, Sendable, Equatable, CaseIterable {
        /// Challenge when the From user is a known account login; let others in unchallenged.
        case auto
        /// Challenge every INVITE; without valid credentials the call is refused.
        case always
        /// Never challenge.
        case never
    }

    /// An access number (a DID): its campaign and its mode.
    public struct AccessNumber: Sendable, Equatable {
        public var campaign: String
        /// `callback:`: names, Mizu's codes 0-7, or a campaign whose script runs.
        public var callback: CallbackMode = .none
        /// How long to ring (180) before answering; 0 answers at once.
        public var ringMilliseconds: Int = 0
        /// Overrides the global `callback.anumberhandling` for this number.
        public var anumberhandling: ANumberHandling?
        public var sipDigest: SIPDigestPolicy = .auto
        /// Overrides `callback.caller-number` (callbackcallernumber) for this number's callbacks.
        public var callerNumber: String?
        /// Where it was declared, for warnings.
        public var line: Int?

        public init(campaign: String, callback: CallbackMode = .none, ringMilliseconds: Int = 0,
                    anumberhandling: ANumberHandling? = nil, sipDigest: SIPDigestPolicy = .auto,
                    callerNumber: String? = nil) {
            self.campaign = campaign
            self.callback = callback
            self.ringMilliseconds = ringMilliseconds
            self.anumberhandling = anumberhandling
            self.sipDigest = sipDigest
            self.callerNumber = callerNumber
        }
    }

    /// The transaction spool (CloudWare's WebCallBackData.txt): a file legacy web front
    /// ends append requests to, one a line.
    public struct Spool: Sendable, Equatable {
        /// The followed file (relative paths from the configuration file's directory).
        public var file: String
        /// Where bad lines go, with their line number and why; default: `<file>.rejects`.
        public var rejects: String?
        /// How often the file is looked at for new lines.
        public var pollInterval: Duration = .milliseconds(500)

        public init(file: String, rejects: String? = nil, pollInterval: Duration = .milliseconds(500)) {
            self.file = file
            self.rejects = rejects
            self.pollInterval = pollInterval
        }
    }

    /// The callback services' settings (`callback:`).
    public struct Callback: Sendable, Equatable {
        public struct Retry: Sendable, Equatable {
            /// Attempts in all (the first included) before a request fails for good.
            public var attempts: Int = 3
            public var backoff: Duration = .seconds(30)
        }

        public struct Limits: Sendable, Equatable {
            /// Callbacks of one account in progress (claimed) at once.
            public var concurrentPerAccount: Int = 2
            /// Callbacks of one account queued per rolling hour.
            public var perHourPerAccount: Int = 10
        }

        public struct PINLockout: Sendable, Equatable {
            /// PIN failures (per caller ID, per account) that lock out...
            public var attempts: Int = 5
            /// ...for this long, counted over the same period.
            public var period: Duration = .seconds(15 * 60)
        }

        /// From the trigger to placing the callback.
        public var delay: Duration = .seconds(3)
        /// `callbackcallernumber`: the caller ID presented on callbacks; nil: the access number.
        public var callerNumber: String?
        public var anumberhandling: ANumberHandling = .addAndAccept
        public var maxParticipants: Int = 5
        /// `freeivraccess`: unauthenticated callers may use the IVR, billed to `freeAccessUser`.
        public var freeIVRAccess: Bool = false
        /// `freeaccessuserid`: the login free IVR access is billed to.
        public var freeAccessUser: String?
        public var retry = Retry()
        public var limits = Limits()
        /// A repeated trigger (same caller, same access number) within this window queues nothing new.
        public var idempotencyWindow: Duration = .seconds(60)
        public var pinLockout = PINLockout()
        /// The campaign a call to an account's personal DID runs (DID callback) when the DID
        /// is not itself an access number; nil: such calls are not served.
        public var didCampaign: String?
        /// The campaign the callback leg of an API, web or spool request runs
        /// (`scripts/web-callback.yaml` in the defaults); nil: such requests are refused.
        public var webCampaign: String?

        /// `freeIVRAccess` with its account, as the decision takes it.
        public var freeAccess: FreeIVRAccess? {
            guard freeIVRAccess, let freeAccessUser else { return nil }
            return FreeIVRAccess(account: freeAccessUser)
        }
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
    /// The transaction spool (`spool:`), followed when set.
    public var spool: Spool?
    /// The file the configuration was read from, for warnings; nil: embedded or given text.
    public var file: String?

    public init() {}

    /// The demo configuration of DESIGN.md: access number 100 runs scripts/demo.yaml, 1000
    /// is the calling card, 1001 ANI callback, 1002 PIN callback; a call to an account's
    /// personal DID is a DID callback.
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
      calling-card: { script: scripts/calling-card.yaml }
      ani-callback: { script: scripts/ani-callback.yaml }
      pin-callback: { script: scripts/pin-callback.yaml }
      did-callback: { script: scripts/did-callback.yaml }
      web-callback: { script: scripts/web-callback.yaml }
    access-numbers:
      "100": { campaign: demo }
      "1000": { campaign: calling-card, callback: none }
      "1001": { campaign: ani-callback, callback: always }
      "1002": { campaign: pin-callback, callback: ivr-unless-authenticated }
    callback:
      delay: 3s
      anumberhandling: 3
      max-participants: 5
      did-campaign: did-callback
      web-campaign: web-callback
    """

    public static func embeddedDefaults() -> SwitchbackConfiguration {
        // The embedded text is part of the binary and covered by tests; it cannot fail.
        try! ConfigurationLoader.parse(yaml: embeddedDefaultsYAML, file: "<embedded defaults>")
    }
}
