@testable import Web
import XCTest

/// `/metrics` through swift-prometheus: the server's own statistics keep their names and
/// kinds (counters move by what changed), and the API's counters and gauge appear.
final class SwitchbackMetricsTests: XCTestCase {
    func testServerStatisticsKeepTheirNamesAndKinds() {
        let metrics = SwitchbackMetrics()
        metrics.record(serverSnapshot: [("switchback_active_calls", "Calls in progress.", 3),
                                        ("switchback_sip_messages_received_total", "SIP messages received.", 10)])
        metrics.record(serverSnapshot: [("switchback_active_calls", "Calls in progress.", 1),
                                        ("switchback_sip_messages_received_total", "SIP messages received.", 25)])
        let text = metrics.render()
        XCTAssertTrue(text.contains("# TYPE switchback_active_calls gauge\nswitchback_active_calls 1"), text)
        XCTAssertTrue(text.contains("# TYPE switchback_sip_messages_received_total counter\nswitchback_sip_messages_received_total 25"), text)
        XCTAssertTrue(text.contains("# HELP switchback_sip_messages_received_total SIP messages received."), text)
    }

    func testCallbackRequestsByTriggerAndOutcomeAndEventStreamClients() {
        let metrics = SwitchbackMetrics()
        metrics.callbackRequest(trigger: "api", outcome: "queued")
        metrics.callbackRequest(trigger: "api", outcome: "queued")
        metrics.callbackRequest(trigger: "spool", outcome: "refused")
        metrics.sseClientConnected()
        metrics.sseClientConnected()
        metrics.sseClientDisconnected()
        let text = metrics.render()
        XCTAssertTrue(text.contains(#"switchback_callback_requests_total{trigger="api",outcome="queued"} 2"#), text)
        XCTAssertTrue(text.contains(#"switchback_callback_requests_total{trigger="spool",outcome="refused"} 1"#), text)
        XCTAssertTrue(text.contains("switchback_api_sse_clients 1"), text)
    }
}
