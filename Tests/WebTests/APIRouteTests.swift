import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Store
@testable import Web
import XCTest

/// `/api/v1` without sockets: authentication and lockout, validation against the document
/// (problem+json naming the field), max-participants, idempotency, 201 + Location, the
/// leg states and their event stream, the account's data and the admin half.
final class APIRouteTests: XCTestCase {
    // MARK: - Authentication

    func testNoCredentialsIsA401ProblemWithABasicChallenge() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/account", method: .get)
            assertProblem(response, .unauthorized, field: "Authorization")
            XCTAssertEqual(response.headers[.wwwAuthenticate], AccountAuthenticator.challenge)
        }
    }

    func testRepeatedWrongPasswordsLockTheLoginOutEvenWithTheRightOne() async throws {
        let bed = try APITestBed(lockoutAttempts: 3)
        try await bed.application().test(.router) { client in
            let wrong: HTTPFields = [.authorization: APITestBed.basic("alice", "guess")]
            for _ in 0..<3 {
                assertProblem(try await client.execute(uri: "/api/v1/account", method: .get, headers: wrong),
                                   .unauthorized, field: "Authorization")
            }
            let locked = try await client.execute(uri: "/api/v1/account", method: .get, headers: APITestBed.alice)
            assertProblem(locked, .tooManyRequests, field: "Authorization")
            XCTAssertEqual(locked.headers[.retryAfter], "900")
        }
    }

    func testTheRightPasswordShowsTheAccountWithExactMoney() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/account", method: .get, headers: APITestBed.alice)
            XCTAssertEqual(response.status, .ok)
            let account = response.json
            XCTAssertEqual(account["login"] as? String, "alice")
            XCTAssertEqual(account["balance"] as? String, "5.0000")
            XCTAssertEqual(account["freeBalance"] as? String, "5.0000")
            XCTAssertEqual(account["currency"] as? String, "EUR")
            XCTAssertTrue(account.keys.contains("plan"))
        }
    }

    // MARK: - Validation against the document

    func testBodiesThatBreakTheSchemaAre422NamingTheField() async throws {
        let bed = try APITestBed()
        let cases: [(String, String)] = [
            (#"{"numbers": "4930222"}"#, "/numbers"),
            (#"{"numbers": ["49a0222"]}"#, "/numbers/0"),
            (#"{"numbers": []}"#, "/numbers"),
            (#"{"numbers": ["4930222"], "extra": 1}"#, "/extra"),
            (#"{"from": "4930111"}"#, "/numbers"),
            (#"{"from": "4930111", "to": "x"}"#, "/to"),
            (#"[]"#, ""),
        ]
        try await bed.application().test(.router) { client in
            for (text, field) in cases {
                let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                        body: body(text))
                assertProblem(response, .unprocessableContent, field: field)
            }
            XCTAssertEqual(try bed.store.callbackRequests(states: CallbackRequest.State.allCases).count, 0,
                           "nothing is queued from an invalid body")
        }
    }

    func testNotJSONIs400AndAnotherMediaTypeIs415() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            assertProblem(try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                        body: body("numbers=1")), .badRequest, field: "")
            var form = APITestBed.alice
            form[.contentType] = "application/x-www-form-urlencoded"
            assertProblem(try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: form,
                                                        body: body("numbers=1")), .unsupportedMediaType, field: "Content-Type")
        }
    }

    func testMoreNumbersThanMaxParticipantsIs422SayingTheLimit() async throws {
        let bed = try APITestBed(maxParticipants: 3)
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                    body: body(#"{"numbers": ["4930201", "4930202", "4930203"]}"#))
            assertProblem(response, .unprocessableContent, field: "/numbers")
            XCTAssertTrue((response.json["detail"] as? String ?? "").contains("max-participants is 3"), response.text)
            let two = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                               body: body(#"{"numbers": ["4930201", "4930202"]}"#))
            XCTAssertEqual(two.status, .created, two.text)
        }
    }

    func testAFromNotOnTheAllowListIsRefused() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                    body: body(#"{"from": "4930999", "to": "4930222"}"#))
            assertProblem(response, .unprocessableContent, field: "/from")
            XCTAssertTrue((response.json["detail"] as? String ?? "").contains("allow-list"), response.text)
        }
    }

    // MARK: - Queueing

    func testA201WithLocationQueuesTheRequestOnThePipeline() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                    body: body(#"{"numbers": ["4930222"]}"#))
            XCTAssertEqual(response.status, .created, response.text)
            let id = try XCTUnwrap(response.json["id"] as? Int)
            XCTAssertEqual(response.headers[.location], "/api/v1/callbacks/\(id)")
            let queued = try XCTUnwrap(bed.store.callbackRequest(id: Int64(id)))
            XCTAssertEqual(queued.trigger, .api)
            XCTAssertEqual(queued.originNumber, "4930777", "the forward number is the user's own leg")
            XCTAssertEqual(queued.destinations, ["4930222"])
            XCTAssertEqual(queued.campaign, "web-callback")
            XCTAssertEqual(queued.accountID, bed.alice.id)
            XCTAssertEqual(queued.callerID, "4930222", "the user's phone shows the destination")
            let connectTwo = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                      body: body(#"{"from": "4930111", "to": "4930333"}"#))
            XCTAssertEqual(connectTwo.status, .created, connectTwo.text)
            XCTAssertEqual(connectTwo.json["from"] as? String, "4930111")
            XCTAssertEqual(connectTwo.json["numbers"] as? [String], ["4930333"])
        }
        XCTAssertTrue(bed.metrics.render().contains(#"switchback_callback_requests_total{trigger="api",outcome="queued"} 2"#),
                      bed.metrics.render())
    }

    func testARepeatedIdempotencyKeyReturnsTheSameRequest() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            var headers = APITestBed.alice
            headers[HTTPField.Name("Idempotency-Key")!] = "order-17"
            let first = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: headers,
                                                 body: body(#"{"numbers": ["4930222"]}"#))
            let again = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: headers,
                                                 body: body(#"{"numbers": ["4930222"]}"#))
            XCTAssertEqual(first.status, .created)
            XCTAssertEqual(again.status, .ok)
            XCTAssertEqual(again.json["id"] as? Int, first.json["id"] as? Int)
            XCTAssertEqual(again.headers[.location], first.headers[.location])
            headers[HTTPField.Name("Idempotency-Key")!] = "order-18"
            let other = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: headers,
                                                 body: body(#"{"numbers": ["4930222"]}"#))
            XCTAssertEqual(other.status, .created)
            XCTAssertNotEqual(other.json["id"] as? Int, first.json["id"] as? Int)
        }
        XCTAssertEqual(try bed.store.callbackRequests(account: bed.alice.id!, limit: 10).count, 2)
    }

    func testOverTheTriggerRateLimitIs429WithRetryAfterAndCounted() async throws {
        let bed = try APITestBed(limits: "{ per-minute-per-source: 2, per-minute-global: 2 }")
        try await bed.application().test(.router) { client in
            for number in ["4930222", "4930223"] {
                let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                        body: body(#"{"numbers": ["\#(number)"]}"#))
                XCTAssertEqual(response.status, .created, response.text)
            }
            let over = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                body: body(#"{"numbers": ["4930224"]}"#))
            assertProblem(over, .tooManyRequests, field: nil)
            XCTAssertEqual(over.json["type"] as? String, "https://switchback.local/problems/rate-limited")
            let retryAfter = try XCTUnwrap(over.headers[.retryAfter].flatMap { Int($0) }, "Retry-After in seconds")
            XCTAssertTrue((1...60).contains(retryAfter), "\(retryAfter)")
        }
        XCTAssertEqual(try bed.store.callbackRequests(account: bed.alice.id!, limit: 10).count, 2, "nothing queued when refused")
        XCTAssertTrue(bed.metrics.render().contains(#"switchback_callback_requests_total{trigger="api",outcome="limited"} 1"#),
                      bed.metrics.render())
        XCTAssertEqual(bed.scheduler.counters.triggersLimited(.global), 1)
    }

    func testWithoutAWebCampaignTheAPIRefusesCallbacksWith503() async throws {
        let bed = try APITestBed(webCampaign: nil)
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                    body: body(#"{"numbers": ["4930222"]}"#))
            assertProblem(response, .serviceUnavailable, field: nil)
        }
    }

    // MARK: - Following and cancelling

    func testLegStatesFollowTheQueueAndTheStreamReplaysAndResumes() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                   body: body(#"{"numbers": ["4930222"]}"#))
            let id = Int64(try XCTUnwrap(created.json["id"] as? Int))
            let t = Date()
            _ = try bed.store.claimNextCallback(worker: "w", at: t.addingTimeInterval(1))
            try bed.store.advanceCallback(id: id, to: .aAnswered, error: nil, at: t.addingTimeInterval(2))
            try bed.store.advanceCallback(id: id, to: .callingB, error: nil, at: t.addingTimeInterval(3))
            let ringing = try await client.execute(uri: "/api/v1/callbacks/\(id)", method: .get, headers: APITestBed.alice)
            let legs = try XCTUnwrap(ringing.json["legs"] as? [[String: Any]])
            XCTAssertEqual(legs.map { $0["leg"] as? String }, ["user", "destination"])
            XCTAssertEqual(legs.map { $0["state"] as? String }, ["answered", "dialing"])
            try bed.store.advanceCallback(id: id, to: .connected, error: nil, at: t.addingTimeInterval(4))
            try bed.store.completeCallback(id: id, at: t.addingTimeInterval(60))

            let stream = try await client.execute(uri: "/api/v1/callbacks/\(id)/events", method: .get, headers: APITestBed.alice)
            XCTAssertEqual(stream.headers[.contentType], "text/event-stream")
            let events = Self.events(stream.text)
            XCTAssertEqual(events.map(\.state), ["queued", "calling-a", "a-answered", "calling-b", "connected", "completed"])
            XCTAssertEqual(events.map(\.user), ["queued", "dialing", "answered", "answered", "answered", "ended"])
            XCTAssertEqual(events.map(\.destination), ["queued", "queued", "queued", "dialing", "answered", "ended"])

            var resume = APITestBed.alice
            resume[HTTPField.Name("Last-Event-ID")!] = String(events[3].id)
            let resumed = Self.events(try await client.execute(uri: "/api/v1/callbacks/\(id)/events", method: .get,
                                                               headers: resume).text)
            XCTAssertEqual(resumed.map(\.state), ["connected", "completed"])
            XCTAssertEqual(resumed.map(\.user), ["answered", "ended"], "the legs are right after a resume")
        }
    }

    func testTheStreamIsLiveUntilTheRequestEnds() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                   body: body(#"{"numbers": ["4930222"]}"#))
            let id = Int64(try XCTUnwrap(created.json["id"] as? Int))
            let store = bed.store
            let worker = Task {
                try await Task.sleep(for: .milliseconds(100))
                _ = try store.claimNextCallback(worker: "w", at: Date().addingTimeInterval(1))
                try await Task.sleep(for: .milliseconds(100))
                try store.failCallback(id: id, error: "busy: 486 Busy Here", retryAt: nil, at: Date())
            }
            let stream = try await client.execute(uri: "/api/v1/callbacks/\(id)/events", method: .get, headers: APITestBed.alice)
            try await worker.value
            let events = Self.events(stream.text)
            XCTAssertEqual(events.map(\.state), ["queued", "calling-a", "failed"])
            XCTAssertEqual(events.map(\.user), ["queued", "dialing", "busy"])
            XCTAssertEqual(events.last?.cause, "busy: 486 Busy Here")
        }
    }

    func testCancelAndAnotherAccountsRequestIsNotFound() async throws {
        let bed = try APITestBed()
        _ = try bed.store.createAccount(NewAccount(login: "bob", password: "builder", sipRealm: "r",
                                                   initialBalance: .zero("EUR")), at: Date())
        try await bed.application().test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                   body: body(#"{"numbers": ["4930222"]}"#))
            let id = try XCTUnwrap(created.json["id"] as? Int)
            let bob: HTTPFields = [.authorization: APITestBed.basic("bob", "builder")]
            assertProblem(try await client.execute(uri: "/api/v1/callbacks/\(id)", method: .get, headers: bob),
                               .notFound, field: nil)
            assertProblem(try await client.execute(uri: "/api/v1/callbacks/\(id)", method: .delete, headers: bob),
                               .notFound, field: nil)
            let cancelled = try await client.execute(uri: "/api/v1/callbacks/\(id)", method: .delete, headers: APITestBed.alice)
            XCTAssertEqual(cancelled.status, .ok, cancelled.text)
            XCTAssertEqual(cancelled.json["state"] as? String, "cancelled")
            assertProblem(try await client.execute(uri: "/api/v1/callbacks/\(id)", method: .delete, headers: APITestBed.alice),
                               .conflict, field: nil)
            assertProblem(try await client.execute(uri: "/api/v1/callbacks/abc", method: .get, headers: APITestBed.alice),
                               .badRequest, field: "id")
            // Claimed (the worker rings the user's phone): cancelled all the same, so the
            // worker neither advances nor retries it (the CANCEL itself: APICallbackEndToEndTests).
            let ringing = try await client.execute(uri: "/api/v1/callbacks", method: .post, headers: APITestBed.alice,
                                                   body: body(#"{"numbers": ["4930223"]}"#))
            let ringingID = try XCTUnwrap(ringing.json["id"] as? Int)
            _ = try bed.store.claimNextCallback(worker: "w", at: Date().addingTimeInterval(1))
            XCTAssertEqual(try bed.store.callbackRequest(id: Int64(ringingID))?.state, .callingA)
            let stopped = try await client.execute(uri: "/api/v1/callbacks/\(ringingID)", method: .delete, headers: APITestBed.alice)
            XCTAssertEqual(stopped.status, .ok, stopped.text)
            XCTAssertEqual(stopped.json["state"] as? String, "cancelled", stopped.text)
            XCTAssertThrowsError(try bed.store.advanceCallback(id: Int64(ringingID), to: .aAnswered, error: nil, at: Date()))
        }
    }

    // MARK: - The account's data

    func testCallerIDsAddressBookAndForward() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let added = try await client.execute(uri: "/api/v1/caller-ids", method: .post, headers: APITestBed.alice,
                                                 body: body(#"{"number": "4930444"}"#))
            XCTAssertEqual(added.status, .created, added.text)
            let list = try await client.execute(uri: "/api/v1/caller-ids", method: .get, headers: APITestBed.alice)
            XCTAssertEqual(Set(((try JSONSerialization.jsonObject(with: Data(list.text.utf8))) as? [[String: Any]] ?? [])
                .compactMap { $0["number"] as? String }), ["4930111", "4930444"])
            assertProblem(try await client.execute(uri: "/api/v1/caller-ids/4930555", method: .delete,
                                                        headers: APITestBed.alice), .notFound, field: nil)
            let removed = try await client.execute(uri: "/api/v1/caller-ids/4930444", method: .delete, headers: APITestBed.alice)
            XCTAssertEqual(removed.status, .noContent)

            let entry = try await client.execute(uri: "/api/v1/address-book", method: .post, headers: APITestBed.alice,
                                                 body: body(#"{"name": "mum", "number": "4930666"}"#))
            XCTAssertEqual(entry.status, .created, entry.text)
            XCTAssertEqual(entry.json["slot"] as? Int, 1)
            assertProblem(try await client.execute(uri: "/api/v1/address-book", method: .post, headers: APITestBed.alice,
                                                        body: body(#"{"name": "mum", "number": "4930667"}"#)),
                               .conflict, field: nil)

            let forward = try await client.execute(uri: "/api/v1/forward", method: .put, headers: APITestBed.alice,
                                                   body: body(#"{"number": "4930888", "mode": "fork", "afterSeconds": 15}"#))
            XCTAssertEqual(forward.status, .ok, forward.text)
            XCTAssertEqual(forward.json["mode"] as? String, "fork")
            assertProblem(try await client.execute(uri: "/api/v1/forward", method: .put, headers: APITestBed.alice,
                                                        body: body(#"{"number": null, "mode": "sometimes", "afterSeconds": 15}"#)),
                               .unprocessableContent, field: "/mode")
        }
    }

    func testCallsArePagedAndExportedAsCSV() async throws {
        let bed = try APITestBed()
        for index in 0..<3 {
            _ = try bed.store.recordUnbilledLeg(UnbilledCallLeg(
                accountID: bed.alice.id, campaign: "web-callback", trigger: "api", leg: .a, fromNumber: "7001",
                toNumber: "493011\(index)", startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)), answeredAt: nil,
                endedAt: Date(timeIntervalSince1970: 1_800_000_010), disposition: .busy, sipCause: 486))
        }
        try await bed.application().test(.router) { client in
            let page = try await client.execute(uri: "/api/v1/calls?page=2&per-page=2", method: .get, headers: APITestBed.alice)
            XCTAssertEqual(page.status, .ok, page.text)
            XCTAssertEqual(page.json["total"] as? Int, 3)
            XCTAssertEqual((page.json["calls"] as? [[String: Any]])?.compactMap { $0["number"] as? String }, ["4930112"])
            var csv = APITestBed.alice
            csv[.accept] = "text/csv"
            let export = try await client.execute(uri: "/api/v1/calls", method: .get, headers: csv)
            XCTAssertEqual(export.headers[.contentType], "text/csv; charset=utf-8")
            let lines = export.text.split(separator: "\r\n")
            XCTAssertEqual(lines.count, 4)
            XCTAssertEqual(String(lines[0]), CallRecord.csvHeader)
            XCTAssertTrue(lines[1].hasSuffix(",busy,486"), String(lines[1]))
            assertProblem(try await client.execute(uri: "/api/v1/calls?per-page=0", method: .get, headers: APITestBed.alice),
                               .badRequest, field: "per-page")
        }
    }

    // MARK: - Admin

    func testTheAdminHalfTakesTheBearerToken() async throws {
        let bed = try APITestBed(adminToken: "s3cret")
        try await bed.application().test(.router) { client in
            assertProblem(try await client.execute(uri: "/api/v1/admin/accounts", method: .get, headers: APITestBed.alice),
                               .unauthorized, field: "Authorization")
            let admin: HTTPFields = [.authorization: "Bearer s3cret", .contentType: "application/json"]
            let credited = try await client.execute(uri: "/api/v1/admin/accounts/alice/credit", method: .post, headers: admin,
                                                    body: body(#"{"amount": "2.50 EUR", "note": "promo"}"#))
            XCTAssertEqual(credited.status, .ok, credited.text)
            XCTAssertEqual(credited.json["balance"] as? String, "7.5000")
            assertProblem(try await client.execute(uri: "/api/v1/admin/accounts/alice/credit", method: .post, headers: admin,
                                                        body: body(#"{"amount": "2.50"}"#)),
                               .unprocessableContent, field: "/amount")
            let opened = try await client.execute(uri: "/api/v1/admin/accounts", method: .post, headers: admin,
                                                  body: body(#"{"login": "carol", "password": "pw-carol", "pin": "4321", "balance": "1.00 EUR"}"#))
            XCTAssertEqual(opened.status, .created, opened.text)
            assertProblem(try await client.execute(uri: "/api/v1/admin/accounts", method: .post, headers: admin,
                                                        body: body(#"{"login": "carol", "password": "pw-carol", "pin": "4322", "balance": "1.00 EUR"}"#)),
                               .conflict, field: nil)
            let active = try await client.execute(uri: "/api/v1/admin/calls/active", method: .get, headers: admin)
            XCTAssertEqual(active.json["activeCalls"] as? Int, 7)
        }
    }

    func testTheDocumentIsServed() async throws {
        let bed = try APITestBed()
        try await bed.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.text, OpenAPIDocument.text)
        }
    }

    // MARK: - Reading the stream

    struct Event {
        var id: Int64
        var state: String
        var user: String
        var destination: String
        var cause: String?
    }

    static func events(_ text: String) -> [Event] {
        text.components(separatedBy: "\n\n").compactMap { block -> Event? in
            var id: Int64?
            var data: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let id, let data,
                  let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                  let legs = object["legs"] as? [[String: Any]] else { return nil }
            let user = legs.first { $0["leg"] as? String == "user" }
            let destination = legs.first { $0["leg"] as? String == "destination" }
            return Event(id: id, state: object["state"] as? String ?? "", user: user?["state"] as? String ?? "",
                         destination: destination?["state"] as? String ?? "", cause: user?["cause"] as? String)
        }
    }
}

private func assertProblem(_ response: TestResponse, _ status: HTTPResponse.Status, field: String?,
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(response.status, status, response.text, file: file, line: line)
    XCTAssertEqual(response.headers[.contentType], "application/problem+json", file: file, line: line)
    let problem = response.json
    XCTAssertEqual(problem["status"] as? Int, Int(status.code), file: file, line: line)
    XCTAssertNotNil(problem["title"] as? String, file: file, line: line)
    XCTAssertNotNil(problem["type"] as? String, file: file, line: line)
    XCTAssertEqual(problem["field"] as? String, field, response.text, file: file, line: line)
}
