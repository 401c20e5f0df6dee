// Where the embedded store lives (<data_dir>/db/caregw.db) and its schema: the ordered list of
// migrations every SQLite-backed component shares. New tables come as new migrations, appended.
#pragma once

#include <filesystem>
#include <span>

#include "gateway/core/error.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/migrations.hpp"

namespace gw::store::sqlite {

/** store_migrations: caregw.db's schema, version 1..N. Append only; never edit a shipped one. */
[[nodiscard]] std::span<const Migration> store_migrations();

/** database_path: <data_dir>/db/caregw.db. */
[[nodiscard]] std::filesystem::path database_path(const std::filesystem::path& data_dir);

/**
 * open_store_database: creates <data_dir>/db (mode 0700) and caregw.db (mode 0600: it holds
 * patient data; SQLite gives the -wal and -shm files the same mode) if missing, opens it and
 * brings the schema up to date (see migrate()).
 * @return kUnavailable if the directory or file cannot be made or the schema is newer than
 * this build; kInternal if a migration fails.
 */
[[nodiscard]] Result<Database> open_store_database(const std::filesystem::path& data_dir,
                                                   const OpenOptions& options = {});

/** open_store_file: as open_store_database, for an explicit file path (its folder must exist). */
[[nodiscard]] Result<Database> open_store_file(const std::filesystem::path& file,
                                               const OpenOptions& options = {});

/**
 * open_database_file: opens `file` with its own schema `migrations` (another database than
 * caregw.db, e.g. the audit log's audit.db): made with mode 0600 if missing, migrated when
 * writable, and refused read-only if its schema version is not the code's.
 * @return as open_store_file.
 */
[[nodiscard]] Result<Database> open_database_file(const std::filesystem::path& file,
                                                  std::span<const Migration> migrations,
                                                  const OpenOptions& options = {});

/**
 * open_database_in: <data_dir>/db/<file_name> (db/ made with mode 0700), as open_database_file.
 */
[[nodiscard]] Result<Database> open_database_in(const std::filesystem::path& data_dir,
                                                std::string_view file_name,
                                                std::span<const Migration> migrations,
                                                const OpenOptions& options = {});

}  // namespace gw::store::sqlite
