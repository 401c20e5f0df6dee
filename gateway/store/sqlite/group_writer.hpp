// Group commit for SQLite: one thread owns the writer connection and commits the writes of many
// callers in one transaction (one WAL sync for the lot), each caller's write in its own savepoint.
// A caller's call returns once its write is durable. The queue is bounded: when full, a write is
// refused at once (kUnavailable) instead of piling up in memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::store::sqlite {

/** GroupWriterOptions: queue bound and how many writes one transaction may carry. */
struct GroupWriterOptions {
  std::size_t max_queue = 16384;
  std::size_t max_batch = 1024;
};

/**
 * GroupWriter: serialises writes on one connection and commits them in batches.
 *
 * Each submitted function runs on the writer thread inside BEGIN IMMEDIATE. If it fails, its
 * writes are undone and only its caller sees the error; the others in the batch commit. If
 * COMMIT fails, every caller of the batch gets that error (nothing of the batch was kept).
 * Functions must not block on anything but the database.
 *
 * A function may run twice: a batch is first run without savepoints; if one of its functions
 * fails, that pass is rolled back and the batch run again with each function in its own
 * savepoint. So a function must change nothing but the database and its own result, and give
 * the same answer when run again on the same data.
 *
 * Thread safety: run() is thread-safe. The destructor finishes the queued writes, then stops.
 */
class GroupWriter {
public:
  GroupWriter(Database&& db, GroupWriterOptions options);
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  /**
   * run: runs `f(db)` in the next batch and waits until the batch is durably committed.
   * @return f's value; f's error; the commit's error; or kUnavailable when the queue is full.
   */
  template <class T>
  [[nodiscard]] Result<T> run(std::function<Result<T>(Database&)> f) {
    std::optional<T> value;
    auto r = submit([&](Database& db) -> Result<void> {
      auto v = f(db);
      if (!v) {
        return v.error();
      }
      value.emplace(std::move(*v));
      return {};
    });
    if (!r) {
      return r.error();
    }
    return std::move(*value);
  }

  /** run_void: as run(), for a function with no value. */
  [[nodiscard]] Result<void> run_void(std::function<Result<void>(Database&)> f) {
    return submit(std::move(f));
  }

  /** queued: writes waiting now (for metrics). */
  [[nodiscard]] std::size_t queued() const;

private:
  struct Job {
    std::function<Result<void>(Database&)> fn;
    std::promise<Result<void>> done;
  };

  Result<void> submit(std::function<Result<void>(Database&)> f);
  void loop();
  void run_batch(std::deque<Job>& batch);
  /** run_pass: one transaction over the batch; false when, without savepoints, a function
   * failed (the pass was rolled back); an error when BEGIN or COMMIT failed. */
  Result<bool> run_pass(std::deque<Job>& batch, bool savepoints,
                        std::vector<std::optional<Error>>& results);

  Database db_;
  GroupWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gw::store::sqlite
