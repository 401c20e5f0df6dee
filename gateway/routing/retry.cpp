// Backoff and give-up rules for failed deliveries.
#include "gateway/routing/retry.hpp"

#include <algorithm>

namespace gw::routing {

RetryPolicy RetryPolicy::from_config(const config::Delivery& d) {
  RetryPolicy p;
  p.max_attempts = d.max_attempts;
  p.max_age = d.max_age;
  p.initial_backoff = d.initial_backoff;
  p.max_backoff = d.max_backoff;
  return p;
}

std::chrono::milliseconds backoff(const RetryPolicy& p, std::int64_t attempts, double unit) {
  const auto cap = p.max_backoff.count();
  std::int64_t base = p.initial_backoff.count();
  for (std::int64_t i = 1; i < attempts && base < cap; ++i) {
    base *= 2;
  }
  base = std::min(base, cap);
  const double u = std::clamp(unit, 0.0, 1.0);
  const auto delay = static_cast<std::int64_t>(static_cast<double>(base) * (1.0 - p.jitter * u));
  return std::chrono::milliseconds(std::max<std::int64_t>(delay, 1));
}

std::optional<store::TimePoint> next_attempt(const RetryPolicy& p, std::int64_t attempts,
                                             store::TimePoint since, store::TimePoint now,
                                             double unit) {
  if (attempts >= static_cast<std::int64_t>(p.max_attempts) || now - since >= p.max_age) {
    return std::nullopt;
  }
  return now + backoff(p, attempts, unit);
}

}  // namespace gw::routing
