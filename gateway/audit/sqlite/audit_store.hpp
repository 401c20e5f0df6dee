// The audit log's SQLite file, <data_dir>/db/audit.db: its own migrations, and the reads and
// writes of records and checkpoints on one connection (the SQLite wrapper of gateway/store).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/audit/query.hpp"
#include "gateway/audit/record.hpp"
#include "gateway/core/error.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/migrations.hpp"

namespace gw::audit {

/** audit_migrations: audit.db's schema, version 1..N. Append only. */
[[nodiscard]] std::span<const store::sqlite::Migration> audit_migrations();

/** audit_database_path: <data_dir>/db/audit.db. */
[[nodiscard]] std::filesystem::path audit_database_path(const std::filesystem::path& data_dir);

/** encode_disclosed / encode_withheld: the stored JSON of the list columns. */
[[nodiscard]] std::string encode_disclosed(const std::vector<DisclosedItem>& items);
/** disclosed_json: the JSON of a record's disclosed list (prepared or not). */
[[nodiscard]] std::string disclosed_json(const AuditRecord& r);

/**
 * kDisclosedReferencePrefix: how the `disclosed` column refers to a list kept once in the
 * `audit_disclosed_list` table: "sha256:" and the 64 hex digits of the list's JSON (a form no
 * JSON array can take, so inline lists and references never mix up).
 */
inline constexpr std::string_view kDisclosedReferencePrefix = "sha256:";

/**
 * stored_by_reference: whether a record holding `p` stores a reference to the list (kept once)
 * rather than the list itself: a prepared list with its digest, longer than the reference.
 */
[[nodiscard]] bool stored_by_reference(const PreparedDisclosures* p);

/**
 * disclosed_column: what a record's `disclosed` column holds: a reference ("sha256:<hex>") for a
 * prepared list stored by reference (the list itself goes in `audit_disclosed_list`), else the
 * list's JSON. The chain hash covers the full list either way (canonical_body).
 */
[[nodiscard]] std::string disclosed_column(const AuditRecord& r);

/**
 * prepare_disclosures: `items` checked (as validate_record checks them) and encoded once, for
 * records that repeat the same list (AuditRecord::prepared_disclosed).
 * @return kBadRequest naming the field (never its value).
 */
[[nodiscard]] Result<std::shared_ptr<const PreparedDisclosures>> prepare_disclosures(
    std::vector<DisclosedItem> items);
[[nodiscard]] std::string encode_withheld(const std::vector<std::string>& items);

/** ChainHead: the last record's seq and hash (0 and the genesis hash for an empty log). */
struct ChainHead {
  std::uint64_t seq = 0;
  Hash hash = kGenesisHash;
};

/**
 * AuditStore: one connection to audit.db. Records are append-only by database rule: UPDATE is
 * refused, and DELETE is refused for any record after the latest purge checkpoint.
 * Thread safety: none; one thread at a time (AuditLog keeps one store per thread role).
 */
/** QuerySql: the statement AuditStore::query runs for a filter, with its numbered binds. */
struct QuerySql {
  std::string sql;
  std::vector<std::pair<int, std::string>> text_binds;
  std::vector<std::pair<int, std::int64_t>> int_binds;
};

/**
 * build_query_sql: the SELECT for one page of `filter` after (or, newest first, before) `after`,
 * at most `limit` rows. Public so that the query-plan tests check the statements really run.
 */
[[nodiscard]] QuerySql build_query_sql(const QueryFilter& filter, std::uint64_t after,
                                       bool newest_first, std::size_t limit);

class AuditStore {
public:
  /** open: <data_dir>/db/audit.db (db/ 0700, file 0600), migrated unless read-only. */
  [[nodiscard]] static Result<AuditStore> open(const std::filesystem::path& data_dir,
                                               const store::sqlite::OpenOptions& options = {});
  /** open_file: an explicit audit.db path (tests, archives). */
  [[nodiscard]] static Result<AuditStore> open_file(const std::filesystem::path& file,
                                                    const store::sqlite::OpenOptions& options = {});

  /** db: the connection (transactions, and raw SQL in tests). */
  [[nodiscard]] store::sqlite::Database& db() { return db_; }

  /** head: the chain head: the last record, else the latest purge anchor, else genesis. */
  [[nodiscard]] Result<ChainHead> head();
  /**
   * insert: one record with its chain hash (inside the caller's transaction); a prepared list
   * stored by reference is inserted too (insert_disclosed_list).
   */
  [[nodiscard]] Result<void> insert(const AuditRecord& r, const Hash& hash);
  /**
   * insert: as above, with the list columns already encoded (disclosed_column, encode_withheld);
   * a reference's list must be kept in the same transaction (insert_disclosed_list).
   */
  [[nodiscard]] Result<void> insert(const AuditRecord& r, const Hash& hash,
                                    std::string_view disclosed_json,
                                    std::string_view withheld_json);
  /**
   * insert_body: one record from its canonical body's columns (body_columns), with its seq and
   * chain hash and the list columns already encoded (inside the caller's transaction). The
   * text is bound without copies: `c`'s views and the JSON must stay alive until it returns.
   */
  [[nodiscard]] Result<void> insert_body(std::uint64_t seq, const BodyColumns& c, const Hash& hash,
                                         std::string_view disclosed_json,
                                         std::string_view withheld_json);
  /**
   * insert_disclosed_list: keeps a prepared list once, under its digest (INSERT OR IGNORE:
   * a list already kept is left as it is). Call it in the transaction of the record that refers
   * to it, so that a rolled-back batch can never leave a reference to a list that is not there.
   * The JSON is bound without a copy.
   */
  [[nodiscard]] Result<void> insert_disclosed_list(const PreparedDisclosures& p);
  /** insert_checkpoint: one signed checkpoint; sets cp.id. */
  [[nodiscard]] Result<void> insert_checkpoint(Checkpoint& cp);
  /** checkpoints: all checkpoints in the order written. */
  [[nodiscard]] Result<std::vector<Checkpoint>> checkpoints();
  /** latest_checkpoint: the last written, if any. */
  [[nodiscard]] Result<std::optional<Checkpoint>> latest_checkpoint();
  /** latest_purge_anchor: the last purge checkpoint, if any. */
  [[nodiscard]] Result<std::optional<Checkpoint>> latest_purge_anchor();

  /**
   * scan: calls `fn` for every record with seq >= from_seq in seq order, in pages of 4096 rows;
   * `fn` returns false to stop. Rows whose stored text is unreadable are still passed, with
   * what could be read (verify then reports the hash mismatch).
   */
  [[nodiscard]] Result<void> scan(std::uint64_t from_seq,
                                  const std::function<bool(const StoredRecord&)>& fn);
  /**
   * get: one record by seq (kNotFound if absent). get, scan and query resolve a `disclosed`
   * reference to its list (read once per call and kept for its length, so walking a million
   * records that share a list parses it once); a reference to a list that is not there reads as
   * unreadable ("disclosed list (missing)").
   */
  [[nodiscard]] Result<StoredRecord> get(std::uint64_t seq);
  /** count: the number of records held. */
  [[nodiscard]] Result<std::uint64_t> count();
  /** query: one page of records matching `filter` (see Page). kBadRequest for a bad cursor. */
  [[nodiscard]] Result<Page> query(const QueryFilter& filter, const PageRequest& page);
  /**
   * last_seq_before: the highest seq K such that every record up to K was recorded before
   * `before_us` (the prefix a purge may remove); 0 if none.
   */
  [[nodiscard]] Result<std::uint64_t> last_seq_before(std::int64_t before_us);
  /**
   * delete_through: removes records seq <= `seq` (a purge anchor at `seq` must exist), and the
   * kept disclosed lists that only they referred to (found by one pass over the references of
   * the records that remain). Inside the caller's transaction. @return the records removed.
   */
  [[nodiscard]] Result<std::uint64_t> delete_through(std::uint64_t seq);
  /** probe_write: a small real write (BEGIN IMMEDIATE, upsert, COMMIT): can the store write? */
  [[nodiscard]] Result<void> probe_write(std::int64_t now_us);

private:
  /** ListCache: the lists read during one read call, by digest (bounded; see resolve). */
  using ListCache =
      std::unordered_map<std::string, std::shared_ptr<const std::vector<DisclosedItem>>>;

  AuditStore(store::sqlite::Database db, bool has_list_table)
      : db_(std::move(db)), has_list_table_(has_list_table) {}
  /** read_row: the record of a row, its list resolved; an error only if SQLite fails. */
  [[nodiscard]] Result<StoredRecord> read_row(const store::sqlite::Statement& st);
  /** resolve: a kept list by digest (null when not there); from lists_ once read. */
  [[nodiscard]] Result<std::shared_ptr<const std::vector<DisclosedItem>>> resolve(
      std::string_view digest);
  /** lists_referenced_through: the digests of the lists records seq <= `seq` refer to. */
  [[nodiscard]] Result<std::set<std::string>> lists_referenced_through(std::uint64_t seq);
  /** remove_unreferenced_lists: removes those of `candidates` no record refers to. */
  [[nodiscard]] Result<std::uint64_t> remove_unreferenced_lists(std::set<std::string> candidates);

  store::sqlite::Database db_;
  bool has_list_table_ = true;  // false for a schema-1 audit.db opened read-only
  ListCache lists_;
};

}  // namespace gw::audit
