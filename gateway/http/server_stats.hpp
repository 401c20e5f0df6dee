// The server's metrics, declared in one place (Envoy style) and asserted on in tests.
#pragma once

#include <vector>

#include "gateway/metrics/metrics.hpp"

namespace gw::http {

/** audit_wait_buckets: bounds in seconds for the wait on a durable audit record (250 µs to 1 s,
 * finer around the 2 ms target of issue 5 than the request latency buckets). */
inline const std::vector<double>& audit_wait_buckets() {
  static const std::vector<double> kB{0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004,
                                      0.005,   0.0075, 0.01,  0.015,  0.02,  0.03,  0.05,
                                      0.075,   0.1,    0.25,  0.5,    1};
  return kB;
}

/** ServerStats: every metric the listener, sessions and request pipeline keep. */
struct ServerStats {
  explicit ServerStats(metrics::Registry& r)
      : requests(r.counter("caregw_http_requests_total",
                           "HTTP requests answered, by route and status",
                           {"listener", "route", "status"})),
        latency(r.histogram("caregw_http_request_duration_seconds",
                            "Time from the request header to the response, by route", {"route"},
                            metrics::latency_buckets())),
        open_connections(
            r.gauge("caregw_open_connections", "TLS connections open now", {"listener"})),
        connections(
            r.counter("caregw_connections_total", "TCP connections accepted", {"listener"})),
        handshake_failures(r.counter("caregw_tls_handshake_failures_total",
                                     "TLS handshakes refused or failed, by reason",
                                     {"listener", "reason"})),
        connections_refused(
            r.counter("caregw_connections_refused_total",
                      "Connections closed at once, by reason (connection limit, draining)",
                      {"listener", "reason"})),
        timeouts(
            r.counter("caregw_http_timeouts_total",
                      "Connections dropped for a timeout, by phase (idle, header, body, write)",
                      {"listener", "phase"})),
        peers_refused(r.counter(
            "caregw_peers_refused_total",
            "Requests refused because of the client certificate's organisation, by reason",
            {"listener", "reason"})),
        config_reloads(r.counter("caregw_config_reloads_total",
                                 "Config reloads (SIGHUP), by result", {"result"})),
        internal_errors(r.counter("caregw_internal_errors_total",
                                  "Unexpected errors caught at the edge of a connection")),
        break_glass(r.counter("caregw_break_glass_total",
                              "Break-glass grants opened, by the user's organisation and reason",
                              {"organisation", "reason"})),
        break_glass_active(r.gauge("caregw_break_glass_grants_active",
                                   "Break-glass grants in force (opened, not ended, not expired) "
                                   "when /metrics was read")),
        audit_wait(r.histogram("caregw_audit_wait_seconds",
                               "Time a request waited for its audit records to be on disk before "
                               "its answer could leave (group commit), by route",
                               {"route"}, audit_wait_buckets())) {}

  metrics::CounterFamily& requests;
  metrics::HistogramFamily& latency;
  metrics::GaugeFamily& open_connections;
  metrics::CounterFamily& connections;
  metrics::CounterFamily& handshake_failures;
  metrics::CounterFamily& connections_refused;
  metrics::CounterFamily& timeouts;
  metrics::CounterFamily& peers_refused;
  metrics::CounterFamily& config_reloads;
  metrics::CounterFamily& internal_errors;
  metrics::CounterFamily& break_glass;
  metrics::GaugeFamily& break_glass_active;
  metrics::HistogramFamily& audit_wait;
};

}  // namespace gw::http
