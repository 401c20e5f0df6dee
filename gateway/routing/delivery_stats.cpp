// DeliveryStats: registration and the queue gauges.
#include "gateway/routing/delivery_stats.hpp"

#include <chrono>

namespace gw::routing {

DeliveryStats::DeliveryStats(metrics::Registry& r)
    : queue_depth(r.gauge("caregw_outbox_queued", "Messages queued for delivery per recipient",
                          {"recipient"})),
      oldest_age_seconds(r.gauge("caregw_outbox_oldest_age_seconds",
                                 "Age of the oldest queued message per recipient", {"recipient"})),
      dead_letters(r.gauge("caregw_outbox_dead_letters",
                           "Messages in the dead-letter queue per recipient", {"recipient"})),
      deliveries(r.counter("caregw_deliveries_total", "Messages delivered", {"recipient"})),
      retries(r.counter("caregw_delivery_retries_total",
                        "Failed delivery attempts that will be retried", {"recipient"})),
      dead_lettered(r.counter("caregw_dead_lettered_total",
                              "Messages moved to the dead-letter queue", {"recipient"})),
      attempt_seconds(r.histogram("caregw_delivery_attempt_seconds", "Time of one delivery attempt",
                                  {}, metrics::latency_buckets())) {}

void DeliveryStats::set_queues(const std::vector<store::RecipientQueue>& queues,
                               store::TimePoint now) {
  // Recipients that emptied drop out of queues(): zero every series first.
  queue_depth.for_each([](const auto&, metrics::Gauge& g) { g.set(0); });
  oldest_age_seconds.for_each([](const auto&, metrics::Gauge& g) { g.set(0); });
  dead_letters.for_each([](const auto&, metrics::Gauge& g) { g.set(0); });
  for (const auto& q : queues) {
    const std::string_view r = q.recipient.str();
    queue_depth.with({r}).set(q.queued);
    dead_letters.with({r}).set(q.dead);
    const auto age =
        q.oldest_queued_at
            ? std::chrono::duration_cast<std::chrono::seconds>(now - *q.oldest_queued_at).count()
            : 0;
    oldest_age_seconds.with({r}).set(age);
  }
}

}  // namespace gw::routing
