// Numbered schema migrations kept in code, applied in order, each in its own transaction, and
// recorded in the `schema_version` table. A database newer than the code is refused.
#pragma once

#include <span>
#include <string_view>

#include "gateway/core/error.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::store::sqlite {

/** Migration: version N (1, 2, 3, ... without gaps), a short name and its SQL (any statements). */
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/** MigrationReport: the schema version found and the version left. */
struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
};

/**
 * migrate: brings `db` up to the last of `migrations`. Each migration runs with its
 * schema_version row in one BEGIN IMMEDIATE transaction, so a failure leaves the database at the
 * previous version and two processes opening at once apply each migration once.
 * @return kUnavailable if the database's version is newer than the code knows (this build is
 * older than the data: refuse rather than guess); kInternal if the migration list is not
 * numbered 1..N, if a recorded migration's name differs from the code's (the schema history
 * diverged), or if a migration's SQL fails (the detail says which version).
 * Thread safety: as `db`.
 */
[[nodiscard]] Result<MigrationReport> migrate(Database& db, std::span<const Migration> migrations);

/** schema_version: the highest applied version (0 for an empty database). */
[[nodiscard]] Result<int> schema_version(Database& db);

}  // namespace gw::store::sqlite
