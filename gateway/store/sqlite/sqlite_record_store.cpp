// SqliteRecordStore: versions appended to record_version, the key's latest pointed at from
// record_current; reads page record_current by the change sequence over a person's merge family.
#include "gateway/store/sqlite/sqlite_record_store.hpp"

#include <charconv>
#include <utility>

#include "gateway/store/sqlite/mpi_rows.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::store::sqlite {

namespace record_sql {
const std::string_view kCurrent =
    "SELECT c.source_ods, c.resource_type, c.resource_id, c.person_id, c.version, c.status, "
    "v.source_message_id, c.last_updated, v.resource, c.seq FROM record_current c "
    "JOIN record_version v ON v.seq = c.seq "
    "WHERE c.source_ods = ?1 AND c.resource_type = ?2 AND c.resource_id = ?3";
const std::string_view kHistory =
    "SELECT source_ods, resource_type, resource_id, person_id, version, status, "
    "source_message_id, last_updated, resource, seq FROM record_version "
    "WHERE source_ods = ?1 AND resource_type = ?2 AND resource_id = ?3 ORDER BY version";
const std::string_view kInsertVersion =
    "INSERT INTO record_version (person_id, source_ods, resource_type, resource_id, version, "
    "status, source_message_id, last_updated, resource) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const std::string_view kUpsertCurrent =
    "INSERT INTO record_current (source_ods, resource_type, resource_id, person_id, version, "
    "status, seq, last_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (source_ods, resource_type, resource_id) DO UPDATE SET "
    "person_id = excluded.person_id, version = excluded.version, status = excluded.status, "
    "seq = excluded.seq, last_updated = excluded.last_updated";
const std::string_view kVersionContent = "SELECT resource FROM record_version WHERE seq = ?1";
// The person's merge family: itself and every person merged into it, at any depth.
#define GW_RECORD_FAMILY                                                          \
  "WITH RECURSIVE fam(id) AS (SELECT ?1 UNION "                                   \
  "SELECT p.id FROM person p JOIN fam ON p.superseded_by = fam.id) "              \
  "SELECT c.source_ods, c.resource_type, c.resource_id, c.person_id, c.version, " \
  "c.status, v.source_message_id, c.last_updated, v.resource, c.seq "             \
  "FROM record_current c JOIN record_version v ON v.seq = c.seq "
const std::string_view kPageByType = GW_RECORD_FAMILY
    "WHERE c.status = 'active' AND c.person_id IN fam AND c.resource_type = ?2 "
    "AND c.seq > ?3 AND c.last_updated >= ?4 ORDER BY c.seq LIMIT ?5";
const std::string_view kPageAllTypes = GW_RECORD_FAMILY
    "WHERE c.status = 'active' AND c.person_id IN fam "
    "AND c.seq > ?3 AND c.last_updated >= ?4 ORDER BY c.seq LIMIT ?5";
#undef GW_RECORD_FAMILY
// The highest record generation over the person's merge family (store_database.cpp, migration 6).
const std::string_view kFamilyGeneration =
    "WITH RECURSIVE fam(id) AS (SELECT ?1 UNION "
    "SELECT p.id FROM person p JOIN fam ON p.superseded_by = fam.id) "
    "SELECT COALESCE(MAX(g.generation), 0) FROM record_generation g WHERE g.person_id IN fam";
const std::string_view kSupersededBy = "SELECT superseded_by FROM person WHERE id = ?1";
const std::string_view kPersonByNhsNumber = "SELECT id FROM person WHERE nhs_number = ?1";
}  // namespace record_sql

namespace {

using detail::from_us;
using detail::to_us;

constexpr std::string_view kCursorPrefix = "r1.";
constexpr int kMaxMergeChain = 64;

Result<StoredRecord> row_to_record(const Statement& st) {
  GW_STORE_ASSIGN(auto ods, detail::stored_ods(st.column_text(0)));
  auto status = parse_record_status(st.column_text(5));
  if (!status) {
    return make_error(Errc::kInternal, "record store: unknown stored status");
  }
  StoredRecord r{
      ResourceKey{std::move(ods), std::string(st.column_text(1)), std::string(st.column_text(2))},
      PersonId{st.column_int64(3)},
      st.column_int64(4),
      *status,
      std::string(st.column_text(6)),
      from_us(st.column_int64(7)),
      std::string(st.column_text(8)),
      st.column_int64(9)};
  return r;
}

Statement& bind_key(Statement& st, const ResourceKey& k) {
  return st.bind(1, k.source.str()).bind(2, k.resource_type).bind(3, k.resource_id);
}

Result<std::optional<StoredRecord>> q_current(Database& db, const ResourceKey& key) {
  GW_STORE_ASSIGN(auto st, db.cached(record_sql::kCurrent));
  bind_key(*st, key);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<StoredRecord>{};
  }
  GW_STORE_ASSIGN(auto r, row_to_record(*st));
  return std::optional<StoredRecord>{std::move(r)};
}

Result<std::vector<StoredRecord>> q_history(Database& db, const ResourceKey& key) {
  GW_STORE_ASSIGN(auto st, db.cached(record_sql::kHistory));
  bind_key(*st, key);
  std::vector<StoredRecord> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return out;
    }
    GW_STORE_ASSIGN(auto r, row_to_record(*st));
    out.push_back(std::move(r));
  }
}

/** q_write_version: appends version `version` and points record_current at it. */
Result<void> q_write_version(Database& db, const ResourceKey& key, PersonId person,
                             std::int64_t version, RecordStatus status,
                             const std::string& message_id, std::int64_t now_us,
                             std::string_view json) {
  {
    GW_STORE_ASSIGN(auto st, db.cached(record_sql::kInsertVersion));
    st->bind(1, person.value)
        .bind(2, key.source.str())
        .bind(3, key.resource_type)
        .bind(4, key.resource_id)
        .bind(5, version)
        .bind(6, record_status_code(status))
        .bind(7, message_id);
    st->bind(8, now_us).bind_text_or_null(9, json);
    GW_STORE_TRY(st->run());
  }
  const auto seq = db.last_insert_rowid();
  GW_STORE_ASSIGN(auto st, db.cached(record_sql::kUpsertCurrent));
  bind_key(*st, key)
      .bind(4, person.value)
      .bind(5, version)
      .bind(6, record_status_code(status))
      .bind(7, seq)
      .bind(8, now_us);
  return st->run();
}

Result<void> check_message_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxActorBytes) {
    return make_error(Errc::kBadRequest, "record store: source message id must be 1-128 bytes");
  }
  return {};
}

Result<UpsertResult> q_upsert(Database& db, const RecordWrite& w, std::int64_t now_us) {
  GW_STORE_TRY(check_resource_key(w.key));
  GW_STORE_TRY(check_message_id(w.source_message_id));
  GW_STORE_ASSIGN(auto status, detect_record_status(w.resource_json, w.key.resource_type));
  GW_STORE_ASSIGN(auto cur, q_current(db, w.key));
  if (cur && cur->status == status && cur->person == w.person &&
      cur->resource_json == w.resource_json) {
    return UpsertResult{cur->version, status, UpsertOutcome::kUnchanged};
  }
  const std::int64_t version = cur ? cur->version + 1 : 1;
  GW_STORE_TRY(q_write_version(db, w.key, w.person, version, status, w.source_message_id, now_us,
                               w.resource_json));
  return UpsertResult{version, status, cur ? UpsertOutcome::kUpdated : UpsertOutcome::kCreated};
}

Result<UpsertResult> q_remove(Database& db, const ResourceKey& key, const std::string& message_id,
                              std::int64_t now_us) {
  GW_STORE_TRY(check_resource_key(key));
  GW_STORE_TRY(check_message_id(message_id));
  GW_STORE_ASSIGN(auto cur, q_current(db, key));
  if (!cur) {
    return make_error(Errc::kNotFound, "record store: no such resource from this source");
  }
  if (cur->status == RecordStatus::kDeleted) {
    return UpsertResult{cur->version, RecordStatus::kDeleted, UpsertOutcome::kUnchanged};
  }
  const std::int64_t version = cur->version + 1;
  GW_STORE_TRY(q_write_version(db, key, cur->person, version, RecordStatus::kDeleted, message_id,
                               now_us, {}));
  return UpsertResult{version, RecordStatus::kDeleted, UpsertOutcome::kUpdated};
}

Result<PersonId> q_resolve(Database& db, PersonId id) {
  for (int i = 0; i < kMaxMergeChain; ++i) {
    GW_STORE_ASSIGN(auto st, db.cached(record_sql::kSupersededBy));
    st->bind(1, id.value);
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return id;  // unknown person: its (empty) records
    }
    const auto next = st->column_optional_int64(0);
    if (!next) {
      return id;
    }
    id = PersonId{*next};
  }
  return make_error(Errc::kInternal, "record store: merge chain longer than 64");
}

Result<std::int64_t> q_generation(Database& db, PersonId person) {
  GW_STORE_ASSIGN(auto survivor, q_resolve(db, person));
  GW_STORE_ASSIGN(auto st, db.cached(record_sql::kFamilyGeneration));
  st->bind(1, survivor.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::int64_t{0};
  }
  return st->column_int64(0);
}

Result<std::int64_t> parse_cursor(std::string_view c) {
  if (c.empty()) {
    return std::int64_t{0};
  }
  std::int64_t seq = -1;
  if (c.substr(0, kCursorPrefix.size()) == kCursorPrefix) {
    const auto digits = c.substr(kCursorPrefix.size());
    const auto* end = digits.data() + digits.size();
    auto [p, ec] = std::from_chars(digits.data(), end, seq);
    if (ec != std::errc{} || p != end || digits.empty()) {
      seq = -1;
    }
  }
  if (seq < 0) {
    return make_error(Errc::kBadRequest, "record store: malformed page cursor");
  }
  return seq;
}

Result<RecordPage> q_page(Database& db, PersonId person, const RecordQuery& q) {
  if (q.limit == 0 || q.limit > kMaxRecordPage) {
    return make_error(Errc::kBadRequest, "record store: page size must be 1-1000");
  }
  GW_STORE_ASSIGN(auto after, parse_cursor(q.cursor));
  GW_STORE_ASSIGN(auto survivor, q_resolve(db, person));
  GW_STORE_ASSIGN(auto st,
                  db.cached(q.resource_type ? record_sql::kPageByType : record_sql::kPageAllTypes));
  st->bind(1, survivor.value);
  if (q.resource_type) {
    st->bind(2, *q.resource_type);
  }
  st->bind(3, after)
      .bind(4, q.since ? to_us(*q.since) : std::int64_t{0})
      .bind(5, static_cast<std::int64_t>(q.limit + 1));
  RecordPage page;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    if (page.records.size() == q.limit) {
      page.next_cursor = std::string(kCursorPrefix) + std::to_string(page.records.back().seq);
      break;
    }
    GW_STORE_ASSIGN(auto r, row_to_record(*st));
    page.records.push_back(std::move(r));
  }
  page.resume_cursor = page.records.empty()
                           ? q.cursor
                           : std::string(kCursorPrefix) + std::to_string(page.records.back().seq);
  return page;
}

Result<RecordPage> q_page_nhs(Database& db, const NhsNumber& n, const RecordQuery& q) {
  GW_STORE_ASSIGN(auto st, db.cached(record_sql::kPersonByNhsNumber));
  st->bind(1, n.str());
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    if (q.limit == 0 || q.limit > kMaxRecordPage) {
      return make_error(Errc::kBadRequest, "record store: page size must be 1-1000");
    }
    GW_STORE_TRY(parse_cursor(q.cursor));
    return RecordPage{{}, std::nullopt, q.cursor};
  }
  const PersonId person{st->column_int64(0)};
  return q_page(db, person, q);
}

/** in_read_tx: runs `f` in one read transaction, so a call of several statements sees one
 * snapshot. */
template <class F>
auto in_read_tx(Database& db, F&& f) -> decltype(f()) {
  auto tx = Transaction::begin(db, TransactionMode::kDeferred);
  if (!tx) {
    return tx.error();
  }
  auto r = f();
  tx->rollback();  // nothing to keep: ends the snapshot
  return r;
}

/** SqliteRecordTransaction: BEGIN IMMEDIATE on the writer; each write in a savepoint. */
class SqliteRecordTransaction final : public RecordTransaction {
public:
  using Gate = SqliteMpiRepository::WriterGate;
  SqliteRecordTransaction(Gate* gate, Transaction tx, Database& db, const Clock& clock)
      : gate_(gate), tx_(std::move(tx)), db_(db), clock_(clock) {}
  ~SqliteRecordTransaction() override {
    tx_.rollback();
    release();
  }
  SqliteRecordTransaction(const SqliteRecordTransaction&) = delete;
  SqliteRecordTransaction& operator=(const SqliteRecordTransaction&) = delete;

  Result<RecordPage> read(PersonId person, const RecordQuery& query) override {
    GW_STORE_TRY(check_active());
    return q_page(db_, person, query);
  }
  Result<RecordPage> read_by_nhs_number(const NhsNumber& n, const RecordQuery& query) override {
    GW_STORE_TRY(check_active());
    return q_page_nhs(db_, n, query);
  }
  Result<std::int64_t> generation(PersonId person) override {
    GW_STORE_TRY(check_active());
    return q_generation(db_, person);
  }
  Result<std::optional<StoredRecord>> current(const ResourceKey& key) override {
    GW_STORE_TRY(check_active());
    return q_current(db_, key);
  }
  Result<std::vector<StoredRecord>> history(const ResourceKey& key) override {
    GW_STORE_TRY(check_active());
    return q_history(db_, key);
  }
  Result<UpsertResult> upsert(const RecordWrite& w) override {
    return write([&] { return q_upsert(db_, w, to_us(clock_.now())); });
  }
  Result<UpsertResult> remove(const ResourceKey& key, const std::string& message_id) override {
    return write([&] { return q_remove(db_, key, message_id, to_us(clock_.now())); });
  }
  Result<void> commit() override {
    GW_STORE_TRY(check_active());
    auto r = tx_.commit_before_sync();
    release();  // the next writer may begin while this commit's sync runs (and share it)
    if (!r) {
      return r;
    }
    return db_.wait_durable();
  }

private:
  void release() {
    if (gate_ != nullptr) {
      std::exchange(gate_, nullptr)->release();
    }
  }
  Result<void> check_active() {
    if (!tx_.active()) {
      return make_error(Errc::kInternal, "record store: the transaction is already finished");
    }
    if (!db_.in_transaction()) {
      tx_.rollback();
      release();
      return make_error(Errc::kUnavailable,
                        "record store: the database rolled the transaction back; retry the unit");
    }
    return {};
  }
  template <class F>
  auto write(F&& f) -> decltype(f()) {
    GW_STORE_TRY(check_active());
    GW_STORE_ASSIGN(auto sp, Savepoint::begin(db_));
    auto r = f();
    if (!r) {
      return r;  // the savepoint's destructor undoes the call
    }
    GW_STORE_TRY(sp.release());
    return r;
  }

  Gate* gate_;
  Transaction tx_;
  Database& db_;
  const Clock& clock_;
};

}  // namespace

SqliteRecordStore::SqliteRecordStore(Database&& writer, Database&& reader, const Clock& clock,
                                     const SqliteRecordStoreOptions& options)
    : writer_(std::move(writer)), reader_(std::move(reader)), clock_(clock), options_(options) {}

SqliteRecordStore::~SqliteRecordStore() = default;

Result<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::open(
    const std::filesystem::path& file, const Clock& clock,
    const SqliteRecordStoreOptions& options) {
  GW_STORE_ASSIGN(auto writer, open_store_file(file, options.open));
  OpenOptions ro = options.open;
  ro.read_only = true;
  ro.create = false;
  GW_STORE_ASSIGN(auto reader, open_store_file(file, ro));
  return std::unique_ptr<SqliteRecordStore>(
      new SqliteRecordStore(std::move(writer), std::move(reader), clock, options));
}

Result<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::open_in_data_dir(
    const std::filesystem::path& data_dir, const Clock& clock,
    const SqliteRecordStoreOptions& options) {
  // open_store_database makes <data_dir>/db with its modes; the connection is then reopened.
  GW_STORE_TRY(open_store_database(data_dir, options.open));
  return open(database_path(data_dir), clock, options);
}

Result<RecordTransactionPtr> SqliteRecordStore::begin() {
  if (!writer_gate_.acquire(options_.writer_wait)) {
    return make_error(Errc::kUnavailable, "record store: the writer stayed busy; retry");
  }
  auto tx = Transaction::begin(writer_, TransactionMode::kImmediate);
  if (!tx) {
    writer_gate_.release();
    return tx.error();
  }
  return RecordTransactionPtr(
      new SqliteRecordTransaction(&writer_gate_, std::move(*tx), writer_, clock_));
}

Result<RecordPage> SqliteRecordStore::read(PersonId person, const RecordQuery& query) {
  std::lock_guard lock(reader_mutex_);
  return in_read_tx(reader_, [&] { return q_page(reader_, person, query); });
}

Result<RecordPage> SqliteRecordStore::read_by_nhs_number(const NhsNumber& n,
                                                         const RecordQuery& query) {
  std::lock_guard lock(reader_mutex_);
  return in_read_tx(reader_, [&] { return q_page_nhs(reader_, n, query); });
}

Result<std::int64_t> SqliteRecordStore::generation(PersonId person) {
  constexpr std::size_t kMaxRemembered = 65536;
  std::lock_guard lock(reader_mutex_);
  // Read before the generation itself: a commit in between moves data_version past the value
  // kept, so what is read now is never kept as current beyond that commit.
  GW_STORE_ASSIGN(auto st, reader_.cached("PRAGMA data_version"));
  GW_STORE_ASSIGN(bool row, st->step());
  const std::int64_t version = row ? st->column_int64(0) : -1;
  st->reset();
  if (version != generations_at_ || generations_.size() >= kMaxRemembered) {
    generations_.clear();
    generations_at_ = version;
  } else if (auto it = generations_.find(person.value); it != generations_.end()) {
    return it->second;
  }
  GW_STORE_ASSIGN(auto g, in_read_tx(reader_, [&] { return q_generation(reader_, person); }));
  if (version >= 0) {
    generations_.emplace(person.value, g);
  }
  return g;
}

Result<std::optional<StoredRecord>> SqliteRecordStore::current(const ResourceKey& key) {
  std::lock_guard lock(reader_mutex_);
  return q_current(reader_, key);
}

Result<std::vector<StoredRecord>> SqliteRecordStore::history(const ResourceKey& key) {
  std::lock_guard lock(reader_mutex_);
  return q_history(reader_, key);
}

}  // namespace gw::store::sqlite
