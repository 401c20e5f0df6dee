// audit.db: schema (migration 1), record and checkpoint rows, the filtered and paged query.
#include "gateway/audit/sqlite/audit_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <set>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/fhir/json.hpp"
#include "gateway/store/sqlite/migrations.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::audit {
namespace {

using store::sqlite::Database;
using store::sqlite::Migration;
using store::sqlite::OpenOptions;
using store::sqlite::Statement;

// Empty text is stored as NULL so the partial indexes stay small and `col = ?` can use them.
// Hashes are lower-case hex; signatures base64. The disclosed items and withheld categories are
// JSON arrays written by this code (never parsed by SQLite). A record is never updated; it may
// be deleted only once a purge checkpoint at or after its seq has been written.
constexpr std::string_view kAuditSchema = R"sql(
CREATE TABLE audit_record (
  seq INTEGER PRIMARY KEY,
  recorded_us INTEGER NOT NULL,
  node_id TEXT,
  event_type TEXT NOT NULL,
  outcome INTEGER NOT NULL,
  decision TEXT,
  user_id TEXT,
  user_name TEXT,
  user_role TEXT,
  org_ods TEXT,
  client_system TEXT,
  purpose_of_use TEXT,
  nhs_number TEXT,
  disclosed TEXT NOT NULL,
  withheld TEXT NOT NULL,
  dsa_id TEXT,
  dsa_version TEXT,
  dsa_rule TEXT,
  break_glass_reason TEXT,
  request_id TEXT,
  correlation_id TEXT,
  source_address TEXT,
  message_id TEXT,
  peer_ods TEXT,
  detail TEXT,
  related_seq INTEGER,
  hash TEXT NOT NULL
);
CREATE INDEX audit_patient ON audit_record (nhs_number, seq) WHERE nhs_number IS NOT NULL;
CREATE INDEX audit_user ON audit_record (user_id, seq) WHERE user_id IS NOT NULL;
CREATE INDEX audit_org ON audit_record (org_ods, seq) WHERE org_ods IS NOT NULL;
CREATE INDEX audit_time ON audit_record (recorded_us);
CREATE INDEX audit_type ON audit_record (event_type, seq);
CREATE INDEX audit_denied ON audit_record (seq) WHERE decision = 'deny';
CREATE INDEX audit_break_glass ON audit_record (seq)
  WHERE decision = 'break-glass' OR event_type = 'break-glass';
CREATE INDEX audit_related ON audit_record (related_seq) WHERE related_seq IS NOT NULL;

CREATE TABLE audit_checkpoint (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('periodic', 'shutdown', 'purge')),
  seq INTEGER NOT NULL,
  head TEXT NOT NULL,
  time_us INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE INDEX audit_checkpoint_kind ON audit_checkpoint (kind, id);

CREATE TABLE audit_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);

CREATE TRIGGER audit_record_append_only BEFORE UPDATE ON audit_record
  BEGIN SELECT RAISE(ABORT, 'caregw: audit records are never changed'); END;
CREATE TRIGGER audit_record_purge_only BEFORE DELETE ON audit_record
  WHEN OLD.seq > coalesce((SELECT max(seq) FROM audit_checkpoint WHERE kind = 'purge'), 0)
  BEGIN SELECT RAISE(ABORT, 'caregw: audit records are removed only by a purge'); END;
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'caregw: checkpoints are never changed'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'caregw: checkpoints are never deleted'); END;
)sql";

// Migration 2: a disclosed list that many records repeat (a kept shared-record answer's) is kept
// once, under the SHA-256 of its JSON; those records' `disclosed` column holds "sha256:<hex>".
// The chain hash still covers each record's full list, so altering a kept list shows as a hash
// mismatch of every record that refers to it. Lists are never changed; one is removed only by a
// purge, once no record refers to it (the purge marks its sweep in audit_list_sweep).
constexpr std::string_view kDisclosedListSchema = R"sql(
CREATE TABLE audit_disclosed_list (
  digest TEXT PRIMARY KEY,
  items TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit_list_sweep (id INTEGER PRIMARY KEY CHECK (id = 1));
CREATE TRIGGER audit_disclosed_list_append_only BEFORE UPDATE ON audit_disclosed_list
  BEGIN SELECT RAISE(ABORT, 'caregw: disclosed lists are never changed'); END;
CREATE TRIGGER audit_disclosed_list_purge_only BEFORE DELETE ON audit_disclosed_list
  WHEN NOT EXISTS (SELECT 1 FROM audit_list_sweep)
  BEGIN SELECT RAISE(ABORT, 'caregw: disclosed lists are removed only by a purge'); END;
)sql";

constexpr std::array<Migration, 2> kMigrations{
    {{1, "audit-log", kAuditSchema}, {2, "audit-disclosed-lists", kDisclosedListSchema}}};

// The longest list cache a read call keeps (lists of up to 1,000 items): past it, it starts over.
constexpr std::size_t kListCacheSize = 256;

constexpr std::string_view kColumns =
    "seq, recorded_us, node_id, event_type, outcome, decision, user_id, user_name, user_role, "
    "org_ods, client_system, purpose_of_use, nhs_number, disclosed, withheld, dsa_id, "
    "dsa_version, dsa_rule, break_glass_reason, request_id, correlation_id, source_address, "
    "message_id, peer_ods, detail, related_seq, hash";

constexpr std::string_view kInsert =
    "INSERT INTO audit_record (seq, recorded_us, node_id, event_type, outcome, decision, user_id, "
    "user_name, user_role, org_ods, client_system, purpose_of_use, nhs_number, disclosed, "
    "withheld, dsa_id, dsa_version, dsa_rule, break_glass_reason, request_id, correlation_id, "
    "source_address, message_id, peer_ods, detail, related_seq, hash) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
    "?24, ?25, ?26, ?27)";

constexpr std::string_view kCheckpointColumns =
    "id, kind, seq, head, time_us, node_id, key_id, signature";

bool read_disclosed(std::string_view text, std::vector<DisclosedItem>& out) {
  if (text == "[]") {
    return true;
  }
  auto doc = fhir::parse_json(text);
  if (!doc || !doc->IsArray()) {
    return false;
  }
  for (const auto& row : doc->GetArray()) {
    if (!row.IsArray() || row.Size() != 3 || !row[0].IsString() || !row[1].IsString() ||
        !row[2].IsString()) {
      return false;
    }
    out.push_back({row[0].GetString(), row[1].GetString(), row[2].GetString()});
  }
  return true;
}

bool read_withheld(std::string_view text, std::vector<std::string>& out) {
  if (text == "[]") {
    return true;
  }
  auto doc = fhir::parse_json(text);
  if (!doc || !doc->IsArray()) {
    return false;
  }
  for (const auto& w : doc->GetArray()) {
    if (!w.IsString()) {
      return false;
    }
    out.emplace_back(w.GetString());
  }
  return true;
}

/** digest_of_reference: the 64 hex digits of a "sha256:<hex>" reference, or nullopt. */
std::optional<std::string_view> digest_of_reference(std::string_view text) {
  if (!text.starts_with(kDisclosedReferencePrefix)) {
    return std::nullopt;
  }
  text.remove_prefix(kDisclosedReferencePrefix.size());
  const bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  return hex ? std::optional<std::string_view>(text) : std::nullopt;
}

}  // namespace

Result<StoredRecord> AuditStore::read_row(const Statement& st) {
  StoredRecord s;
  AuditRecord& r = s.record;
  auto note = [&s](std::string_view col) {
    if (s.unreadable.empty()) {
      s.unreadable = std::string(col);
    }
  };
  r.seq = static_cast<std::uint64_t>(st.column_int64(0));
  r.recorded_us = st.column_int64(1);
  r.node_id = st.column_text(2);
  if (auto t = parse_event_type(st.column_text(3))) {
    r.type = *t;
  } else {
    note("event_type");
  }
  if (auto o = parse_outcome(std::to_string(st.column_int64(4)))) {
    r.outcome = *o;
  } else {
    note("outcome");
  }
  if (auto d = parse_decision(st.column_text(5))) {
    r.decision = *d;
  } else {
    note("decision");
  }
  r.user_id = st.column_text(6);
  r.user_name = st.column_text(7);
  r.user_role = st.column_text(8);
  r.org_ods = st.column_text(9);
  r.client_system = st.column_text(10);
  r.purpose_of_use = st.column_text(11);
  r.nhs_number = st.column_text(12);
  const std::string_view disclosed = st.column_text(13);
  if (disclosed.starts_with(kDisclosedReferencePrefix)) {
    const auto digest = digest_of_reference(disclosed);
    std::shared_ptr<const std::vector<DisclosedItem>> list;
    if (digest) {
      GW_STORE_ASSIGN(list, resolve(*digest));
    }
    if (list) {
      r.disclosed = *list;
    } else {
      note(digest ? "disclosed list (missing)" : "disclosed");
    }
  } else if (!read_disclosed(disclosed, r.disclosed)) {
    note("disclosed");
  }
  if (!read_withheld(st.column_text(14), r.withheld)) {
    note("withheld");
  }
  r.dsa_id = st.column_text(15);
  r.dsa_version = st.column_text(16);
  r.dsa_rule = st.column_text(17);
  r.break_glass_reason = st.column_text(18);
  r.request_id = st.column_text(19);
  r.correlation_id = st.column_text(20);
  r.source_address = st.column_text(21);
  r.message_id = st.column_text(22);
  r.peer_ods = st.column_text(23);
  r.detail = st.column_text(24);
  r.related_seq = static_cast<std::uint64_t>(st.column_optional_int64(25).value_or(0));
  if (auto h = hash_from_hex(st.column_text(26))) {
    s.hash = *h;
  } else {
    note("hash");
  }
  return s;
}

Result<std::shared_ptr<const std::vector<DisclosedItem>>> AuditStore::resolve(
    std::string_view digest) {
  using List = std::shared_ptr<const std::vector<DisclosedItem>>;
  if (!has_list_table_) {
    return List{};  // a database of schema 1 (read as it is) keeps no lists
  }
  if (auto it = lists_.find(std::string(digest)); it != lists_.end()) {
    return it->second;
  }
  GW_STORE_ASSIGN(auto st, db_.cached("SELECT items FROM audit_disclosed_list WHERE digest = ?1"));
  st->bind_borrowed(1, digest);
  GW_STORE_ASSIGN(const bool row, st->step());
  if (!row) {
    return List{};
  }
  auto items = std::make_shared<std::vector<DisclosedItem>>();
  if (!read_disclosed(st->column_text(0), *items)) {
    return List{};
  }
  if (lists_.size() >= kListCacheSize) {
    lists_.clear();
  }
  lists_.emplace(std::string(digest), items);
  return List(std::move(items));
}

namespace {

Result<Checkpoint> read_checkpoint(const Statement& st) {
  Checkpoint cp;
  cp.id = static_cast<std::uint64_t>(st.column_int64(0));
  auto kind = parse_checkpoint_kind(st.column_text(1));
  auto head = hash_from_hex(st.column_text(3));
  auto sig = unbase64(st.column_text(7));
  // A checkpoint that cannot be read is reported by verify as a bad signature: keep the row.
  cp.kind = kind.value_or(CheckpointKind::kPeriodic);
  cp.seq = static_cast<std::uint64_t>(st.column_int64(2));
  cp.head = head.value_or(Hash{});
  cp.time_us = st.column_int64(4);
  cp.node_id = st.column_text(5);
  cp.key_id = st.column_text(6);
  cp.signature = sig.value_or(std::string{});
  return cp;
}

Result<std::optional<Checkpoint>> one_checkpoint(Database& db, std::string_view sql) {
  GW_STORE_ASSIGN(auto st, db.cached(sql));
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<Checkpoint>{};
  }
  GW_STORE_ASSIGN(auto cp, read_checkpoint(*st));
  return std::optional<Checkpoint>(std::move(cp));
}

}  // namespace

std::span<const Migration> audit_migrations() { return kMigrations; }

std::string disclosed_json(const AuditRecord& r) {
  return r.prepared_disclosed ? r.prepared_disclosed->json : encode_disclosed(r.disclosed);
}

bool stored_by_reference(const PreparedDisclosures* p) {
  return p != nullptr && p->digest.size() == 64 &&
         p->json.size() > kDisclosedReferencePrefix.size() + p->digest.size();
}

std::string disclosed_column(const AuditRecord& r) {
  if (!stored_by_reference(r.prepared_disclosed.get())) {
    return disclosed_json(r);
  }
  std::string ref(kDisclosedReferencePrefix);
  ref.append(r.prepared_disclosed->digest);
  return ref;
}

Result<std::shared_ptr<const PreparedDisclosures>> prepare_disclosures(
    std::vector<DisclosedItem> items) {
  if (auto v = validate_disclosed(items); !v) {
    return v.error();
  }
  auto p = std::make_shared<PreparedDisclosures>();
  p->canonical = canonical_disclosed(items);
  p->json = encode_disclosed(items);
  p->digest = sha256_hex(p->json);
  p->items = std::move(items);
  return std::shared_ptr<const PreparedDisclosures>(std::move(p));
}

std::string encode_disclosed(const std::vector<DisclosedItem>& items) {
  if (items.empty()) {
    return "[]";
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& d : items) {
    w.StartArray();
    w.String(d.resource_type.data(), static_cast<rapidjson::SizeType>(d.resource_type.size()));
    w.String(d.resource_id.data(), static_cast<rapidjson::SizeType>(d.resource_id.size()));
    w.String(d.sha256_hex.data(), static_cast<rapidjson::SizeType>(d.sha256_hex.size()));
    w.EndArray();
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

std::string encode_withheld(const std::vector<std::string>& items) {
  if (items.empty()) {
    return "[]";
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& i : items) {
    w.String(i.data(), static_cast<rapidjson::SizeType>(i.size()));
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

std::filesystem::path audit_database_path(const std::filesystem::path& data_dir) {
  return data_dir / "db" / "audit.db";
}

namespace {

/** migrations_to_read: for a read-only connection, the migrations `file` has (each of audit.db's
 * migrations only adds, so an older log reads as it is: `caregw audit verify` of a log the new
 * build has not written to yet); otherwise all of them. */
Result<std::span<const Migration>> migrations_to_read(const std::filesystem::path& file,
                                                      const OpenOptions& options) {
  const std::span<const Migration> all(kMigrations);
  if (!options.read_only) {
    return all;
  }
  GW_STORE_ASSIGN(auto db, Database::open(file, options));
  GW_STORE_ASSIGN(const int version, store::sqlite::schema_version(db));
  if (version >= 1 && static_cast<std::size_t>(version) < all.size()) {
    return all.first(static_cast<std::size_t>(version));
  }
  return all;
}

}  // namespace

Result<AuditStore> AuditStore::open(const std::filesystem::path& data_dir,
                                    const OpenOptions& options) {
  if (options.read_only) {
    return open_file(audit_database_path(data_dir), options);
  }
  GW_STORE_ASSIGN(auto db,
                  store::sqlite::open_database_in(data_dir, "audit.db", kMigrations, options));
  return AuditStore(std::move(db), true);
}

Result<AuditStore> AuditStore::open_file(const std::filesystem::path& file,
                                         const OpenOptions& options) {
  GW_STORE_ASSIGN(const auto migrations, migrations_to_read(file, options));
  GW_STORE_ASSIGN(auto db, store::sqlite::open_database_file(file, migrations, options));
  return AuditStore(std::move(db), migrations.size() >= 2);
}

Result<ChainHead> AuditStore::head() {
  {
    GW_STORE_ASSIGN(auto st, db_.cached("SELECT seq, hash FROM audit_record ORDER BY seq DESC "
                                        "LIMIT 1"));
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      auto h = hash_from_hex(st->column_text(1));
      if (!h) {
        return make_error(Errc::kInternal, "audit: the last record's stored hash is unreadable");
      }
      return ChainHead{static_cast<std::uint64_t>(st->column_int64(0)), *h};
    }
  }
  GW_STORE_ASSIGN(auto anchor, latest_purge_anchor());
  if (anchor) {
    return ChainHead{anchor->seq, anchor->head};
  }
  return ChainHead{};
}

Result<void> AuditStore::insert(const AuditRecord& r, const Hash& hash) {
  if (stored_by_reference(r.prepared_disclosed.get())) {
    GW_STORE_TRY(insert_disclosed_list(*r.prepared_disclosed));
  }
  return insert(r, hash, disclosed_column(r), encode_withheld(r.withheld));
}

Result<void> AuditStore::insert_disclosed_list(const PreparedDisclosures& p) {
  GW_STORE_ASSIGN(auto st, db_.cached("INSERT OR IGNORE INTO audit_disclosed_list (digest, items) "
                                      "VALUES (?1, ?2)"));
  st->bind_borrowed(1, p.digest).bind_borrowed(2, p.json);
  return st->run();
}

Result<void> AuditStore::insert(const AuditRecord& r, const Hash& hash,
                                std::string_view disclosed_json, std::string_view withheld_json) {
  const std::string body = canonical_body(r);
  const auto cols = body_columns(body);
  if (!cols) {
    return make_error(Errc::kInternal, "audit: a record's canonical encoding does not read back");
  }
  return insert_body(r.seq, *cols, hash, disclosed_json, withheld_json);
}

Result<void> AuditStore::insert_body(std::uint64_t seq, const BodyColumns& c, const Hash& hash,
                                     std::string_view disclosed_json,
                                     std::string_view withheld_json) {
  // Column order as kColumns; the body's fields come in the same order (head: node_id ..
  // nhs_number, tail: dsa_id .. detail), so they bind by position. The text is bound without
  // SQLite's copy: it lives in the caller's body (and `hex` below) until the statement has run,
  // and the cached statement is reset, its bindings cleared, before this returns.
  int outcome = 0;
  const std::string_view code = c.head[2];
  if (std::from_chars(code.data(), code.data() + code.size(), outcome).ec != std::errc{}) {
    return make_error(Errc::kInternal, "audit: a record's outcome code does not read back");
  }
  std::array<char, 64> hex{};
  hex_into(hash, hex);
  GW_STORE_ASSIGN(auto st, db_.cached(kInsert));
  st->bind(1, static_cast<std::int64_t>(seq)).bind(2, c.recorded_us);
  st->bind_borrowed(3, c.head[0]).bind_borrowed(4, c.head[1]).bind(5, std::int64_t{outcome});
  for (std::size_t i = 3; i < c.head.size(); ++i) {  // decision .. nhs_number: columns 6..13
    st->bind_borrowed(static_cast<int>(i) + 3, c.head.at(i));
  }
  st->bind_borrowed(14, disclosed_json).bind_borrowed(15, withheld_json);
  for (std::size_t i = 0; i < c.tail.size(); ++i) {  // dsa_id .. detail: columns 16..25
    st->bind_borrowed(static_cast<int>(i) + 16, c.tail.at(i));
  }
  if (c.related_seq != 0) {
    st->bind(26, static_cast<std::int64_t>(c.related_seq));
  } else {
    st->bind_null(26);
  }
  st->bind_borrowed(27, std::string_view(hex.data(), hex.size()));
  return st->run();
}

Result<void> AuditStore::insert_checkpoint(Checkpoint& cp) {
  GW_STORE_ASSIGN(auto st, db_.cached("INSERT INTO audit_checkpoint (kind, seq, head, time_us, "
                                      "node_id, key_id, signature) VALUES (?1, ?2, ?3, ?4, ?5, "
                                      "?6, ?7)"));
  st->bind(1, checkpoint_kind_name(cp.kind))
      .bind(2, static_cast<std::int64_t>(cp.seq))
      .bind(3, to_hex(cp.head))
      .bind(4, cp.time_us)
      .bind(5, cp.node_id)
      .bind(6, cp.key_id)
      .bind(7, base64(cp.signature));
  GW_STORE_TRY(st->run());
  cp.id = static_cast<std::uint64_t>(db_.last_insert_rowid());
  return {};
}

Result<std::vector<Checkpoint>> AuditStore::checkpoints() {
  GW_STORE_ASSIGN(auto st, db_.cached("SELECT " + std::string(kCheckpointColumns) +
                                      " FROM audit_checkpoint ORDER BY id"));
  std::vector<Checkpoint> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    GW_STORE_ASSIGN(auto cp, read_checkpoint(*st));
    out.push_back(std::move(cp));
  }
  return out;
}

Result<std::optional<Checkpoint>> AuditStore::latest_checkpoint() {
  static const std::string kSql = "SELECT " + std::string(kCheckpointColumns) +
                                  " FROM audit_checkpoint ORDER BY id DESC LIMIT 1";
  return one_checkpoint(db_, kSql);
}

Result<std::optional<Checkpoint>> AuditStore::latest_purge_anchor() {
  static const std::string kSql = "SELECT " + std::string(kCheckpointColumns) +
                                  " FROM audit_checkpoint WHERE kind = 'purge' ORDER BY id DESC "
                                  "LIMIT 1";
  return one_checkpoint(db_, kSql);
}

Result<void> AuditStore::scan(std::uint64_t from_seq,
                              const std::function<bool(const StoredRecord&)>& fn) {
  static const std::string kSql = "SELECT " + std::string(kColumns) +
                                  " FROM audit_record WHERE seq >= ?1 ORDER BY seq LIMIT 4096";
  // Lists are read afresh by each read call: a long-lived connection must not keep showing a
  // list as it was once it has been altered in the file (verify has to see the alteration).
  lists_.clear();
  std::uint64_t next = from_seq;
  for (;;) {
    GW_STORE_ASSIGN(auto st, db_.cached(kSql));
    st->bind(1, static_cast<std::int64_t>(next));
    std::size_t n = 0;
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      ++n;
      GW_STORE_ASSIGN(auto rec, read_row(*st));
      next = rec.record.seq + 1;
      if (!fn(rec)) {
        return {};
      }
    }
    if (n < 4096) {
      return {};
    }
  }
}

Result<StoredRecord> AuditStore::get(std::uint64_t seq) {
  static const std::string kSql =
      "SELECT " + std::string(kColumns) + " FROM audit_record WHERE seq = ?1";
  lists_.clear();
  GW_STORE_ASSIGN(auto st, db_.cached(kSql));
  st->bind(1, static_cast<std::int64_t>(seq));
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return make_error(Errc::kNotFound, "audit: no record " + std::to_string(seq));
  }
  return read_row(*st);
}

Result<std::uint64_t> AuditStore::count() {
  GW_STORE_ASSIGN(auto n, db_.query_int64("SELECT count(*) FROM audit_record"));
  return static_cast<std::uint64_t>(n.value_or(0));
}

QuerySql build_query_sql(const QueryFilter& f, std::uint64_t after, bool newest_first,
                         std::size_t limit) {
  QuerySql q;
  q.sql = "SELECT " + std::string(kColumns) + " FROM audit_record WHERE 1";
  int n = 0;
  auto text = [&](std::string_view col, const std::string& v) {
    if (!v.empty()) {
      q.sql += " AND " + std::string(col) + " = ?" + std::to_string(++n);
      q.text_binds.emplace_back(n, v);
    }
  };
  // Without ANALYZE statistics SQLite cannot tell a patient's or a user's few records from the
  // millions of one event type or day: a unary + keeps the broad columns' indexes out of the
  // choice when a narrower filter is there, so the scan is bounded by the patient, the user or
  // the period, not by the type.
  const bool narrow = !f.nhs_number.empty() || !f.user_id.empty();
  const bool bounded = narrow || !f.org_ods.empty() || f.from_us || f.to_us;
  const std::string time_col = narrow ? "+recorded_us" : "recorded_us";
  text("nhs_number", f.nhs_number);
  text("user_id", f.user_id);
  text("org_ods", f.org_ods);
  text("purpose_of_use", f.purpose_of_use);
  if (f.from_us || f.to_us) {
    // Both ends, always: SQLite rates a range open at one end below the rowid order and would
    // scan the whole log from the first seq.
    q.sql += " AND " + time_col + " >= ?" + std::to_string(++n);
    q.int_binds.emplace_back(n, f.from_us.value_or(std::numeric_limits<std::int64_t>::min()));
    q.sql += " AND " + time_col + " < ?" + std::to_string(++n);
    q.int_binds.emplace_back(n, f.to_us.value_or(std::numeric_limits<std::int64_t>::max()));
  }
  if (!f.types.empty()) {
    q.sql += bounded ? " AND +event_type IN (" : " AND event_type IN (";
    for (std::size_t i = 0; i < f.types.size(); ++i) {
      q.sql += (i == 0 ? "?" : ", ?") + std::to_string(++n);
      q.text_binds.emplace_back(n, std::string(event_type_name(f.types[i])));
    }
    q.sql += ")";
  }
  if (f.outcome) {
    q.sql += " AND outcome = ?" + std::to_string(++n);
    q.int_binds.emplace_back(n, static_cast<std::int64_t>(*f.outcome));
  }
  if (f.decision) {
    // A literal from the closed enum (never user text), so the partial indexes can serve it.
    q.sql += *f.decision == Decision::kNone
                 ? std::string(" AND decision IS NULL")
                 : " AND decision = '" + std::string(decision_name(*f.decision)) + "'";
  }
  if (f.break_glass_only) {
    q.sql += " AND (decision = 'break-glass' OR event_type = 'break-glass')";
  }
  if (f.related_seq != 0) {
    q.sql += " AND related_seq = ?" + std::to_string(++n);
    q.int_binds.emplace_back(n, static_cast<std::int64_t>(f.related_seq));
  }
  if (newest_first) {
    if (after != 0) {
      q.sql += " AND seq < ?" + std::to_string(++n);
      q.int_binds.emplace_back(n, static_cast<std::int64_t>(after));
    }
    q.sql += " ORDER BY seq DESC";
  } else {
    q.sql += " AND seq > ?" + std::to_string(++n);
    q.int_binds.emplace_back(n, static_cast<std::int64_t>(after));
    q.sql += " ORDER BY seq";
  }
  q.sql += " LIMIT " + std::to_string(limit);
  return q;
}

Result<Page> AuditStore::query(const QueryFilter& f, const PageRequest& page) {
  std::uint64_t after = 0;
  if (!page.cursor.empty()) {
    GW_STORE_ASSIGN(auto c, decode_cursor(page.cursor, f, page.newest_first));
    after = c.after_seq;
  }
  lists_.clear();
  const std::size_t limit = std::clamp<std::size_t>(page.limit, 1, kMaxPageSize);
  // One more than asked: whether there is a next page without a second query.
  const QuerySql q = build_query_sql(f, after, page.newest_first, limit + 1);
  const std::string& sql = q.sql;
  const auto& text_binds = q.text_binds;
  const auto& int_binds = q.int_binds;
  GW_STORE_ASSIGN(auto st, db_.cached(sql));
  for (const auto& [i, v] : text_binds) {
    st->bind(i, v);
  }
  for (const auto& [i, v] : int_binds) {
    st->bind(i, v);
  }
  Page out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    if (out.records.size() == limit) {
      out.next_cursor =
          encode_cursor({out.records.back().record.seq, page.newest_first, f.fingerprint()});
      break;
    }
    GW_STORE_ASSIGN(auto rec, read_row(*st));
    out.records.push_back(std::move(rec));
  }
  return out;
}

Result<std::uint64_t> AuditStore::last_seq_before(std::int64_t before_us) {
  GW_STORE_ASSIGN(auto st, db_.cached("SELECT min(seq) FROM audit_record WHERE recorded_us >= ?1"));
  st->bind(1, before_us);
  GW_STORE_ASSIGN(bool row, st->step());
  if (row && !st->is_null(0)) {
    return static_cast<std::uint64_t>(st->column_int64(0)) - 1;
  }
  GW_STORE_ASSIGN(auto max, db_.query_int64("SELECT max(seq) FROM audit_record"));
  return static_cast<std::uint64_t>(max.value_or(0));
}

Result<std::uint64_t> AuditStore::delete_through(std::uint64_t seq) {
  GW_STORE_ASSIGN(auto lists, lists_referenced_through(seq));
  std::uint64_t removed = 0;
  {
    GW_STORE_ASSIGN(auto st, db_.cached("DELETE FROM audit_record WHERE seq <= ?1"));
    st->bind(1, static_cast<std::int64_t>(seq));
    GW_STORE_TRY(st->run());
    removed = static_cast<std::uint64_t>(db_.changes());
  }
  GW_STORE_TRY(remove_unreferenced_lists(std::move(lists)));
  return removed;
}

Result<std::set<std::string>> AuditStore::lists_referenced_through(std::uint64_t seq) {
  GW_STORE_ASSIGN(auto st, db_.cached("SELECT disclosed FROM audit_record WHERE seq <= ?1 AND "
                                      "disclosed GLOB 'sha256:*'"));
  st->bind(1, static_cast<std::int64_t>(seq));
  std::set<std::string> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return out;
    }
    if (auto digest = digest_of_reference(st->column_text(0))) {
      out.emplace(*digest);
    }
  }
}

Result<std::uint64_t> AuditStore::remove_unreferenced_lists(std::set<std::string> candidates) {
  if (candidates.empty()) {
    return std::uint64_t{0};
  }
  {
    // One pass over the records that remain (their reference column, never their lists),
    // newest first: a list still in use is usually in use lately, so the pass ends early when
    // every candidate is.
    GW_STORE_ASSIGN(auto st, db_.cached("SELECT disclosed FROM audit_record WHERE disclosed "
                                        "GLOB 'sha256:*' ORDER BY seq DESC"));
    while (!candidates.empty()) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      if (auto digest = digest_of_reference(st->column_text(0))) {
        candidates.erase(std::string(*digest));
      }
    }
  }
  if (candidates.empty()) {
    return std::uint64_t{0};
  }
  // The sweep row lets the purge-only trigger through, within this transaction only.
  GW_STORE_TRY(db_.exec("INSERT INTO audit_list_sweep (id) VALUES (1)"));
  for (const auto& digest : candidates) {
    GW_STORE_ASSIGN(auto st, db_.cached("DELETE FROM audit_disclosed_list WHERE digest = ?1"));
    st->bind_borrowed(1, digest);
    GW_STORE_TRY(st->run());
  }
  GW_STORE_TRY(db_.exec("DELETE FROM audit_list_sweep"));
  return static_cast<std::uint64_t>(candidates.size());
}

Result<void> AuditStore::probe_write(std::int64_t now_us) {
  GW_STORE_ASSIGN(auto tx, store::sqlite::Transaction::begin(db_));
  GW_STORE_ASSIGN(auto st, db_.cached("INSERT INTO audit_probe (id, at) VALUES (1, ?1) "
                                      "ON CONFLICT (id) DO UPDATE SET at = excluded.at"));
  st->bind(1, now_us);
  GW_STORE_TRY(st->run());
  return tx.commit();
}

}  // namespace gw::audit
