import Foundation
import Media
import Store
import SIPStack
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
        /// Digest failures (REGISTER and INVITE) per username, caller ID and source
        /// address that lock out further attempts, counted over `period`.
        public var digestLockout = Lockout(attempts: 10, period: .seconds(15 * 60))
        /// Accepted TCP connections at once (`tcp-max-connections`); more are accepted and
        /// closed at once.
        public var tcpMaxConnections = SIPConnectionTable.Limits.default.maximumConnections
        /// Accepted TCP connections at once from one IP address (`tcp-max-connections-per-source`).
        public var tcpMaxConnectionsPerSource = SIPConnectionTable.Limits.default.maximumConnectionsPerSource
        /// A TCP connection with no SIP message for this long, and no call or registration
        /// depending on it, is closed (`tcp-idle-timeout`).
        public var tcpIdleTimeout = SIPConnectionTable.Limits.default.idleTimeout
        /// The SIP edge proxies in front of this node (`edge-proxies`, CIDRs): only from
        /// them is `X-Switchback-Source` believed (`EdgeProxies`). Empty: from nobody.
        public var edgeProxies: [SourceNetwork] = []
        /// Event loops the SIP side runs on (`event-loops`): one endpoint and call router
        /// per loop, calls spread over them by Call-ID. At most the server's loops (its
        /// cores). Nil (`auto`, the default): one per CPU the process may run on.
        public var eventLoops: Int?
    }

    /// How many failures within a period lock a guesser out.
    public struct Lockout: Sendable, Equatable {
        public var attempts: Int
        public var period: Duration

        public init(attempts: Int, period: Duration) {
            self.attempts = attempts
            self.period = period
        }

        public var seconds: TimeInterval {
            period.timeInterval
        }
    }

    /// A DID provider (or any other edge that delivers calls): its `trusted-sources:`
    /// make the caller IDs and dialled DIDs of its calls trustworthy.
    public struct DIDProvider: Sendable, Equatable {
        public var name: String
        public var trustedSources: [SourceNetwork]

        public init(name: String, trustedSources: [SourceNetwork]) {
            self.name = name
            self.trustedSources = trustedSources
        }
    }

    /// This server as one of several nodes sharing a database (`node:`).
    public struct NodeSettings: Sendable, Equatable {
        /// The node's id, recorded on its reservations and callback claims; nil: the host
        /// name on PostgreSQL, "local" on SQLite. Every node sharing a database needs its own.
        public var id: String?
        /// How long a heartbeat keeps the node alive (renewed every third of it); a node
        /// silent for longer is taken over by the others.
        public var lease: Duration = .seconds(30)

        public static let leaseRange: ClosedRange<Duration> = .seconds(5) ... .seconds(600)
    }

    /// Secrets kept outside the database (`secrets:`).
    public struct Secrets: Sendable, Equatable {
        /// The PIN pepper's file; nil: `pin-pepper` next to the data directory's database.
        public var pinPepperFile: String?
    }

    public struct Media: Sendable, Equatable {
        public var rtpPorts: ClosedRange<Int> = 20000...29999
        public var bind: String = "0.0.0.0"
        /// `off`: send to the SDP address; `learn`: follow a peer's NAT after several
        /// consecutive packets from its new address, never on the first packet.
        public var symmetricRTP: SymmetricRTP = .default
        /// `rtp-timeout`: a leg whose peer sends no RTP or RTCP for this long (while not on
        /// hold) is hung up; nil (`off`): never. A vanished phone must not hold a prepaid
        /// call until its grant runs out.
        public var rtpTimeout: Duration? = .seconds(60)
    }

    public struct HTTP: Sendable, Equatable {
        public var listen: String = "0.0.0.0:8080"
        /// When set, admin routes (`POST /admin/reload`) require `Authorization: Bearer <token>`;
        /// when not, only loopback clients may use them.
        public var adminToken: String?
        /// Page cookies carry `Secure`: set it when clients reach the pages over TLS through a
        /// proxy that does not send `X-Forwarded-Proto: https` from loopback.
        public var secureCookies = false
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
        /// Addresses this trunk's inbound calls come from: their caller IDs are trusted.
        public var trustedSources: [SourceNetwork] = []
        /// How keys are heard on this trunk's legs (`dtmf:`): the legs placed through it
        /// and the calls arriving from its `trusted-sources` (`DTMFDetection`).
        public var dtmf: DTMFMode = .auto

        public init(name: String, uri: String, destinations: [String] = ["*"], transport: String? = nil,
                    username: String? = nil, password: String? = nil, strip: Int = 0, prefix: String = "",
                    callerID: String? = nil, trustedSources: [SourceNetwork] = [], dtmf: DTMFMode = .auto) {
            self.trustedSources = trustedSources
            self.dtmf = dtmf
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
        /// Prompts and values in this language instead of the script's (sounds/<language>/),
        /// each missing prompt falling back to the script's own; nil: the script's.
        public var language: String?
        /// Where `script:` was given, for errors about the file it names; not part of
        /// equality (the same campaign read from another place is the same campaign).
        public var scriptLine: Int?
        public var scriptColumn: Int?

        public static func == (lhs: Campaign, rhs: Campaign) -> Bool {
            lhs.script == rhs.script && lhs.callerID == rhs.callerID && lhs.forwardCallerID == rhs.forwardCallerID
                && lhs.language == rhs.language
        }

        public init(script: String, callerID: String? = nil, forwardCallerID: Bool = true) {
            self.script = script
            self.callerID = callerID
            self.forwardCallerID = forwardCallerID
        }
    }

    /// Whether an INVITE to an access number is challenged for Digest credentials
    /// (RFC 3261 §22.3, 407 Proxy Authentication Required), for softphones. No policy
    /// looks at who the caller claims to be, so the answer tells nothing about logins.
    public enum SIPDigestPolicy: String, Sendable, Equatable, CaseIterable {
        /// Challenge every INVITE that does not come from a trusted source (softphones
        /// and anyone else on the open Internet); trunks' and DID providers' calls pass.
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
        /// `never` unless the number says: a number challenges only when asked to.
        public var sipDigest: SIPDigestPolicy = .never
        /// Overrides `callback.caller-number` (callbackcallernumber) for this number's callbacks.
        public var callerNumber: String?
        /// Where it was declared, for warnings.
        public var line: Int?

        public init(campaign: String, callback: CallbackMode = .none, ringMilliseconds: Int = 0,
                    anumberhandling: ANumberHandling? = nil, sipDigest: SIPDigestPolicy = .never,
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
            /// Callback triggers admitted per minute from one caller ID (withheld ones are one caller).
            public var perMinutePerCallerID: Int = 3
            /// ...from one source address (a trunk's address carries all its callers).
            public var perMinutePerSource: Int = 30
            /// ...from everyone together: the bound whatever rotates.
            public var perMinuteGlobal: Int = 60
            /// Callbacks for nobody authenticated (PIN callbacks, paid by the house until the
            /// PIN is typed) queued or in progress at once; 0: none.
            public var concurrentUnauthenticated: Int = 5
        }

        public struct PINLockout: Sendable, Equatable {
            /// PIN failures (per caller ID, per account) that lock out...
            public var attempts: Int = 5
            /// ...for this long, counted over the same period.
            public var period: Duration = .seconds(15 * 60)
            /// PIN failures from one source address that lock it out (the caller ID can be rotated).
            public var sourceAttempts: Int = 10
            /// PIN failures of all callers together that stop PIN entry for everyone: the
            /// bound on guessing when every other key rotates.
            public var globalAttempts: Int = 200
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
    /// Where the store is (`database:`): absent, the embedded SQLite in the data directory;
    /// `postgresql://user[:password]@host[:port]/dbname`, a PostgreSQL shared by several nodes.
    public var database: StoreDatabase = .embeddedSQLite
    public var node = NodeSettings()
    /// Root of the prompt files: `<sounds>/<language>/<name>.wav`.
    public var sounds: String = "sounds"
    public var trunks: [Trunk] = []
    public var campaigns: [String: Campaign] = [:]
    public var accessNumbers: [String: AccessNumber] = [:]
    public var callback = Callback()
    /// Edges whose calls' caller IDs and DIDs are trusted (besides the trunks).
    public var didProviders: [DIDProvider] = []
    public var secrets = Secrets()
    public var sms = SMS()
    /// The transaction spool (`spool:`), followed when set.
    public var spool: Spool?
    /// The file the configuration was read from, for warnings; nil: embedded or given text.
    public var file: String?

    public init() {}

    /// The demo configuration of DESIGN.md: access number 100 runs scripts/demo.yaml, 1000
    /// is the calling card, 1001 ANI callback, 1002 PIN callback; a call to an account's
    /// personal DID is a DID callback. Safe as shipped: no trunk or DID provider declares
    /// `trusted-sources`, so no caller ID authenticates anyone and no personal DID is
    /// served until the operator says where trustworthy calls come from.
    public static let embeddedDefaultsYAML = """
    sip:
      listen: [udp:0.0.0.0:5060, tcp:0.0.0.0:5060]
      domain: switchback.local
    media: { rtp-ports: 20000-29999 }
    http: { listen: 0.0.0.0:8080 }
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
      "1000": { campaign: calling-card, callback: none, sip-digest: auto }
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

    /// The embedded defaults with their shipped files (campaign scripts, sounds) as
    /// absolute paths in the share directory (`ShareDirectory`), so they are found
    /// wherever the configuration file or the working directory is.
    public static func embeddedDefaults(shareDirectory: URL) -> SwitchbackConfiguration {
        var configuration = embeddedDefaults()
        let base = URL(fileURLWithPath: shareDirectory.path, isDirectory: true)
        func anchored(_ path: String) -> String { URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.path }
        configuration.sounds = anchored(configuration.sounds)
        for (name, campaign) in configuration.campaigns { configuration.campaigns[name]?.script = anchored(campaign.script) }
        return configuration
    }
}
