// The journal and the outbox on the embedded SQLite store (<data_dir>/db/caregw.db, migration 3):
// writes through a GroupWriter (group commit on one connection), reads on a read-only connection.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

#include "gateway/core/clock.hpp"
#include "gateway/store/message_store.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/group_writer.hpp"

namespace gw::store::sqlite {

/** message_sql: the statements the hot paths run (tests EXPLAIN them). */
namespace message_sql {
extern const std::string_view kJournalInsert;
extern const std::string_view kJournalBySenderId;
extern const std::string_view kJournalById;
extern const std::string_view kJournalUnfinished;
extern const std::string_view kJournalPage;
extern const std::string_view kJournalRemoveBodies;
/** journal_page_sql: kJournalPage with a filter's conditions (its status as a literal). */
[[nodiscard]] std::string journal_page_sql(const JournalFilter& f);
extern const std::string_view kLineLive;
extern const std::string_view kOutboxInsert;
extern const std::string_view kPayloadInsert;
extern const std::string_view kDue;
extern const std::string_view kDueIds;
extern const std::string_view kNextDue;
extern const std::string_view kPromote;
extern const std::string_view kOutboxById;
extern const std::string_view kFinishDelivered;
extern const std::string_view kFinishDead;
extern const std::string_view kPromoteAfter;
extern const std::string_view kMailboxFetch;
extern const std::string_view kDeadByRecipient;
extern const std::string_view kDeadAll;
extern const std::string_view kQueueDepths;
extern const std::string_view kOldestQueued;
extern const std::string_view kDeadCounts;
extern const std::string_view kPurge;
}  // namespace message_sql

/** SqliteMessageStoreOptions: connection settings and the group writer's bounds. */
struct SqliteMessageStoreOptions {
  OpenOptions open{};
  GroupWriterOptions writer{};
};

/**
 * SqliteMessageStore: MessageStore on SQLite in WAL mode with synchronous=FULL: a write call
 * returns after its batch's COMMIT, i.e. after the WAL is synced to disk.
 *
 * Thread safety: every call is thread-safe (see MessageStore). The clock must outlive the store.
 */
class SqliteMessageStore final : public MessageStore {
public:
  /** open: opens (creating and migrating if needed) the database file; its folder must exist. */
  [[nodiscard]] static Result<std::unique_ptr<SqliteMessageStore>> open(
      const std::filesystem::path& file, const Clock& clock,
      const SqliteMessageStoreOptions& options = {});

  /** open_in_data_dir: as open(), for <data_dir>/db/caregw.db. */
  [[nodiscard]] static Result<std::unique_ptr<SqliteMessageStore>> open_in_data_dir(
      const std::filesystem::path& data_dir, const Clock& clock,
      const SqliteMessageStoreOptions& options = {});

  ~SqliteMessageStore() override;
  SqliteMessageStore(const SqliteMessageStore&) = delete;
  SqliteMessageStore& operator=(const SqliteMessageStore&) = delete;

  [[nodiscard]] Result<JournalOutcome> journal(const InboundMessage& m) override;
  [[nodiscard]] Result<AcceptOutcome> accept(const InboundMessage& m,
                                             const std::optional<Acknowledgement>& ack,
                                             const std::vector<OutboundMessage>& outbound) override;
  [[nodiscard]] Result<std::vector<OutboxId>> complete(
      JournalId id, const std::optional<Acknowledgement>& ack,
      const std::vector<OutboundMessage>& outbound) override;
  [[nodiscard]] Result<void> fail(JournalId id, const std::string& error,
                                  const std::optional<Acknowledgement>& ack) override;
  [[nodiscard]] Result<std::optional<JournalEntry>> journal_entry(JournalId id) override;
  [[nodiscard]] Result<std::vector<JournalId>> unfinished(std::size_t limit) override;
  [[nodiscard]] Result<std::vector<JournalEntry>> journal_entries(
      const JournalFilter& filter) override;
  [[nodiscard]] Result<JournalEntry> reopen(JournalId id, const std::string& actor) override;
  [[nodiscard]] Result<std::size_t> remove_bodies(TimePoint before) override;
  [[nodiscard]] Result<std::vector<OutboxId>> enqueue(
      const std::vector<OutboundMessage>& outbound) override;
  using MessageStore::due;
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(TimePoint now, std::size_t limit,
                                                     const DueSkip& skip) override;
  [[nodiscard]] Result<std::optional<TimePoint>> next_due() override;
  [[nodiscard]] Result<void> record_outcomes(const std::vector<DeliveryOutcome>& outcomes) override;
  [[nodiscard]] Result<std::vector<OutboxEntry>> mailbox_fetch(const OdsCode& recipient,
                                                               std::size_t limit) override;
  [[nodiscard]] Result<std::size_t> mailbox_ack(const OdsCode& recipient,
                                                const std::vector<OutboxId>& ids) override;
  [[nodiscard]] Result<std::vector<OutboxEntry>> dead_letters(
      const DeadLetterFilter& filter) override;
  [[nodiscard]] Result<std::optional<OutboxEntry>> outbox_entry(OutboxId id) override;
  [[nodiscard]] Result<std::size_t> replay(const std::vector<OutboxId>& ids,
                                           const std::string& actor) override;
  [[nodiscard]] Result<std::size_t> discard(const std::vector<OutboxId>& ids,
                                            const std::string& reason,
                                            const std::string& actor) override;
  [[nodiscard]] Result<std::vector<RecipientQueue>> queues() override;
  [[nodiscard]] Result<std::size_t> purge_finished(TimePoint before) override;
  [[nodiscard]] Result<std::optional<OutboxEntry>> record_answer(
      const std::string& key, const OdsCode& from, AnswerOutcome outcome,
      const std::string& detail) override;

  /** write_queue: writes waiting for the group writer now (for metrics). */
  [[nodiscard]] std::size_t write_queue() const { return writer_->queued(); }

private:
  SqliteMessageStore(Database&& writer, Database&& reader, const Clock& clock,
                     const SqliteMessageStoreOptions& options);

  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<Database&>()));

  std::unique_ptr<GroupWriter> writer_;
  Database reader_;
  const Clock& clock_;
  std::mutex reader_mutex_;
};

}  // namespace gw::store::sqlite
