import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import Switchboard

/// `/api/v1/callbacks`: ask for a callback (bridge, conference, connect-two), follow its
/// legs (JSON or Server-Sent Events), cancel it. Every request goes through the one
/// pipeline (`CallbackScheduler`) with trigger `api`, the user's number checked against
/// the account's allow-list, like every other trigger's.
enum CallbackRoutes {
    static func add<Context: RemoteAddressRequestContext>(to group: RouterGroup<Context>, _ deps: APIDependencies,
                                                         authenticator: AccountAuthenticator) {
        group.post("callbacks") { request, context -> Response in
            let account: Account
            do {
                account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            } catch {
                deps.metrics.callbackRequest(trigger: "api", outcome: "unauthorised")
                throw error
            }
            do {
                return try await create(request, account: account, source: context.remoteAddress?.ipAddress, deps)
            } catch let problem as APIProblem {
                let outcome = problem.status == 422 ? "invalid" : problem.status == 429 ? "limited" : "refused"
                deps.metrics.callbackRequest(trigger: "api", outcome: outcome)
                throw problem
            } catch {
                deps.metrics.callbackRequest(trigger: "api", outcome: "failed")
                throw error
            }
        }
        group.get("callbacks/:id") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let callback = try owned(try APIRouteSupport.id("id", context), by: account, deps)
            let events = try deps.store.callbackEvents(request: callback.id!, after: nil)
            return try APIRouteSupport.json(CallbackResource(callback, events: events))
        }
        group.delete("callbacks/:id") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let callback = try owned(try APIRouteSupport.id("id", context), by: account, deps)
            let ended = try await cancel(callback, deps)
            return try APIRouteSupport.json(CallbackResource(ended, events: try deps.store.callbackEvents(request: ended.id!,
                                                                                                         after: nil)))
        }
        group.get("callbacks/:id/events") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let callback = try owned(try APIRouteSupport.id("id", context), by: account, deps)
            var resumeAfter: Int64?
            if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
                guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                    throw APIProblem.badRequest("Last-Event-ID must be an event id (a non-negative integer)",
                                                field: "Last-Event-ID")
                }
                resumeAfter = id
            }
            return CallbackEventStream(request: callback, resumeAfter: resumeAfter, deps: deps).response()
        }
    }

    /// Waits (at most `hangUpSettle`) until a hung-up request's end is recorded, so the
    /// answer to DELETE shows its legs ended.
    /// Cancels `callback` (the API's DELETE and the page's cancel button): a queued one is
    /// withdrawn; a ringing one is cancelled first (the worker then neither retries nor
    /// advances it), then its ringing gets a CANCEL (a phone that answered in the race is
    /// hung up); a live one is hung up, with whatever it dialled, as when the user hangs up.
    /// Returns the request as it is now; a conflict once it has ended.
    static func cancel(_ callback: CallbackRequest, _ deps: APIDependencies) async throws -> CallbackRequest {
        let id = callback.id!
        switch callback.state {
        case .queued:
            try deps.store.cancelCallback(id: id, at: deps.now())
        case .completed, .failed, .cancelled:
            throw APIProblem.conflict("request \(id) has ended (\(callback.state.rawValue)): there is nothing to cancel")
        case .callingA:
            try deps.store.cancelCallback(id: id, at: deps.now())
            _ = await deps.hangUpCallback?(id)
        case .aAnswered, .callingB, .connected:
            guard let hangUp = deps.hangUpCallback, await hangUp(id) else {
                let now = try deps.store.callbackRequest(id: id)?.state ?? callback.state
                throw APIProblem.conflict("request \(id) is \(now.rawValue) but no leg of it is live here")
            }
            try await waitUntilEnded(id, deps)
        }
        return try deps.store.callbackRequest(id: id) ?? callback
    }

    static func waitUntilEnded(_ id: Int64, _ deps: APIDependencies) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: hangUpSettle)
        while clock.now < deadline {
            if let state = try deps.store.callbackRequest(id: id)?.state, [.completed, .failed, .cancelled].contains(state) {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How long DELETE waits for the hung-up legs' end to be recorded.
    static let hangUpSettle: Duration = .seconds(5)

    /// The request `id` if it is the account's (another account's is as unknown as none).
    static func owned(_ id: Int64, by account: Account, _ deps: APIDependencies) throws -> CallbackRequest {
        guard let request = try deps.store.callbackRequest(id: id), request.accountID == account.id else {
            throw APIProblem.notFound("no callback request \(id)")
        }
        return request
    }

    /// `source`: the client's address, whose trigger rate budget the request spends.
    static func create(_ request: Request, account: Account, source: String?, _ deps: APIDependencies) async throws
        -> Response {
        let body = try await APIRouteSupport.validatedBody(request, operationId: "createCallback", document: deps.document)
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let key, key.isEmpty || key.count > 200 {
            throw APIProblem.badRequest("Idempotency-Key must be 1 to 200 characters", field: "Idempotency-Key")
        }
        guard let campaign = deps.webCampaign else {
            throw APIProblem.unavailable("no campaign serves API callbacks (callback.web-campaign is not set)")
        }
        let from = body["from"]?.string
        let destinations = body["numbers"]?.array?.compactMap(\.string) ?? [body["to"]?.string ?? ""]
        let originField = "/from"
        let order: CallbackScheduler.Order
        do {
            order = try WebCallbackOrder.order(
                // An API client has no caller ID: it is counted per address and globally.
                trigger: .api, account: account, requester: TriggerRequester(callerID: nil, source: source), callerIDs: try deps.store.callerIDs(account: account.id!).map(\.number),
                from: from, destinations: destinations, campaign: campaign, maxParticipants: deps.scheduler.maxParticipants,
                idempotencyKey: key.map { "api:\(account.id!):\($0)" })
        } catch let problem as WebCallbackOrder.Problem {
            switch problem {
            case .noDestination, .tooManyNumbers: throw APIProblem.invalid(problem.description, field: "/numbers")
            case .noOwnNumber: throw APIProblem.invalid(problem.description, field: "/from")
            }
        }
        let queued: CallbackScheduler.Queued
        do {
            queued = try deps.scheduler.schedule(order)
        } catch {
            switch error {
            case .refused, .noNumber:
                throw APIProblem.invalid("\(error)", field: originField)
            case .limited(_, let retryAfter):
                throw APIProblem.tooManyRequests("\(error)", retryAfter: retryAfter)
            case .store:
                throw APIProblem.unavailable("\(error)")
            }
        }
        let callback = queued.request
        deps.metrics.callbackRequest(trigger: "api", outcome: queued.isNew ? "queued" : "repeated")
        let events = try deps.store.callbackEvents(request: callback.id!, after: nil)
        return try APIRouteSupport.json(CallbackResource(callback, events: events), status: queued.isNew ? .created : .ok,
                                        headers: [.location: "/api/v1/callbacks/\(callback.id!)"])
    }
}
