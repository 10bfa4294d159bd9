/// What a UAS should answer to a request it will not process: status, a reason for
/// logs and the reason phrase, and headers the response must carry (Unsupported for
/// 420, Accept for 415, ...).
public struct SIPRejection: Sendable, Hashable, CustomStringConvertible {
    public var statusCode: Int
    public var reason: String
    public var extraHeaders: [SIPHeaderField]

    public init(statusCode: Int, reason: String, extraHeaders: [(String, String)] = []) {
        self.statusCode = statusCode
        self.reason = reason
        self.extraHeaders = extraHeaders.map { SIPHeaderField(name: $0.0, value: $0.1) }
    }

    /// The response to send: §8.2.6 copies plus `extraHeaders`.
    public func response(to request: SIPRequest, toTag: String? = nil) -> SIPResponse {
        var response = SIPResponse(replyingTo: request, statusCode: statusCode, toTag: toTag)
        for field in extraHeaders { response.headers.add(field.name, field.value) }
        return response
    }

    public var description: String { "\(statusCode) \(reason)" }
}
