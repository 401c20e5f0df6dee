// The master patient index on the embedded SQLite store (<data_dir>/db/caregw.db): one writer
// connection for transactions and one read-only connection for reads, each behind a mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>

#include "gateway/core/clock.hpp"
#include "gateway/store/mpi_repository.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/mpi_queries.hpp"

namespace gw::store::sqlite {

/** SqliteMpiOptions: connection settings and how long begin() waits for the writer. */
struct SqliteMpiOptions {
  OpenOptions open{};
  std::chrono::milliseconds writer_wait{5000};
};

/**
 * SqliteMpiRepository: MpiRepository on SQLite in WAL mode.
 *
 * Thread safety: every call is thread-safe. Reads run on their own read-only connection (under
 * a mutex), so they see the last committed state and are never blocked by an open transaction
 * (WAL readers do not wait for the writer). begin() takes the single writer connection for the
 * life of the transaction; a second begin() waits up to `writer_wait`, then fails with
 * kUnavailable. SQLite allows one writer at a time anyway, so serialising writers here costs
 * nothing and keeps each connection's prepared statements used by one thread at a time. A
 * transaction may move between threads (used by one at a time). A pool of read connections is
 * the next step if reads ever contend (see README.md).
 *
 * Calls block on disk I/O: run them off the io_context threads (STYLE.md 3.7). The clock must
 * outlive the repository, and the repository every transaction it began.
 */
class SqliteMpiRepository final : public MpiRepository {
public:
  /**
   * open_in_data_dir: opens (creating if needed) <data_dir>/db/caregw.db and migrates it.
   * @return kUnavailable if the database cannot be opened or its schema is newer than this
   * build; kInternal if a migration fails.
   */
  [[nodiscard]] static Result<std::unique_ptr<SqliteMpiRepository>> open_in_data_dir(
      const std::filesystem::path& data_dir, const Clock& clock,
      const SqliteMpiOptions& options = {});

  /** open: as open_in_data_dir, for an explicit database file whose folder exists. */
  [[nodiscard]] static Result<std::unique_ptr<SqliteMpiRepository>> open(
      const std::filesystem::path& file, const Clock& clock, const SqliteMpiOptions& options = {});

  ~SqliteMpiRepository() override;
  SqliteMpiRepository(const SqliteMpiRepository&) = delete;
  SqliteMpiRepository& operator=(const SqliteMpiRepository&) = delete;

  [[nodiscard]] Result<MpiTransactionPtr> begin() override;

  [[nodiscard]] Result<std::optional<Person>> find_by_nhs_number(const NhsNumber& n) override;
  [[nodiscard]] Result<std::optional<Person>> find_by_local_id(const LocalId& id) override;
  [[nodiscard]] Result<std::optional<Person>> get_person(PersonId id) override;
  [[nodiscard]] Result<PersonId> resolve(PersonId id) override;
  [[nodiscard]] Result<std::optional<PersonView>> person_view(PersonId id) override;
  [[nodiscard]] Result<std::vector<LocalIdentifierRecord>> local_identifiers(PersonId id) override;
  [[nodiscard]] Result<std::vector<Link>> links(PersonId id) override;
  [[nodiscard]] Result<std::vector<DemographicsVersion>> demographics_history(PersonId id) override;
  [[nodiscard]] Result<std::vector<DemographicsVersion>> current_demographics(PersonId id) override;
  [[nodiscard]] Result<std::vector<NhsNumberChange>> nhs_number_history(PersonId id) override;
  [[nodiscard]] Result<std::vector<MergeRecord>> merges(PersonId id) override;
  [[nodiscard]] Result<std::vector<PersonId>> candidates(
      const std::vector<std::string>& blocking_keys, std::size_t limit) override;
  [[nodiscard]] Result<std::vector<ReviewItem>> list_review_items(
      const ReviewFilter& filter) override;
  [[nodiscard]] Result<std::optional<ReviewItem>> get_review_item(ReviewItemId id) override;
  [[nodiscard]] Result<std::optional<ReviewInspection>> inspect_review_item(
      ReviewItemId id) override;
  [[nodiscard]] Result<std::vector<ReviewItemId>> open_review_items_for(const LocalId& id) override;
  [[nodiscard]] Result<std::vector<ReviewAction>> review_actions(ReviewItemId id) override;

  /** Connection: a database and the queries prepared on it. Internal. */
  struct Connection {
    Connection(Database&& d, const Clock& clock) : db(std::move(d)), queries(db, clock) {}
    Database db;
    detail::MpiQueries queries;
  };

  /**
   * WriterGate: who holds the writer connection. Unlike a mutex it may be released by another
   * thread than the one that took it (a transaction can move between worker threads).
   */
  class WriterGate {
  public:
    /** acquire: waits up to `wait` for the writer; false if it stayed taken. */
    [[nodiscard]] bool acquire(std::chrono::milliseconds wait);
    void release();

  private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool taken_ = false;
  };

private:
  SqliteMpiRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader,
                      const SqliteMpiOptions& options);

  [[nodiscard]] static Result<std::unique_ptr<SqliteMpiRepository>> with_writer(
      Database&& writer_db, const Clock& clock, const SqliteMpiOptions& options);

  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<detail::MpiQueries&>()));

  std::unique_ptr<Connection> writer_;
  std::unique_ptr<Connection> reader_;
  SqliteMpiOptions options_;
  WriterGate writer_gate_;   // guards writer_ for the life of a transaction
  std::mutex reader_mutex_;  // guards reader_ for the length of one read call
};

}  // namespace gw::store::sqlite
