// Shared WAL syncs and writer hand-over: group commit across connections to one SQLite file.
// Writers commit with synchronous=NORMAL (COMMIT appends to the WAL and releases the write lock
// without an fsync), then wait here until an fdatasync of the WAL that started after their COMMIT
// has finished. One fsync covers every commit that finished before it began, so concurrent writers
// share syncs instead of each holding the write lock through its own.
//
// Why this is as durable as synchronous=FULL: after the wait, the transaction's WAL frames are
// on disk. If a checkpoint moved them into the database first, SQLite (synchronous=NORMAL)
// synced the WAL before copying and the database after, and it restarts the WAL only after
// such a complete checkpoint: either way the transaction survives a power cut.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>

#include "gateway/core/error.hpp"

namespace gw::store::sqlite {

/**
 * WalSync: the WAL syncs of one database file, shared by every connection to it in this
 * process (shared_wal_sync). Thread-safe.
 */
class WalSync {
public:
  /** SyncFile: makes a file durable (fdatasync by default; tests may hold it to watch). */
  using SyncFile = std::function<Result<void>(const std::filesystem::path&)>;

  explicit WalSync(std::filesystem::path database_file, SyncFile sync = {});

  /**
   * wait_durable: returns once every commit that finished on any connection to the file before
   * this call is on disk (one fdatasync of the WAL, shared with concurrent callers).
   * @return kUnavailable if the WAL cannot be synced (the commit may not survive a power cut)
   */
  [[nodiscard]] Result<void> wait_durable();

  /** SyncStats: calls of wait_durable and the syncs they needed (syncs <= calls). */
  struct SyncStats {
    std::uint64_t waits = 0;
    std::uint64_t syncs = 0;
  };
  [[nodiscard]] SyncStats stats() const;

  /**
   * writer_lock: held by a write transaction on any connection to the file in this process,
   * from BEGIN IMMEDIATE to COMMIT/ROLLBACK (not through the sync). Writers in this process
   * queue here and are handed the file at once, instead of meeting SQLITE_BUSY and SQLite's
   * busy handler, which sleeps in steps of milliseconds. Other processes (the CLI) still meet
   * the busy timeout.
   */
  [[nodiscard]] std::binary_semaphore& writer_lock() { return writer_lock_; }

private:
  std::binary_semaphore writer_lock_{1};  // a semaphore: released by whichever thread commits
  std::filesystem::path wal_;
  SyncFile sync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t requested_ = 0;    // tickets handed out (one per wait_durable)
  std::uint64_t synced_ = 0;       // every ticket up to this one is durable
  std::uint64_t failed_upto_ = 0;  // tickets the last failed sync was meant to cover
  bool syncing_ = false;
  Error last_error_{};
  SyncStats stats_{};
};

/** sync_file: fdatasync of `file` (opened read-only for the call). */
[[nodiscard]] Result<void> sync_file(const std::filesystem::path& file);

/**
 * shared_wal_sync: the one WalSync for this database file in this process (by canonical path),
 * made on first use and kept while any connection holds it.
 */
[[nodiscard]] std::shared_ptr<WalSync> shared_wal_sync(const std::filesystem::path& database_file);

}  // namespace gw::store::sqlite
