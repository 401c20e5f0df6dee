// The delivery metrics, declared in one place: per recipient, queue depth, oldest queued
// message's age, dead letters waiting, deliveries, retries and new dead letters; attempt latency.
#pragma once

#include <string_view>

#include "gateway/metrics/metrics.hpp"
#include "gateway/store/message_store.hpp"

namespace gw::routing {

/** DeliveryStats: families registered once at startup; label `recipient` is an ODS code. */
struct DeliveryStats {
  explicit DeliveryStats(metrics::Registry& r);

  metrics::GaugeFamily& queue_depth;          // caregw_outbox_queued{recipient}
  metrics::GaugeFamily& oldest_age_seconds;   // caregw_outbox_oldest_age_seconds{recipient}
  metrics::GaugeFamily& dead_letters;         // caregw_outbox_dead_letters{recipient}
  metrics::CounterFamily& deliveries;         // caregw_deliveries_total{recipient}
  metrics::CounterFamily& retries;            // caregw_delivery_retries_total{recipient}
  metrics::CounterFamily& dead_lettered;      // caregw_dead_lettered_total{recipient}
  metrics::HistogramFamily& attempt_seconds;  // caregw_delivery_attempt_seconds

  /** set_queues: the gauges from a store::MessageStore::queues() snapshot taken at `now`. */
  void set_queues(const std::vector<store::RecipientQueue>& queues, store::TimePoint now);
};

}  // namespace gw::routing
