// Where unmapped-code counts outlive the process: <data_dir>/db/mappings.db (SQLite, WAL,
// synchronous=FULL), its own small file so `caregw mappings unmapped` can read a running
// gateway's counts without touching the patient store. The server flushes the tracker's deltas
// into it periodically (flush_unmapped); the CLI reads the top rows.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/mapping/unmapped.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::mapping {

/**
 * UnmappedStore: one connection to mappings.db. Thread safety: none; one owner (the flush timer
 * or the CLI). Several processes may open the file at once (SQLite locking, busy timeout).
 */
class UnmappedStore {
public:
  /**
   * open: opens (creating <data_dir>/db with mode 0700 if missing) and migrates mappings.db.
   * With `read_only`, an absent file is kNotFound and nothing is created.
   */
  [[nodiscard]] static Result<UnmappedStore> open(const std::filesystem::path& data_dir,
                                                  bool read_only = false);

  /** path: <data_dir>/db/mappings.db. */
  [[nodiscard]] static std::filesystem::path path(const std::filesystem::path& data_dir);

  /** add: adds each entry's count to its row (creating it), in one transaction. */
  [[nodiscard]] Result<void> add(const std::vector<UnmappedEntry>& deltas);

  /** top: the `n` most frequent codes, most frequent first. */
  [[nodiscard]] Result<std::vector<UnmappedEntry>> top(std::size_t n);

private:
  explicit UnmappedStore(store::sqlite::Database db) : db_(std::move(db)) {}
  store::sqlite::Database db_;
};

/**
 * flush_unmapped: moves the tracker's pending counts into the store; on failure they go back to
 * the tracker for the next flush. The integrator calls it on a timer (e.g. every 30 s) and at
 * shutdown, off the I/O threads.
 */
[[nodiscard]] Result<void> flush_unmapped(UnmappedTracker& tracker, UnmappedStore& store);

}  // namespace gw::mapping
