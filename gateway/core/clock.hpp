// Time as a dependency: production code asks a Clock, tests hand in a fake one.
#pragma once

#include <chrono>

namespace gw {

/** Clock: wall time (for records) and steady time (for durations). Implementations are thread-safe.
 */
class Clock {
public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

/** SystemClock: the real clocks. */
class SystemClock final : public Clock {
public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace gw
