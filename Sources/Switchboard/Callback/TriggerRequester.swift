/// Who asked for a callback, as far as the trigger rate limits care (`TriggerRateLimiter`):
/// the caller ID it came with and the network address it came from. Every `Order` names
/// one, so no trigger reaches the queue without saying whose budget it spends.
public struct TriggerRequester: Sendable, Equatable {
    /// The caller ID (a SIP trigger's From or asserted identity, an SMS sender); withheld
    /// ones ("", anonymous) share one bucket. nil: the trigger has no caller ID (API, web),
    /// so it is not counted per caller ID.
    public var callerID: String?
    /// The transport source address (IP, no port); nil: the trigger has no address of its
    /// own (an SMS relayed by the gateway), so it is not counted per source.
    public var source: String?
    /// Not counted at all: the operator's own spool file (`operatorSpool`).
    public var isExempt: Bool

    public init(callerID: String?, source: String?) {
        self.callerID = callerID
        self.source = source
        isExempt = false
    }

    private init(exempt: Bool) {
        callerID = nil
        source = nil
        isExempt = exempt
    }

    /// A spool line. The file is the operator's own, written by its own front end, which
    /// authenticated the user (the line carries the password, checked again) and can hold
    /// its users to its own limits: it is trusted like an operator's CLI command. A line
    /// refused for a rate could not be told to try later (the file has no reply channel):
    /// it would be lost to the rejects file, and a legitimate bulk import would use up the
    /// global minute and refuse real callers. So spool lines are neither counted nor
    /// refused; per-account limits (`callback.limits.*-per-account`) still hold them.
    public static let operatorSpool = TriggerRequester(exempt: true)
}
