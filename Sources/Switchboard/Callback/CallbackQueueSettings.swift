import Foundation

/// How this server works the callback queue, from `callback:` in the configuration.
public struct CallbackQueueSettings: Sendable, Equatable {
    public var retry: CallbackRetryPolicy
    public var limits: CallbackLimits
    /// The caller ID presented on callbacks (`callbackcallernumber`); nil: the access number.
    public var callerNumber: String?
    /// How long the user's phone rings before the attempt counts as no-answer.
    public var ringTimeout: Duration
    /// How often the queue is looked at besides the times requests fall due.
    public var pollInterval: Duration
    /// The queue's `claimedBy` for this process.
    public var workerName: String

    public init(retry: CallbackRetryPolicy = CallbackRetryPolicy(), limits: CallbackLimits = CallbackLimits(),
                callerNumber: String? = nil, ringTimeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(250),
                workerName: String = "switchback@\(ProcessInfo.processInfo.hostName)") {
        self.retry = retry
        self.limits = limits
        self.callerNumber = callerNumber
        self.ringTimeout = ringTimeout
        self.pollInterval = pollInterval
        self.workerName = workerName
    }

    public init(configuration: SwitchbackConfiguration.Callback) {
        self.init(retry: CallbackRetryPolicy(attempts: configuration.retry.attempts, backoff: configuration.retry.backoff),
                  limits: CallbackLimits(concurrentPerAccount: configuration.limits.concurrentPerAccount,
                                         perHourPerAccount: configuration.limits.perHourPerAccount),
                  callerNumber: configuration.callerNumber)
    }
}
