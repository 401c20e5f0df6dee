// The record store on the embedded SQLite store (<data_dir>/db/caregw.db, migration 2): one
// writer connection for transactions and one read-only connection for reads, as the MPI does.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "gateway/core/clock.hpp"
#include "gateway/store/record_store.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"

namespace gw::store::sqlite {

/** record_sql: every record store statement (tests EXPLAIN them). */
namespace record_sql {
extern const std::string_view kCurrent;
extern const std::string_view kHistory;
extern const std::string_view kInsertVersion;
extern const std::string_view kUpsertCurrent;
extern const std::string_view kVersionContent;
extern const std::string_view kPageByType;
extern const std::string_view kPageAllTypes;
extern const std::string_view kSupersededBy;
extern const std::string_view kPersonByNhsNumber;
extern const std::string_view kFamilyGeneration;
}  // namespace record_sql

/** SqliteRecordStoreOptions: connection settings and how long begin() waits for the writer. */
struct SqliteRecordStoreOptions {
  OpenOptions open{};
  std::chrono::milliseconds writer_wait{5000};
};

/**
 * SqliteRecordStore: RecordStore on SQLite in WAL mode.
 *
 * Thread safety: every call is thread-safe. Reads run on a read-only connection under a mutex,
 * each in one read transaction (one snapshot per call) and never wait for the writer. begin()
 * takes the writer connection for the life of the transaction; a second begin() waits up to
 * writer_wait, then kUnavailable. Calls block on disk: keep them off the io_context threads.
 * The clock must outlive the store, and the store every transaction it began.
 */
class SqliteRecordStore final : public RecordStore {
public:
  /** open: opens (creating and migrating if needed) the database file; its folder must exist. */
  [[nodiscard]] static Result<std::unique_ptr<SqliteRecordStore>> open(
      const std::filesystem::path& file, const Clock& clock,
      const SqliteRecordStoreOptions& options = {});

  /** open_in_data_dir: as open(), for <data_dir>/db/caregw.db. */
  [[nodiscard]] static Result<std::unique_ptr<SqliteRecordStore>> open_in_data_dir(
      const std::filesystem::path& data_dir, const Clock& clock,
      const SqliteRecordStoreOptions& options = {});

  ~SqliteRecordStore() override;
  SqliteRecordStore(const SqliteRecordStore&) = delete;
  SqliteRecordStore& operator=(const SqliteRecordStore&) = delete;

  [[nodiscard]] Result<RecordTransactionPtr> begin() override;
  [[nodiscard]] Result<RecordPage> read(PersonId person, const RecordQuery& query) override;
  [[nodiscard]] Result<RecordPage> read_by_nhs_number(const NhsNumber& n,
                                                      const RecordQuery& query) override;
  [[nodiscard]] Result<std::int64_t> generation(PersonId person) override;
  [[nodiscard]] Result<std::optional<StoredRecord>> current(const ResourceKey& key) override;
  [[nodiscard]] Result<std::vector<StoredRecord>> history(const ResourceKey& key) override;

private:
  SqliteRecordStore(Database&& writer, Database&& reader, const Clock& clock,
                    const SqliteRecordStoreOptions& options);

  Database writer_;
  Database reader_;
  const Clock& clock_;
  SqliteRecordStoreOptions options_;
  SqliteMpiRepository::WriterGate writer_gate_;
  std::mutex reader_mutex_;
  // generation(): the generations read since the file last changed, under reader_mutex_. SQLite's
  // data_version moves whenever any other connection (this process's writers, a CLI verb,
  // another process) commits to the file; while it has not, no generation can have changed.
  std::int64_t generations_at_ = -1;  // the data_version they were read at
  std::unordered_map<std::int64_t, std::int64_t> generations_;
};

}  // namespace gw::store::sqlite
