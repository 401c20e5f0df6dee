// The migration runner: schema_version bookkeeping and one transaction per migration.
#include "gateway/store/sqlite/migrations.hpp"

#include <string>

namespace gw::store::sqlite {
namespace {

constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";  // microseconds since the Unix epoch, UTC

Result<void> check_list(std::span<const Migration> migrations) {
  int expected = 1;
  for (const auto& m : migrations) {
    if (m.version != expected) {
      return make_error(Errc::kInternal, "schema migrations are not numbered 1..N (at " +
                                             std::to_string(expected) + ")");
    }
    ++expected;
  }
  return {};
}

Result<void> check_history(Database& db, std::span<const Migration> migrations, int current) {
  auto st = db.cached("SELECT version, name FROM schema_version ORDER BY version");
  if (!st) {
    return st.error();
  }
  for (;;) {
    auto row = (*st)->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return {};
    }
    const auto version = (*st)->column_int64(0);
    if (version < 1 || version > current) {
      continue;
    }
    const auto& known = migrations[static_cast<std::size_t>(version - 1)];
    if ((*st)->column_text(1) != known.name) {
      return make_error(Errc::kInternal,
                        "database schema history differs from this build at "
                        "version " +
                            std::to_string(version));
    }
  }
}

}  // namespace

Result<int> schema_version(Database& db) {
  auto exists = db.query_int64(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
  if (!exists) {
    return exists.error();
  }
  if (exists->value_or(0) == 0) {
    return 0;
  }
  auto v = db.query_int64("SELECT max(version) FROM schema_version");
  if (!v) {
    return v.error();
  }
  return static_cast<int>(v->value_or(0));
}

Result<MigrationReport> migrate(Database& db, std::span<const Migration> migrations) {
  if (auto r = check_list(migrations); !r) {
    return r.error();
  }
  const int latest = static_cast<int>(migrations.size());
  MigrationReport report;
  bool first = true;
  for (;;) {
    auto tx = Transaction::begin(db, TransactionMode::kImmediate);
    if (!tx) {
      return tx.error();
    }
    if (auto r = db.exec(kCreateVersionTable); !r) {
      return r.error();
    }
    auto current = schema_version(db);
    if (!current) {
      return current.error();
    }
    if (first) {
      report.from_version = *current;
      first = false;
      if (*current > latest) {
        return make_error(Errc::kUnavailable,
                          "database schema version " + std::to_string(*current) +
                              " is newer than this build of caregw knows (" +
                              std::to_string(latest) +
                              "); run a caregw at least as new as the one that wrote it");
      }
      if (auto r = check_history(db, migrations, *current); !r) {
        return r.error();
      }
    }
    if (*current >= latest) {
      if (auto r = tx->commit(); !r) {
        return r.error();
      }
      report.to_version = *current;
      return report;
    }
    const auto& m = migrations[static_cast<std::size_t>(*current)];
    if (auto r = db.exec(m.sql); !r) {
      Error e = r.error();
      e.detail = "schema migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                 ") failed: " + e.detail;
      e.code = Errc::kInternal;
      return e;
    }
    auto ins = db.cached(
        "INSERT INTO schema_version (version, name, applied_at) "
        "VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))");
    if (!ins) {
      return ins.error();
    }
    (*ins)->bind(1, static_cast<std::int64_t>(m.version)).bind(2, m.name);
    if (auto r = (*ins)->run(); !r) {
      return r.error();
    }
    if (auto r = tx->commit(); !r) {
      return r.error();
    }
  }
}

}  // namespace gw::store::sqlite
