// The sqlite3 C API behind Database, Statement, Transaction and Savepoint; SQLite result codes
// become gw::Error here (busy/full: kUnavailable, constraint: kConflict, the rest: kInternal).
#include "gateway/store/sqlite/database.hpp"

#include <mutex>
#include <string>
#include <utility>

#include <sqlite3.h>

#include "gateway/store/sqlite/wal_sync.hpp"

namespace gw::store::sqlite {
namespace {

constexpr std::string_view kStage = "store";

Errc errc_for(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
      return Errc::kUnavailable;
    case SQLITE_CONSTRAINT:
      return Errc::kConflict;
    default:
      return Errc::kInternal;
  }
}

// SQLite's messages name tables, columns and constraints, never bound values, so they are safe
// to return (STYLE.md: no PHI in error details).
Error sqlite_error(sqlite3* db, int rc, std::string_view what,
                   std::source_location where = std::source_location::current()) {
  std::string detail = "sqlite: ";
  detail += what;
  detail += ": ";
  detail += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  Error e = make_error(errc_for(rc), std::move(detail), where);
  e.stage = kStage;
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(std::exchange(other.db_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::note_bind(int rc, int index) {
  if (rc != SQLITE_OK && !bind_error_) {
    bind_error_ = sqlite_error(db_, rc, "bind parameter " + std::to_string(index));
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  note_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  note_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind_borrowed(int index, std::string_view value) {
  if (value.empty()) {
    return bind_null(index);
  }
  note_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view value) {
  // A zero-length text still needs a non-null pointer, or SQLite binds NULL.
  const char* data = value.empty() ? "" : value.data();
  note_bind(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8),
            index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_) {
    return *bind_error_;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqlite_error(db_, rc, "step");
}

Result<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) {
      return r.error();
    }
    if (!*r) {
      return {};
    }
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.reset();
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string_view Statement::column_text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) {
    return {};
  }
  const int n = sqlite3_column_bytes(stmt_, column);
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return column_int64(column);
}

std::optional<double> Statement::column_optional_double(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return column_double(column);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string_view Statement::sql() const {
  const char* s = sqlite3_sql(stmt_);
  return s != nullptr ? std::string_view(s) : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// Database

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      wal_sync_(std::move(other.wal_sync_)),
      busy_timeout_(other.busy_timeout_),
      cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    wal_sync_ = std::move(other.wal_sync_);
    busy_timeout_ = other.busy_timeout_;
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  cache_.clear();  // statements first: a connection with live statements would stay open
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

namespace {

/**
 * configure_library: process-wide settings, made once before SQLite initialises. Memory
 * statistics off: with them on, every allocation SQLite makes takes one global mutex shared by
 * all connections (https://sqlite.org/c3ref/c_config_covering_index_scan.html,
 * SQLITE_CONFIG_MEMSTATUS); caregw reads none of them. If SQLite was already initialised (by
 * another user in the process) the call is refused and the default stays: harmless.
 */
void configure_library() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Result<Database> Database::open(const std::filesystem::path& file, const OpenOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    return make_error(Errc::kInternal, "sqlite: library built without thread support");
  }
  configure_library();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.create) {
    flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Database db(raw, file);  // closes `raw` on every path below, even a failed open
  if (rc != SQLITE_OK) {
    return sqlite_error(raw, rc, "open database");
  }
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  db.busy_timeout_ = options.busy_timeout;
  // Defensive settings (https://sqlite.org/security.html): no SQL functions run from the
  // schema, no double-quoted string literals.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);

  auto mode = db.query_text("PRAGMA journal_mode=WAL");
  if (!mode) {
    return mode.error();
  }
  if (mode->value_or("") != "wal") {
    return make_error(Errc::kUnavailable, "sqlite: could not switch the database to WAL mode");
  }
  const bool shared_sync = options.shared_wal_sync && !options.read_only;
  std::string pragmas =
      std::string(shared_sync ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;") +
      " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
      "PRAGMA cache_size=-" +
      std::to_string(options.cache_size_kib) + ";";
  if (options.read_only) {
    pragmas += " PRAGMA query_only=ON;";
  }
  if (auto r = db.exec(pragmas); !r) {
    return r.error();
  }
  if (shared_sync) {
    db.wal_sync_ = shared_wal_sync(file);
  }
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is available from sqlite3_errmsg
  if (rc != SQLITE_OK) {
    return sqlite_error(db_, rc, "exec");
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_, rc, "prepare");
  }
  if (stmt == nullptr) {
    return make_error(Errc::kInternal, "sqlite: prepare: empty statement");
  }
  return Statement(stmt, db_);
}

Result<CachedStatement> Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = prepare(sql);
    if (!st) {
      return st.error();
    }
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(*st))).first;
  }
  return CachedStatement(it->second.get());
}

Result<void> Database::run_cached(std::string_view sql) {
  auto st = cached(sql);
  if (!st) {
    return st.error();
  }
  return (*st)->run();
}

Result<std::optional<std::int64_t>> Database::query_int64(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) {
    return st.error();
  }
  auto row = st->step();
  if (!row) {
    return row.error();
  }
  if (!*row || st->is_null(0)) {
    return std::optional<std::int64_t>();
  }
  return std::optional<std::int64_t>(st->column_int64(0));
}

Result<std::optional<std::string>> Database::query_text(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) {
    return st.error();
  }
  auto row = st->step();
  if (!row) {
    return row.error();
  }
  if (!*row || st->is_null(0)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(st->column_text(0)));
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

// ---------------------------------------------------------------------------------------------
// Transaction and Savepoint

Result<Transaction> Transaction::begin(Database& db, TransactionMode mode) {
  if (db.in_transaction()) {
    return make_error(Errc::kInternal, "sqlite: a transaction is already open on this connection");
  }
  std::binary_semaphore* writer = nullptr;
  if (mode == TransactionMode::kImmediate && db.wal_sync_) {
    writer = &db.wal_sync_->writer_lock();
    if (!writer->try_acquire_for(db.busy_timeout_)) {
      return make_error(Errc::kUnavailable,
                        "sqlite: another writer held the database for longer than the busy "
                        "timeout; retry");
    }
  }
  // Cached statements: a read transaction per lookup should not re-parse BEGIN and COMMIT.
  auto r =
      db.run_cached(mode == TransactionMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!r) {
    if (writer != nullptr) {
      writer->release();
    }
    return r.error();
  }
  return Transaction(&db, writer);
}

Transaction::~Transaction() { rollback(); }

void Transaction::unlock_writer() {
  if (writer_ != nullptr) {
    std::exchange(writer_, nullptr)->release();
  }
}

Result<void> Database::wait_durable() {
  return wal_sync_ ? wal_sync_->wait_durable() : Result<void>{};
}

Result<void> Transaction::commit() {
  Database* db = db_;
  if (auto r = commit_before_sync(); !r) {
    return r;
  }
  return db->wait_durable();
}

Result<void> Transaction::commit_before_sync() {
  if (db_ == nullptr) {
    return make_error(Errc::kInternal, "sqlite: commit on a finished transaction");
  }
  Database* db = std::exchange(db_, nullptr);
  if (auto r = db->run_cached("COMMIT"); !r) {
    // A failed COMMIT can leave the transaction open (e.g. SQLITE_BUSY): end it here so the
    // connection is clean for the next unit of work.
    if (db->in_transaction()) {
      (void)db->exec("ROLLBACK");
    }
    unlock_writer();
    return r.error();
  }
  unlock_writer();
  return {};
}

void Transaction::rollback() {
  if (db_ == nullptr) {
    return;
  }
  Database* db = std::exchange(db_, nullptr);
  if (db->in_transaction()) {
    (void)db->exec("ROLLBACK");
  }
  unlock_writer();
}

Result<Savepoint> Savepoint::begin(Database& db) {
  if (auto r = db.run_cached("SAVEPOINT gw_op"); !r) {
    return r.error();
  }
  return Savepoint(&db);
}

Savepoint::~Savepoint() {
  if (db_ != nullptr) {
    (void)db_->exec("ROLLBACK TO gw_op; RELEASE gw_op");
  }
}

Result<void> Savepoint::release() {
  if (db_ == nullptr) {
    return make_error(Errc::kInternal, "sqlite: release of a finished savepoint");
  }
  Database* db = std::exchange(db_, nullptr);
  if (auto r = db->run_cached("RELEASE gw_op"); !r) {
    (void)db->exec("ROLLBACK TO gw_op; RELEASE gw_op");
    return r.error();
  }
  return {};
}

Result<std::vector<std::string>> explain_query_plan(Database& db, std::string_view sql) {
  auto st = db.prepare("EXPLAIN QUERY PLAN " + std::string(sql));
  if (!st) {
    return st.error();
  }
  std::vector<std::string> lines;
  for (;;) {
    auto row = st->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    lines.emplace_back(st->column_text(3));  // id, parent, notused, detail
  }
  return lines;
}

std::string_view sqlite_library_version() { return sqlite3_libversion(); }

}  // namespace gw::store::sqlite
