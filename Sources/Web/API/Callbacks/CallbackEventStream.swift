import Foundation
import Hummingbird
import NIOCore
import Store

/// `GET /api/v1/callbacks/{id}/events`: the request's history as Server-Sent Events
/// (WHATWG HTML §9.2), then each new event as the store records it, ending after the
/// request reaches a final state. `id:` is the store's event id, so a client that lost
/// the connection resumes with `Last-Event-ID` and misses nothing.
struct CallbackEventStream: Sendable {
    let request: CallbackRequest
    let resumeAfter: Int64?
    let deps: APIDependencies

    /// A comment line this often keeps proxies from closing a quiet stream.
    static let keepAlive: Duration = .seconds(15)

    func response() -> Response {
        let request = self.request
        let resumeAfter = self.resumeAfter
        let deps = self.deps
        let body = ResponseBody { writer in
            deps.metrics.sseClientConnected()
            defer { deps.metrics.sseClientDisconnected() }
            let id = request.id!
            // The legs as they were at the resume point, so the next event shows them right.
            var legs = CallbackLegs.initial(request)
            var last: Int64 = 0
            if let resumeAfter, resumeAfter > 0 {
                for event in try deps.store.callbackEvents(request: id, after: nil) where (event.id ?? 0) <= resumeAfter {
                    legs = CallbackLegs.apply(event, to: legs)
                }
                last = resumeAfter
            }
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            var quiet: Duration = .zero
            while true {
                let events = try deps.store.callbackEvents(request: id, after: last)
                for event in events {
                    legs = CallbackLegs.apply(event, to: legs)
                    last = event.id ?? last
                    let resource = CallbackEventResource(id: last, request: id, state: event.state.rawValue, legs: legs,
                                                         error: event.error, at: event.at)
                    let data = String(decoding: try APIRouteSupport.encoder.encode(resource), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "id: \(last)\nevent: leg\ndata: \(data)\n\n"))
                }
                if !events.isEmpty { quiet = .zero }
                // Events are written in the transaction that moves the state: once the state is
                // final, one more read has every event there will be.
                let state = try deps.store.callbackRequest(id: id)?.state
                if state.map({ CallbackRequest.State.terminal.contains($0) }) ?? true {
                    if try deps.store.callbackEvents(request: id, after: last).isEmpty { break }
                    continue
                }
                try await Task.sleep(for: deps.eventPollInterval)
                quiet += deps.eventPollInterval
                if quiet >= Self.keepAlive {
                    quiet = .zero
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}
