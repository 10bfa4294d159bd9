import Foundation
import Logging
import SMSCommand
import Store
import Synchronization

/// Carries out SMS commands (DESIGN.md, service 4): authenticates the sender (U./P., or a
/// registered caller ID), applies the limits and the lockout, does what the command asks
/// through the store and the `CallbackScheduler`, and writes the reply into the durable
/// outbox. No sockets: the Web edge hands it `InboundSMS`, the `SMSReplyDispatcher` sends.
public final class SMSCommandDesk: Sendable {
    public typealias Backend = AccountStore & CallerIDStore & AddressBookStore & BillingStore & SMSOutboxStore
        & SMSActivityStore

    private let store: any Backend
    private let scheduler: CallbackScheduler
    private let settings: Mutex<Settings>
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let onReply: Mutex<(@Sendable () -> Void)?> = Mutex(nil)
    /// When the activity the limits count was last pruned (hourly: older rows count for nothing).
    private let lastPrune: Mutex<Date?> = Mutex(nil)

    /// What the desk reads from the configuration; swapped on reload.
    public struct Settings: Sendable, Equatable {
        public var sms: SwitchbackConfiguration.SMS
        /// `callback.max-participants`: the user's leg and the destinations together.
        public var maxParticipants: Int

        public init(sms: SwitchbackConfiguration.SMS, maxParticipants: Int) {
            self.sms = sms
            self.maxParticipants = maxParticipants
        }

        public init(_ configuration: SwitchbackConfiguration) {
            self.init(sms: configuration.sms, maxParticipants: configuration.callback.maxParticipants)
        }
    }

    public init(store: any Backend, scheduler: CallbackScheduler, settings: Settings,
                now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "switchback.sms")) {
        self.store = store
        self.scheduler = scheduler
        self.settings = Mutex(settings)
        self.now = now
        self.logger = logger
    }

    public func replaceSettings(_ settings: Settings) {
        self.settings.withLock { $0 = settings }
    }

    public var currentSettings: Settings { settings.withLock { $0 } }

    /// Told after a reply is written to the outbox (the dispatcher's `notify`).
    public func whenReplyQueued(_ action: @escaping @Sendable () -> Void) {
        onReply.withLock { $0 = action }
    }

    /// Handles one text: always records it for the limits, and writes a reply unless the
    /// sender is flooding past a limit.
    public func handle(_ sms: InboundSMS) -> SMSDeskAnswer {
        let settings = self.settings.withLock { $0 }
        let at = now()
        var answer = process(sms, settings: settings, at: at)
        do {
            try store.recordSMSActivity(.message, sender: sms.sender, account: answer.account, at: at)
            try pruneIfDue(at: at, lockout: settings.sms.lockout.period)
        } catch {
            logger.error("SMS activity not recorded", metadata: ["error": "\(error)"])
        }
        if let reply = answer.reply, let recipient = answer.replyTo {
            let gateway = settings.sms.numbers[sms.receiver]?.gateway ?? sms.gateway
            do {
                let queued = try store.enqueueSMS(gateway: gateway, sender: sms.receiver, recipient: recipient, text: reply,
                                                  account: answer.account, at: at)
                answer.outboxID = queued.id
                onReply.withLock { $0 }?()
            } catch {
                logger.error("SMS reply not queued", metadata: ["to": "\(recipient)", "error": "\(error)"])
            }
        }
        return answer
    }

    private func process(_ sms: InboundSMS, settings: Settings, at: Date) -> SMSDeskAnswer {
        func reject(_ text: String, account: Int64? = nil) -> SMSDeskAnswer {
            SMSDeskAnswer(outcome: .rejected(text), reply: text, replyTo: sms.sender, account: account)
        }
        do {
            guard let service = settings.sms.numbers[sms.receiver] else {
                return reject("\(sms.receiver) takes no SMS commands.")
            }
            let limits = settings.sms.limits
            // Sender limits, counted before this message: the first one over gets a reply.
            if let over = try overLimit(sender: sms.sender, account: nil, limits: limits, at: at) {
                return limited(over, sms: sms, account: nil)
            }

            let command: SMSCommand
            switch SMSCommandParser.parse(sms.text) {
            case .success(let parsed): command = parsed
            case .failure(let error): return reject(SMSReplies.parseError(error))
            }

            let account: Account
            switch try identify(command, sms: sms, settings: settings, at: at) {
            case .success(let found): account = found
            case .failure(let refusal): return reject(refusal.text, account: refusal.account)
            }
            guard let accountID = account.id else { return reject(SMSReplies.temporaryProblem) }
            if let over = try overLimit(sender: nil, account: accountID, limits: limits, at: at) {
                return limited(over, sms: sms, account: accountID)
            }

            switch command.action {
            case .status:
                return try status(command, account: account, sms: sms)
            case .register(let number):
                return try register(number, command: command, account: account, sms: sms, at: at)
            case .callback(let destinations):
                return try callback(destinations, command: command, account: account, sms: sms, service: service,
                                    settings: settings)
            }
        } catch {
            logger.error("SMS command failed", metadata: ["from": "\(sms.sender)", "error": "\(error)"])
            return reject(SMSReplies.temporaryProblem)
        }
    }

    /// Deletes activity older than every window that counts it (the hour, the lockout period).
    private func pruneIfDue(at: Date, lockout: Duration) throws {
        let due = lastPrune.withLock { last -> Bool in
            guard last.map({ at.timeIntervalSince($0) >= 3600 }) ?? true else { return false }
            last = at
            return true
        }
        guard due else { return }
        let keep = max(3600, lockout.timeInterval)
        _ = try store.pruneSMSActivity(before: at.addingTimeInterval(-keep))
    }

    // MARK: - Who is asking

    private struct Refusal: Error {
        var text: String
        var account: Int64?
    }

    /// The account: by U./P. (with the lockout), else by the sender's registered number.
    private func identify(_ command: SMSCommand, sms: InboundSMS, settings: Settings, at: Date) throws
        -> Result<Account, Refusal> {
        guard let credentials = command.credentials else {
            if case .register = command.action {
                return .failure(Refusal(text: SMSReplies.registerNeedsCredentials))
            }
            for number in Self.spellings(of: sms.sender) {
                if let account = try store.account(callerID: number) {
                    guard account.state == .active else {
                        return .failure(Refusal(text: SMSReplies.accountLocked, account: account.id))
                    }
                    return .success(account)
                }
            }
            return .failure(Refusal(text: SMSReplies.notRegistered))
        }
        let lockout = settings.sms.lockout
        let named = try store.account(login: credentials.login)
        let since = at.addingTimeInterval(-lockout.period.timeInterval)
        let failures = try store.smsActivityCounts(.authenticationFailure, sender: sms.sender, account: named?.id, since: since)
        if failures.sender >= lockout.attempts || failures.account >= lockout.attempts {
            return .failure(Refusal(text: SMSReplies.lockedOut(lockout.period), account: named?.id))
        }
        switch try store.authenticate(login: credentials.login, password: credentials.password) {
        case .authenticated(let account):
            try store.clearSMSAuthenticationFailures(sender: sms.sender, account: account.id)
            return .success(account)
        case .locked(let account):
            return .failure(Refusal(text: SMSReplies.accountLocked, account: account.id))
        case .rejected:
            try store.recordSMSActivity(.authenticationFailure, sender: sms.sender, account: named?.id, at: at)
            return .failure(Refusal(text: SMSReplies.wrongCredentials, account: named?.id))
        }
    }

    // MARK: - Limits

    private enum Over { case senderMinute, senderHour, accountMinute, accountHour }

    private func overLimit(sender: String?, account: Int64?, limits: SwitchbackConfiguration.SMS.Limits, at: Date) throws
        -> (Over, first: Bool)? {
        let minute = try store.smsActivityCounts(.message, sender: sender, account: account, since: at.addingTimeInterval(-60))
        let hour = try store.smsActivityCounts(.message, sender: sender, account: account, since: at.addingTimeInterval(-3600))
        if sender != nil {
            if minute.sender >= limits.perMinutePerSender { return (.senderMinute, minute.sender == limits.perMinutePerSender) }
            if hour.sender >= limits.perHourPerSender { return (.senderHour, hour.sender == limits.perHourPerSender) }
        }
        if account != nil {
            if minute.account >= limits.perMinutePerAccount { return (.accountMinute, minute.account == limits.perMinutePerAccount) }
            if hour.account >= limits.perHourPerAccount { return (.accountHour, hour.account == limits.perHourPerAccount) }
        }
        return nil
    }

    private func limited(_ over: (Over, first: Bool), sms: InboundSMS, account: Int64?) -> SMSDeskAnswer {
        // A flood gets one reply (the first message over the limit), not one per message.
        guard over.first else { return SMSDeskAnswer(outcome: .limited, reply: nil, replyTo: nil, account: account) }
        let text: String
        switch over.0 {
        case .senderMinute, .accountMinute: text = SMSReplies.tooMany(window: "minute")
        case .senderHour, .accountHour: text = SMSReplies.tooMany(window: "hour")
        }
        return SMSDeskAnswer(outcome: .limited, reply: text, replyTo: sms.sender, account: account)
    }

    // MARK: - Commands

    private func status(_ command: SMSCommand, account: Account, sms: InboundSMS) throws -> SMSDeskAnswer {
        var recipient = sms.sender
        if let origin = command.origin {
            // No SMS relay: a reply goes to the sender or to one of the account's own numbers.
            guard try allowList(of: account).contains(where: { Self.sameNumber($0, origin) }) else {
                let text = SMSReplies.originNotOwn(origin)
                return SMSDeskAnswer(outcome: .rejected(text), reply: text, replyTo: sms.sender, account: account.id)
            }
            recipient = origin
        }
        let free = try account.id.map { try store.freeBalance(account: $0) } ?? account.balance
        let numbers = try account.id.map { try store.callerIDs(account: $0).count } ?? 0
        return SMSDeskAnswer(outcome: .status, reply: SMSReplies.status(account: account, free: free, registeredNumbers: numbers),
                             replyTo: recipient, account: account.id)
    }

    private func register(_ number: String, command: SMSCommand, account: Account, sms: InboundSMS, at: Date) throws
        -> SMSDeskAnswer {
        guard let id = account.id else { throw StoreError.unknownAccount(account.login) }
        do {
            _ = try store.authoriseCallerID(number, account: id, at: at)
        } catch StoreError.callerIDTaken {
            let text = SMSReplies.numberTaken(number)
            return SMSDeskAnswer(outcome: .rejected(text), reply: text, replyTo: sms.sender, account: id)
        }
        return SMSDeskAnswer(outcome: .registered(number), reply: SMSReplies.registered(number, login: account.login),
                             replyTo: sms.sender, account: id)
    }

    private func callback(_ destinations: [SMSCommand.Destination], command: SMSCommand, account: Account, sms: InboundSMS,
                          service: SwitchbackConfiguration.SMS.ServiceNumber, settings: Settings) throws -> SMSDeskAnswer {
        guard let id = account.id else { throw StoreError.unknownAccount(account.login) }
        func reject(_ text: String) -> SMSDeskAnswer {
            SMSDeskAnswer(outcome: .rejected(text), reply: text, replyTo: sms.sender, account: id)
        }
        let most = settings.maxParticipants - 1
        if destinations.count > most {
            return reject(SMSReplies.tooManyDestinations(Self.word(for: destinations[most]), most: most))
        }
        var numbers: [String] = []
        for destination in destinations {
            switch destination {
            case .number(let number): numbers.append(number)
            case .addressBookName(let name):
                guard let entry = try store.addressBookEntry(account: id, name: name) else {
                    return reject(SMSReplies.noEntry(named: name))
                }
                numbers.append(entry.number)
            case .addressBookSlot(let slot):
                guard let entry = try store.addressBookEntry(account: id, slot: slot) else {
                    return reject(SMSReplies.noEntry(slot: slot))
                }
                numbers.append(entry.number)
            }
        }
        // The sender's own number came from a gateway that proved itself: the network's.
        // An O. number was typed: the fraud guard holds it to the account's allow-list.
        let origin = command.origin ?? sms.sender
        let order = CallbackScheduler.Order(
            trigger: .sms, account: id, number: origin, numberSource: command.origin == nil ? .network : .requester,
            // The sender is the caller ID; the gateway's address is every sender's, not counted.
            requester: TriggerRequester(callerID: sms.sender, source: nil),
            destinations: numbers, dialled: sms.receiver, campaign: service.campaign,
            // The same request texted twice within the window (a gateway's retry, an impatient
            // user) queues one callback. Never the password: the key is stored.
            idempotencyKey: "sms:\(sms.sender):\(sms.receiver):\(origin):\(numbers.joined(separator: ","))")
        let queued: CallbackScheduler.Queued
        do {
            queued = try scheduler.schedule(order)
        } catch CallbackScheduler.ScheduleError.limited {
            return reject(SMSReplies.tryLater)
        } catch {
            return reject(SMSReplies.refused(error.description))
        }
        guard let requestID = queued.request.id else { throw StoreError.unknownCallbackRequest(0) }
        return SMSDeskAnswer(outcome: .accepted(requestID: requestID, isNew: queued.isNew),
                             reply: SMSReplies.accepted(requestID: requestID, origin: origin, destinations: numbers,
                                                        again: !queued.isNew),
                             replyTo: sms.sender, account: id)
    }

    // MARK: - Numbers

    /// The numbers a reply may go to besides the sender: the account's caller IDs and its
    /// forward number (as the callback fraud guard's allow-list).
    private func allowList(of account: Account) throws -> [String] {
        var numbers = try account.id.map { try store.callerIDs(account: $0).map(\.number) } ?? []
        if let forward = account.forwardNumber { numbers.append(forward) }
        return numbers
    }

    /// A gateway may give `+4930…` where the caller ID was registered as `4930…`, or back.
    static func spellings(of number: String) -> [String] {
        number.hasPrefix("+") ? [number, String(number.dropFirst())] : [number, "+" + number]
    }

    static func sameNumber(_ a: String, _ b: String) -> Bool {
        spellings(of: a).contains(b)
    }

    static func word(for destination: SMSCommand.Destination) -> String {
        switch destination {
        case .number(let number): return "D.\(number)"
        case .addressBookName(let name): return "B.\(name)"
        case .addressBookSlot(let slot): return "N\(slot)"
        }
    }
}
