// A settable clock for tests: wall time that moves only when the test says so.
#pragma once

#include <chrono>
#include <mutex>

#include "gateway/core/clock.hpp"

namespace gw::test {

/** FakeClock: starts at `start` (default 2024-03-01T09:00:00Z) and moves by advance(). Thread-safe.
 */
class FakeClock : public Clock {
public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::sys_days{std::chrono::year{2024} / 3 / 1} +
                         std::chrono::hours{9})
      : now_(start) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point{} + now().time_since_epoch();
  }
  void advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_;
};

}  // namespace gw::test
