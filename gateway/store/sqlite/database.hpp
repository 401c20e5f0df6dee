// A thin RAII layer over the sqlite3 C API: a connection (Database), prepared statements
// (Statement, and a per-connection cache), and transactions/savepoints that roll back unless
// committed. Errors come back as gw::Result; nothing here throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gw::store::sqlite {

class WalSync;

/** OpenOptions: how a connection is opened and set up. */
struct OpenOptions {
  bool create = true;      // create the file if missing
  bool read_only = false;  // PRAGMA query_only: refuses writes on this connection
  std::chrono::milliseconds busy_timeout{5000};
  int cache_size_kib = 32 * 1024;  // page cache per connection
  /** shared_wal_sync: synchronous=NORMAL, and each commit then waits for a WAL fsync shared
   * with the other connections to the file (wal_sync.hpp): as durable as FULL, but the write
   * lock is not held through the fsync and concurrent commits share one. */
  bool shared_wal_sync = false;
};

class Database;

/**
 * Statement: one prepared statement. Bind errors are kept and returned by the next step(), so
 * binds chain: `st.bind(1, a).bind(2, b); auto row = st.step();`. Parameters are 1-based,
 * columns 0-based, as in SQLite.
 *
 * Thread safety: none; used under its Database's owner's discipline.
 */
class Statement {
public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);  // copied (SQLITE_TRANSIENT)
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind_null(int index);
  /**
   * bind_borrowed: text bound without SQLite's copy (SQLITE_STATIC); NULL for an empty string,
   * as bind_text_or_null. The caller keeps the bytes alive and unchanged until the statement is
   * reset (a CachedStatement resets when it goes out of scope) or the parameter is bound again.
   */
  Statement& bind_borrowed(int index, std::string_view value);
  /**
   * bind_view: text bound without SQLite's copy (SQLITE_STATIC), for message bodies; an empty
   * string is bound as '' (not NULL). The caller keeps the bytes alive and unchanged until the
   * statement is reset (a CachedStatement resets when it goes out of scope).
   */
  Statement& bind_view(int index, std::string_view value);
  /** bind_optional: the value, or NULL when empty. */
  template <class T>
  Statement& bind_optional(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  /** bind_text_or_null: NULL for an empty string (optional text columns). */
  Statement& bind_text_or_null(int index, std::string_view value) {
    return value.empty() ? bind_null(index) : bind(index, value);
  }

  /** step: true when a row is ready, false when done; an error otherwise. */
  [[nodiscard]] Result<bool> step();
  /** run: steps to completion, ignoring rows (INSERT/UPDATE). */
  [[nodiscard]] Result<void> run();
  /** reset: ready to run again, with bindings cleared. */
  void reset();

  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::int64_t column_int64(int column) const;
  [[nodiscard]] double column_double(int column) const;
  /** column_text: the text (empty for NULL), valid until the next step or reset. */
  [[nodiscard]] std::string_view column_text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> column_optional_int64(int column) const;
  [[nodiscard]] std::optional<double> column_optional_double(int column) const;
  [[nodiscard]] int column_count() const;

  [[nodiscard]] std::string_view sql() const;

private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  void note_bind(int rc, int index);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  std::optional<Error> bind_error_;
};

/**
 * CachedStatement: a borrowed statement from Database::cached(); reset (bindings cleared) when
 * it goes out of scope, so the next borrower finds it clean. Do not outlive the Database.
 */
class CachedStatement {
public:
  explicit CachedStatement(Statement* s) : s_(s) {}
  CachedStatement(CachedStatement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  CachedStatement& operator=(CachedStatement&&) = delete;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement() {
    if (s_ != nullptr) {
      s_->reset();
    }
  }
  Statement* operator->() const { return s_; }
  Statement& operator*() const { return *s_; }

private:
  Statement* s_;
};

/**
 * Database: one SQLite connection, opened in WAL mode with synchronous=FULL (or NORMAL plus a
 * shared WAL sync after each commit: OpenOptions::shared_wal_sync), foreign_keys=ON and a busy
 * timeout.
 *
 * Thread safety: a connection is used by one thread at a time (opened SQLITE_OPEN_NOMUTEX);
 * the owner serialises access (SqliteMpiRepository keeps a mutex per connection). Move-only.
 */
class Database {
public:
  /**
   * open: opens (or creates) the file and applies the pragmas above.
   * @return kUnavailable if it cannot be opened or WAL cannot be enabled; kInternal if this
   * SQLite library was built without thread support.
   */
  [[nodiscard]] static Result<Database> open(const std::filesystem::path& file,
                                             const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /** exec: runs one or more statements that return no rows (schema, pragmas, BEGIN). */
  [[nodiscard]] Result<void> exec(std::string_view sql);
  /** prepare: a new statement owned by the caller. */
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  /** cached: the statement for `sql`, prepared once per connection and reused. */
  [[nodiscard]] Result<CachedStatement> cached(std::string_view sql);
  /** run_cached: runs a cached statement that returns no rows (BEGIN, COMMIT, SAVEPOINT). */
  [[nodiscard]] Result<void> run_cached(std::string_view sql);
  /** query_int64: the first column of the first row, or nullopt if there is none. */
  [[nodiscard]] Result<std::optional<std::int64_t>> query_int64(std::string_view sql);
  /** query_text: the first column of the first row as text, or nullopt. */
  [[nodiscard]] Result<std::optional<std::string>> query_text(std::string_view sql);

  [[nodiscard]] std::int64_t last_insert_rowid() const;
  /** changes: rows changed by the last INSERT/UPDATE/DELETE. */
  [[nodiscard]] int changes() const;
  /** in_transaction: whether a BEGIN is open on this connection. */
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /** wait_durable: with a shared WAL sync, returns once this connection's commits are on disk;
   * without one (synchronous=FULL), at once: COMMIT already synced. */
  [[nodiscard]] Result<void> wait_durable();

private:
  friend class Transaction;
  Database(sqlite3* db, std::filesystem::path path);
  void close();

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::shared_ptr<WalSync> wal_sync_;  // null: synchronous=FULL
  std::chrono::milliseconds busy_timeout_{0};
  /** SqlHash: lets the cache be searched by string_view without building a string. */
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Finalised before the connection closes (close() clears it first).
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

/** TransactionMode: DEFERRED takes locks on first use; IMMEDIATE takes the write lock now. */
enum class TransactionMode : std::uint8_t { kDeferred, kImmediate };

/**
 * Transaction: BEGIN on creation, ROLLBACK on destruction unless commit() succeeded.
 * Not nestable (use Savepoint inside). Thread safety: as its Database.
 */
class Transaction {
public:
  [[nodiscard]] static Result<Transaction> begin(
      Database& db, TransactionMode mode = TransactionMode::kImmediate);
  Transaction(Transaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), writer_(std::exchange(other.writer_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  /** commit: COMMIT, then wait until it is durable (Database::wait_durable). On failure the
   * transaction is rolled back; either way it is finished. */
  [[nodiscard]] Result<void> commit();
  /** commit_before_sync: COMMIT without waiting for durability: the caller must call the
   * Database's wait_durable() before telling anyone it is kept (releasing its own locks first,
   * so that other writers' commits can share the sync). */
  [[nodiscard]] Result<void> commit_before_sync();
  /** rollback: ROLLBACK now (the destructor does it otherwise). */
  void rollback();
  [[nodiscard]] bool active() const { return db_ != nullptr; }

private:
  Transaction(Database* db, std::binary_semaphore* writer) : db_(db), writer_(writer) {}
  void unlock_writer();
  Database* db_;
  std::binary_semaphore* writer_;  // the file's in-process writer lock, while held
};

/**
 * Savepoint: a nested, named unit inside a transaction: release() keeps its changes, the
 * destructor otherwise rolls back to where it began (the transaction itself stays open).
 */
class Savepoint {
public:
  [[nodiscard]] static Result<Savepoint> begin(Database& db);
  Savepoint(Savepoint&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Savepoint& operator=(Savepoint&&) = delete;
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint();
  [[nodiscard]] Result<void> release();

private:
  explicit Savepoint(Database* db) : db_(db) {}
  Database* db_;
};

/** explain_query_plan: the plan's detail lines for `sql` (for tests and the README). */
[[nodiscard]] Result<std::vector<std::string>> explain_query_plan(Database& db,
                                                                  std::string_view sql);

/** sqlite_library_version: the linked SQLite's version, e.g. "3.40.1". */
[[nodiscard]] std::string_view sqlite_library_version();

}  // namespace gw::store::sqlite
