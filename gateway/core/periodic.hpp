// A background thread that runs one task at a fixed interval until it is stopped: for the
// gateway's housekeeping (flushing counters, retention), never for the request path.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace gw {

/**
 * Periodic: runs `task` every `interval` (the first run one interval after start) on its own
 * thread, and once more on stop() when `run_on_stop` is set. stop() (and the destructor) wake
 * the thread at once and join it, so a Periodic never outlives what its task touches when it
 * is declared after those things. The interval is read before each wait through `interval`,
 * so a reloaded setting takes effect from the next wait.
 */
class Periodic {
public:
  Periodic(std::function<std::chrono::milliseconds()> interval, std::function<void()> task,
           bool run_on_stop = false)
      : interval_(std::move(interval)), task_(std::move(task)), run_on_stop_(run_on_stop) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Periodic() { stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  /** stop: wakes the thread, runs the task once more if asked to, and joins. Idempotent. */
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

private:
  void loop() {
    std::unique_lock lock(mu_);
    while (true) {
      const bool stop = cv_.wait_for(lock, interval_(), [this] { return stopping_; });
      if (stop && !run_on_stop_) {
        return;
      }
      lock.unlock();
      task_();
      lock.lock();
      if (stop) {
        return;
      }
    }
  }

  std::function<std::chrono::milliseconds()> interval_;
  std::function<void()> task_;
  bool run_on_stop_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gw
