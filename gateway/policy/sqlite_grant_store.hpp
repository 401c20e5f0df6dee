// Break-glass grants on disk: <data_dir>/db/break-glass.db, one table, its own migrations.
// Its own file (not caregw.db) so opening a grant never waits behind the MPI, record store or
// outbox writers, which hold caregw.db's write lock for whole messages (policy/README.md).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "gateway/policy/break_glass.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::policy {

/**
 * SqliteGrantStore: GrantStore over SQLite (WAL, synchronous=FULL, busy timeout, prepared
 * statements; see gateway/store/README.md). The file is made with mode 0600 in a 0700 folder:
 * it holds NHS numbers and users' justifications.
 * Thread safety: every member takes an internal lock (one connection).
 */
class SqliteGrantStore final : public GrantStore {
public:
  /** path: <data_dir>/db/break-glass.db. */
  [[nodiscard]] static std::filesystem::path path(const std::filesystem::path& data_dir);

  /**
   * open: opens (creates) the file under `data_dir` and brings its schema up to date.
   * @return kUnavailable if it cannot be made or opened, or its schema is newer than this build.
   */
  [[nodiscard]] static Result<std::unique_ptr<SqliteGrantStore>> open(
      const std::filesystem::path& data_dir);

  [[nodiscard]] Result<void> save(const GrantRecord& record) override;
  [[nodiscard]] Result<bool> close(const std::string& user_id, const std::string& nhs_number,
                                   TimePoint at) override;
  [[nodiscard]] Result<void> set_audit_seq(const std::string& user_id,
                                           const std::string& nhs_number, TimePoint granted_at,
                                           std::uint64_t seq) override;
  [[nodiscard]] Result<std::vector<GrantRecord>> load_open(TimePoint now) override;
  [[nodiscard]] Result<std::size_t> purge_expired(TimePoint now) override;

  /** all: every stored grant, closed ones included, oldest first (for tests and tools). */
  [[nodiscard]] Result<std::vector<GrantRecord>> all();

  explicit SqliteGrantStore(store::sqlite::Database db) : db_(std::move(db)) {}

private:
  std::mutex mu_;
  store::sqlite::Database db_;
};

}  // namespace gw::policy
