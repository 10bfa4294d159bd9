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

    func testTriggerLimitRefusalsAreCountedByKindZeroIncluded() {
        let metrics = SwitchbackMetrics()
        metrics.record(triggerLimitRefusals: [("caller-id", 0), ("source", 4), ("global", 0), ("concurrent-unauthenticated", 1)])
        metrics.record(triggerLimitRefusals: [("caller-id", 2), ("source", 7), ("global", 0), ("concurrent-unauthenticated", 1)])
        let text = metrics.render()
        XCTAssertTrue(text.contains("# TYPE switchback_trigger_limited_total counter"), text)
        XCTAssertTrue(text.contains(#"switchback_trigger_limited_total{kind="caller-id"} 2"#), text)
        XCTAssertTrue(text.contains(#"switchback_trigger_limited_total{kind="source"} 7"#), text)
        XCTAssertTrue(text.contains(#"switchback_trigger_limited_total{kind="global"} 0"#), text)
        XCTAssertTrue(text.contains(#"switchback_trigger_limited_total{kind="concurrent-unauthenticated"} 1"#), text)
    }
}
