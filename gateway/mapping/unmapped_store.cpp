// mappings.db: one table of unmapped-code counts, with its own migration list.
#include "gateway/mapping/unmapped_store.hpp"

#include <array>
#include <system_error>

#include "gateway/store/sqlite/migrations.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::mapping {
namespace {

namespace sq = store::sqlite;

constexpr std::array<sq::Migration, 1> kMigrations{{
    {1, "unmapped_codes",
     "CREATE TABLE unmapped_code ("
     "  adapter TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL,"
     "  display TEXT NOT NULL DEFAULT '', count INTEGER NOT NULL DEFAULT 0,"
     "  first_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
     "  last_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
     "  PRIMARY KEY (adapter, system, code)) WITHOUT ROWID;"
     "CREATE INDEX unmapped_code_by_count ON unmapped_code(count DESC);"},
}};

constexpr std::string_view kUpsert =
    "INSERT INTO unmapped_code(adapter, system, code, display, count) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT(adapter, system, code) DO UPDATE SET count = count + excluded.count, "
    "last_seen = strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
    "display = CASE WHEN display = '' THEN excluded.display ELSE display END";

constexpr std::string_view kTop =
    "SELECT adapter, system, code, display, count FROM unmapped_code "
    "ORDER BY count DESC, adapter, system, code LIMIT ?1";

}  // namespace

std::filesystem::path UnmappedStore::path(const std::filesystem::path& data_dir) {
  return data_dir / "db" / "mappings.db";
}

Result<UnmappedStore> UnmappedStore::open(const std::filesystem::path& data_dir, bool read_only) {
  const auto file = path(data_dir);
  std::error_code ec;
  if (read_only && !std::filesystem::exists(file, ec)) {
    return make_error(Errc::kNotFound, "no unmapped-code counts yet (" + file.string() + ")");
  }
  if (!read_only) {
    const auto dir = file.parent_path();
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    if (ec) {
      return make_error(Errc::kUnavailable, "cannot make " + dir.string() + ": " + ec.message());
    }
  }
  sq::OpenOptions o;
  o.create = !read_only;
  o.read_only = read_only;
  o.cache_size_kib = 1024;
  GW_STORE_ASSIGN(auto db, sq::Database::open(file, o));
  if (!read_only) {
    GW_STORE_TRY(sq::migrate(db, kMigrations));
  }
  return UnmappedStore(std::move(db));
}

Result<void> UnmappedStore::add(const std::vector<UnmappedEntry>& deltas) {
  if (deltas.empty()) {
    return {};
  }
  GW_STORE_ASSIGN(auto tx, sq::Transaction::begin(db_));
  for (const auto& e : deltas) {
    GW_STORE_ASSIGN(auto st, db_.cached(kUpsert));
    st->bind(1, e.adapter)
        .bind(2, e.system)
        .bind(3, e.code)
        .bind(4, e.display)
        .bind(5, static_cast<std::int64_t>(e.count));
    GW_STORE_TRY(st->run());
  }
  return tx.commit();
}

Result<std::vector<UnmappedEntry>> UnmappedStore::top(std::size_t n) {
  GW_STORE_ASSIGN(auto st, db_.cached(kTop));
  st->bind(1, static_cast<std::int64_t>(n));
  std::vector<UnmappedEntry> out;
  while (true) {
    GW_STORE_ASSIGN(const bool row, st->step());
    if (!row) {
      break;
    }
    out.push_back({std::string(st->column_text(0)), std::string(st->column_text(1)),
                   std::string(st->column_text(2)), std::string(st->column_text(3)),
                   static_cast<std::uint64_t>(st->column_int64(4))});
  }
  return out;
}

Result<void> flush_unmapped(UnmappedTracker& tracker, UnmappedStore& store) {
  auto pending = tracker.take_pending();
  if (auto r = store.add(pending); !r) {
    tracker.give_back(pending);
    return r.error();
  }
  return {};
}

}  // namespace gw::mapping
