// Periodic: the housekeeping thread runs its task at each interval, once more on stop when asked,
// and stop() returns only when the thread is gone.
#include "gateway/core/periodic.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(Periodic, RunsAtEachIntervalUntilStoppedAndOnceMoreWhenAsked) {
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  Periodic p([] { return std::chrono::milliseconds(1); },
             [&] {
               std::lock_guard lock(mu);
               ++runs;
               cv.notify_all();
             },
             /*run_on_stop=*/true);
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return runs >= 3; });
  }
  p.stop();
  const int after_stop = runs;
  p.stop();                     // idempotent
  EXPECT_EQ(runs, after_stop);  // nothing runs once stop() returned
  EXPECT_GE(after_stop, 4);     // three at the interval and the one on stop
}

TEST(Periodic, AStopBeforeTheFirstIntervalRunsNothingUnlessAsked) {
  std::atomic<int> runs{0};
  {
    Periodic p([] { return std::chrono::hours(1); }, [&] { ++runs; });
  }  // the destructor stops it without waiting an hour
  EXPECT_EQ(runs.load(), 0);
  {
    Periodic p([] { return std::chrono::hours(1); }, [&] { ++runs; }, /*run_on_stop=*/true);
  }
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace gw
