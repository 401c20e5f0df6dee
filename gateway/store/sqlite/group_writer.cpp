// GroupWriter: the writer thread's loop: take what is queued (up to a batch), run each in a
// savepoint inside one transaction, commit once, then wake every caller of the batch.
#include "gateway/store/sqlite/group_writer.hpp"

#include <algorithm>

namespace gw::store::sqlite {

GroupWriter::GroupWriter(Database&& db, GroupWriterOptions options)
    : db_(std::move(db)), options_(options), thread_([this] { loop(); }) {}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::size_t GroupWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

Result<void> GroupWriter::submit(std::function<Result<void>(Database&)> f) {
  std::future<Result<void>> done;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return make_error(Errc::kUnavailable, "store: the writer is stopping");
    }
    if (queue_.size() >= options_.max_queue) {
      return make_error(Errc::kUnavailable, "store: the write queue is full; retry later");
    }
    queue_.push_back(Job{std::move(f), {}});
    done = queue_.back().done.get_future();
  }
  wake_.notify_one();
  return done.get();
}

void GroupWriter::loop() {
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything queued has been written
      }
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
  }
}

void GroupWriter::run_batch(std::deque<Job>& batch) {
  std::vector<std::optional<Error>> results(batch.size());
  // First without savepoints: almost every write succeeds, and a savepoint per write costs two
  // statements and a copy of every page it touches (SQLite's statement journal). If a write
  // fails, the pass is rolled back whole and run again with a savepoint per write, so that only
  // the failed one is undone (a batch of one needs no second pass: its rollback is its undo).
  auto committed = run_pass(batch, /*savepoints=*/false, results);
  if (committed && !*committed && batch.size() > 1) {
    std::fill(results.begin(), results.end(), std::nullopt);
    committed = run_pass(batch, /*savepoints=*/true, results);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!committed) {
      batch[i].done.set_value(committed.error());
    } else if (results[i]) {
      batch[i].done.set_value(*results[i]);
    } else {
      batch[i].done.set_value(Result<void>{});
    }
  }
}

Result<bool> GroupWriter::run_pass(std::deque<Job>& batch, bool savepoints,
                                   std::vector<std::optional<Error>>& results) {
  auto tx = Transaction::begin(db_, TransactionMode::kImmediate);
  if (!tx) {
    return tx.error();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!db_.in_transaction()) {
      // SQLite ended the transaction itself (I/O error, disk full): nothing more may run as if
      // it were open, or it would commit statement by statement.
      results[i] = make_error(Errc::kUnavailable, "store: the batch was rolled back; retry");
      continue;
    }
    if (!savepoints) {
      if (auto r = batch[i].fn(db_); !r) {
        results[i] = r.error();
        tx->rollback();
        return false;  // no write of this pass is kept
      }
      continue;
    }
    auto sp = Savepoint::begin(db_);
    if (!sp) {
      results[i] = sp.error();
      continue;
    }
    auto r = batch[i].fn(db_);
    if (!r) {
      results[i] = r.error();  // the savepoint's destructor undoes this job's writes
      continue;
    }
    if (auto rel = sp->release(); !rel) {
      results[i] = rel.error();
    }
  }
  if (auto c = tx->commit(); !c) {
    return c.error();
  }
  return true;
}

}  // namespace gw::store::sqlite
