import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The metrics `/metrics` shows, through swift-metrics into a swift-prometheus registry
/// (no global bootstrap: the factory is passed to whoever counts, so tests get their own).
/// To add a metric: `Counter(label: "switchback_…_total", dimensions: […], factory: metrics.factory)`.
public final class SwitchbackMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    /// The last value of each server statistic, so its counter moves by the difference.
    private let lastServerValues = Mutex<[String: Int]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        // Registered at once so a scrape shows 0 before the first client.
        Meter(label: Self.sseClients, factory: factory).set(0)
    }

    /// A callback request asked for by `trigger` (api, web, spool, …) and what became of
    /// it: `queued`, `repeated` (an idempotency key's earlier request), `refused`,
    /// `invalid`, `unauthorised`, `failed`.
    public func callbackRequest(trigger: String, outcome: String) {
        Counter(label: "switchback_callback_requests_total", dimensions: [("trigger", trigger), ("outcome", outcome)],
                factory: factory).increment()
    }

    static let sseClients = "switchback_api_sse_clients"

    /// Event-stream clients connected now.
    public func sseClientConnected() { Meter(label: Self.sseClients, factory: factory).increment() }
    public func sseClientDisconnected() { Meter(label: Self.sseClients, factory: factory).decrement() }

    /// The server's own statistics, read when scraped: names ending `_total` are counters
    /// (they move by what changed since the last scrape), the rest gauges.
    public func record(serverSnapshot snapshot: [(String, String, Int)]) {
        for (name, help, value) in snapshot {
            if name.hasSuffix("_total") {
                let delta = lastServerValues.withLock { last -> Int in
                    let change = value - (last[name] ?? 0)
                    last[name] = value
                    return change
                }
                let counter = registry.makeCounter(name: name, help: help)
                if delta > 0 { counter.increment(by: Int64(delta)) }
            } else {
                registry.makeGauge(name: name, help: help).set(Double(value))
            }
        }
    }

    static let triggerLimited = "switchback_trigger_limited_total"

    /// Callback triggers refused by each kind of `callback.limits` (caller-id, source,
    /// global, concurrent-unauthenticated), totals since the start: every kind is shown,
    /// 0 included, so an alert can watch a kind before it first fires.
    public func record(triggerLimitRefusals refusals: [(kind: String, refusals: Int)]) {
        for (kind, total) in refusals {
            let delta = lastServerValues.withLock { last -> Int in
                let key = "\(Self.triggerLimited){kind=\(kind)}"
                let change = total - (last[key] ?? 0)
                last[key] = total
                return change
            }
            let counter = registry.makeCounter(name: Self.triggerLimited, labels: [("kind", kind)],
                                               help: "Callback triggers refused by a callback.limits rate limit or the "
                                                   + "concurrent unauthenticated cap, by kind.")
            if delta > 0 { counter.increment(by: Int64(delta)) }
        }
    }

    /// The Prometheus text exposition format (0.0.4).
    public func render() -> String {
        registry.emitToString()
    }
}
