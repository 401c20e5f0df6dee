// When to try a failed delivery again: exponential backoff with jitter, and when to give up
// (too many attempts, or too old) and dead-letter the message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "gateway/config/config.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::routing {

/** RetryPolicy: attempts and age limits, and the backoff's bounds. */
struct RetryPolicy {
  std::uint32_t max_attempts = 10;
  std::chrono::seconds max_age{std::chrono::hours(24)};
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  double jitter = 0.5;  // the delay is drawn from [base * (1 - jitter), base]

  /** from_config: the policy of a `delivery:` section. */
  [[nodiscard]] static RetryPolicy from_config(const config::Delivery& d);
};

/**
 * backoff: the delay before attempt `attempts + 1`, after `attempts` failures (>= 1):
 * base = min(max_backoff, initial_backoff * 2^(attempts-1)), less up to `jitter` of it, drawn
 * with `unit` in [0, 1) (so recipients coming back are not hit by every sender at once: AWS
 * Architecture Blog, "Exponential Backoff And Jitter").
 */
[[nodiscard]] std::chrono::milliseconds backoff(const RetryPolicy& p, std::int64_t attempts,
                                                double unit);

/**
 * next_attempt: when to retry a message that has just failed for the `attempts`-th time, or
 * nullopt if it is out of attempts, or its age (from `since`: queued or replayed) at `now`
 * has reached max_age: then it goes to the dead-letter queue.
 */
[[nodiscard]] std::optional<store::TimePoint> next_attempt(const RetryPolicy& p,
                                                           std::int64_t attempts,
                                                           store::TimePoint since,
                                                           store::TimePoint now, double unit);

}  // namespace gw::routing
