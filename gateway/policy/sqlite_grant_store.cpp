// break-glass.db: the grants table, its migrations and statements.
#include "gateway/policy/sqlite_grant_store.hpp"

#include <array>

#include "gateway/store/sqlite/store_database.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::policy {
namespace {

namespace sq = store::sqlite;

// Times are INTEGER microseconds since 1970 (UTC), as in caregw.db. At most one open (not
// closed) grant per user and patient; expired rows are deleted at start and on each open.
constexpr std::array<sq::Migration, 2> kMigrations{{
    {1, "break_glass_grants",
     "CREATE TABLE break_glass_grant ("
     "  id INTEGER PRIMARY KEY,"
     "  user_id TEXT NOT NULL CHECK (user_id <> ''),"
     "  nhs_number TEXT NOT NULL CHECK (nhs_number <> ''),"
     "  reason TEXT NOT NULL,"
     "  justification TEXT NOT NULL,"
     "  organisation TEXT NOT NULL DEFAULT '',"
     "  request_id TEXT NOT NULL DEFAULT '',"
     "  opened_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL CHECK (expires_at > opened_at),"
     "  audit_seq INTEGER,"
     "  closed_at INTEGER);"
     "CREATE UNIQUE INDEX break_glass_grant_open ON break_glass_grant (user_id, nhs_number)"
     "  WHERE closed_at IS NULL;"
     "CREATE INDEX break_glass_grant_expiry ON break_glass_grant (expires_at);"},
    // The user's job role, for the listing of grants in force (GET /audit/break-glass/grants).
    {2, "break_glass_grant_role",
     "ALTER TABLE break_glass_grant ADD COLUMN role TEXT NOT NULL DEFAULT '';"},
}};

constexpr std::string_view kColumns =
    "user_id, nhs_number, reason, justification, organisation, request_id, opened_at, "
    "expires_at, audit_seq, closed_at, role";

constexpr std::string_view kCloseOpen =
    "UPDATE break_glass_grant SET closed_at = ?3 WHERE user_id = ?1 AND nhs_number = ?2 AND "
    "closed_at IS NULL";
constexpr std::string_view kInsert =
    "INSERT INTO break_glass_grant (user_id, nhs_number, reason, justification, organisation, "
    "request_id, opened_at, expires_at, audit_seq, closed_at, role) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11)";
constexpr std::string_view kEnd =
    "UPDATE break_glass_grant SET closed_at = ?3 WHERE user_id = ?1 AND nhs_number = ?2 AND "
    "closed_at IS NULL AND expires_at > ?3";
constexpr std::string_view kSetSeq =
    "UPDATE break_glass_grant SET audit_seq = ?4 WHERE user_id = ?1 AND nhs_number = ?2 AND "
    "opened_at = ?3";
constexpr std::string_view kPurge = "DELETE FROM break_glass_grant WHERE expires_at <= ?1";

std::int64_t to_us(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint from_us(std::int64_t us) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us))};
}

Result<GrantRecord> read_row(const sq::Statement& st) {
  GrantRecord r;
  r.grant.user_id = st.column_text(0);
  r.grant.nhs_number = st.column_text(1);
  const auto reason = parse_break_glass_reason(st.column_text(2));
  if (!reason) {
    return make_error(Errc::kInternal, "break-glass.db: a grant has an unknown reason code");
  }
  r.grant.reason = *reason;
  r.grant.justification = st.column_text(3);
  r.origin.organisation = st.column_text(4);
  r.origin.request_id = st.column_text(5);
  r.grant.granted_at = from_us(st.column_int64(6));
  r.grant.expires_at = from_us(st.column_int64(7));
  r.audit_seq = static_cast<std::uint64_t>(st.column_optional_int64(8).value_or(0));
  if (auto closed = st.column_optional_int64(9)) {
    r.closed_at = from_us(*closed);
  }
  r.origin.role = st.column_text(10);
  return r;
}

Result<std::vector<GrantRecord>> read_rows(sq::Database& db, std::string_view sql,
                                           std::optional<std::int64_t> now) {
  GW_STORE_ASSIGN(auto st, db.cached(sql));
  if (now) {
    st->bind(1, *now);
  }
  std::vector<GrantRecord> out;
  for (;;) {
    GW_STORE_ASSIGN(const bool row, st->step());
    if (!row) {
      break;
    }
    GW_STORE_ASSIGN(auto r, read_row(*st));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::filesystem::path SqliteGrantStore::path(const std::filesystem::path& data_dir) {
  return data_dir / "db" / "break-glass.db";
}

Result<std::unique_ptr<SqliteGrantStore>> SqliteGrantStore::open(
    const std::filesystem::path& data_dir) {
  sq::OpenOptions o;
  o.cache_size_kib = 1024;
  GW_STORE_ASSIGN(auto db, sq::open_database_in(data_dir, "break-glass.db", kMigrations, o));
  return std::make_unique<SqliteGrantStore>(std::move(db));
}

Result<void> SqliteGrantStore::save(const GrantRecord& r) {
  std::lock_guard lock(mu_);
  GW_STORE_ASSIGN(auto tx, sq::Transaction::begin(db_));
  {
    GW_STORE_ASSIGN(auto st, db_.cached(kCloseOpen));
    st->bind(1, r.grant.user_id).bind(2, r.grant.nhs_number).bind(3, to_us(r.grant.granted_at));
    GW_STORE_TRY(st->run());
  }
  {
    GW_STORE_ASSIGN(auto st, db_.cached(kInsert));
    st->bind(1, r.grant.user_id)
        .bind(2, r.grant.nhs_number)
        .bind(3, break_glass_reason_name(r.grant.reason))
        .bind(4, r.grant.justification)
        .bind(5, r.origin.organisation)
        .bind(6, r.origin.request_id)
        .bind(7, to_us(r.grant.granted_at))
        .bind(8, to_us(r.grant.expires_at));
    if (r.audit_seq != 0) {
      st->bind(9, static_cast<std::int64_t>(r.audit_seq));
    } else {
      st->bind_null(9);
    }
    if (r.closed_at) {
      st->bind(10, to_us(*r.closed_at));
    } else {
      st->bind_null(10);
    }
    st->bind(11, r.origin.role);
    GW_STORE_TRY(st->run());
  }
  return tx.commit();
}

Result<bool> SqliteGrantStore::close(const std::string& user_id, const std::string& nhs_number,
                                     TimePoint at) {
  std::lock_guard lock(mu_);
  GW_STORE_ASSIGN(auto st, db_.cached(kEnd));
  st->bind(1, user_id).bind(2, nhs_number).bind(3, to_us(at));
  GW_STORE_TRY(st->run());
  return db_.changes() > 0;
}

Result<void> SqliteGrantStore::set_audit_seq(const std::string& user_id,
                                             const std::string& nhs_number, TimePoint granted_at,
                                             std::uint64_t seq) {
  std::lock_guard lock(mu_);
  GW_STORE_ASSIGN(auto st, db_.cached(kSetSeq));
  st->bind(1, user_id)
      .bind(2, nhs_number)
      .bind(3, to_us(granted_at))
      .bind(4, static_cast<std::int64_t>(seq));
  return st->run();
}

Result<std::vector<GrantRecord>> SqliteGrantStore::load_open(TimePoint now) {
  static const std::string kSql = "SELECT " + std::string(kColumns) +
                                  " FROM break_glass_grant WHERE closed_at IS NULL AND "
                                  "expires_at > ?1 ORDER BY id";
  std::lock_guard lock(mu_);
  return read_rows(db_, kSql, to_us(now));
}

Result<std::size_t> SqliteGrantStore::purge_expired(TimePoint now) {
  std::lock_guard lock(mu_);
  GW_STORE_ASSIGN(auto st, db_.cached(kPurge));
  st->bind(1, to_us(now));
  GW_STORE_TRY(st->run());
  return static_cast<std::size_t>(db_.changes());
}

Result<std::vector<GrantRecord>> SqliteGrantStore::all() {
  static const std::string kSql =
      "SELECT " + std::string(kColumns) + " FROM break_glass_grant ORDER BY id";
  std::lock_guard lock(mu_);
  return read_rows(db_, kSql, std::nullopt);
}

}  // namespace gw::policy
