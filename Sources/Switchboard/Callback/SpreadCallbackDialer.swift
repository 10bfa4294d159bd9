import Store

/// Places queued callbacks on every SIP loop (`sip.event-loops`): each request goes to the
/// dialer of one loop, by its id, so that a callback's A leg, its script and what it dials
/// all live on that loop while the queue keeps every loop busy. One loop: its dialer.
struct SpreadCallbackDialer: CallbackDialer {
    let dialers: [any CallbackDialer]

    func placeCallback(_ request: CallbackRequest, events: CallbackLegReporter) {
        dialers[Self.index(ofRequest: request.id, among: dialers.count)].placeCallback(request, events: events)
    }

    /// The dialer of request `id`: ids in turn over the loops (a request without an id, which
    /// the queue never hands out, goes to the first).
    static func index(ofRequest id: Int64?, among count: Int) -> Int {
        guard count > 1, let id else { return 0 }
        return Int(id.magnitude % UInt64(count))
    }
}
