import Foundation

extension SwitchbackConfiguration {
    /// The SMS service (`sms:`): the gateways that deliver texts and send replies, the
    /// service numbers users text (each picks a campaign), and the SMS trigger's limits.
    public struct SMS: Sendable, Equatable {
        /// An SMS gateway (Kannel, or any that POSTs each message to `/sms/inbound`).
        /// Its messages are trusted (the sender's number counts as the network's) only
        /// because it proves itself: a shared secret, a source-address list, or both.
        public struct Gateway: Sendable, Equatable {
            public var name: String
            /// Sent as the `secret` query/form/JSON field or the `X-SMS-Secret` header.
            public var secret: String?
            /// Client addresses the gateway posts from; empty: any (then the secret decides).
            public var sources: [String] = []
            /// Kannel's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms; nil: replies
            /// wait in the outbox (none can be sent).
            public var sendSMS: String?
            public var username: String?
            public var password: String?

            public init(name: String, secret: String? = nil, sources: [String] = [], sendSMS: String? = nil,
                        username: String? = nil, password: String? = nil) {
                self.name = name
                self.secret = secret
                self.sources = sources
                self.sendSMS = sendSMS
                self.username = username
                self.password = password
            }
        }

        /// A service number: texts to it run `campaign`; replies come from it through `gateway`.
        public struct ServiceNumber: Sendable, Equatable {
            public var campaign: String
            /// nil: the gateway the message came through.
            public var gateway: String?

            public init(campaign: String, gateway: String? = nil) {
                self.campaign = campaign
                self.gateway = gateway
            }
        }

        /// Messages accepted per sender's number and per account (rolling minute and hour).
        public struct Limits: Sendable, Equatable {
            public var perMinutePerSender = 5
            public var perHourPerSender = 30
            public var perMinutePerAccount = 10
            public var perHourPerAccount = 60

            public init() {}
        }

        /// Wrong U./P. per sender and per account that lock out, for `period`.
        public struct Lockout: Sendable, Equatable {
            public var attempts = 5
            public var period: Duration = .seconds(15 * 60)

            public init() {}
        }

        /// Replies the gateway did not accept are tried again after `backoff`, doubling up
        /// to `maxBackoff`, `attempts` times in all.
        public struct ReplyRetry: Sendable, Equatable {
            public var attempts = 30
            public var backoff: Duration = .seconds(2)
            public var maxBackoff: Duration = .seconds(300)

            public init() {}
        }

        public var gateways: [Gateway] = []
        public var numbers: [String: ServiceNumber] = [:]
        public var limits = Limits()
        public var lockout = Lockout()
        public var replyRetry = ReplyRetry()

        public init() {}

        public func gateway(named name: String) -> Gateway? { gateways.first { $0.name == name } }
    }
}
