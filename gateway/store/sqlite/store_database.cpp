// caregw.db: its place under the data dir, its file modes, and its migrations. Migration 1 is
// the master patient index (tables, indexes and the triggers that make history undeletable).
#include "gateway/store/sqlite/store_database.hpp"

#include <array>
#include <cerrno>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gw::store::sqlite {
namespace {

// Times are INTEGER microseconds since 1970-01-01T00:00:00Z (from gw::Clock); birth dates are
// 'YYYY-MM-DD' text; list-valued demographics are JSON arrays. Enumerations are stored as the
// text codes of gateway/store/mpi_types.hpp so the data reads without the code. JSON columns are
// checked in C++ before writing: json_valid() may not run from a schema under trusted_schema=OFF
// in SQLite 3.40.
constexpr std::string_view kMpiSchema = R"sql(
CREATE TABLE person (
  id INTEGER PRIMARY KEY,
  nhs_number TEXT CHECK (nhs_number IS NULL OR
                         (length(nhs_number) = 10 AND nhs_number NOT GLOB '*[^0-9]*')),
  nhs_verification INTEGER CHECK (nhs_verification BETWEEN 1 AND 8),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  superseded_by INTEGER REFERENCES person (id),
  CHECK (superseded_by IS NULL OR superseded_by <> id)
);
CREATE UNIQUE INDEX person_nhs_number ON person (nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX person_superseded_by ON person (superseded_by) WHERE superseded_by IS NOT NULL;

CREATE TABLE person_nhs_history (
  id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES person (id),
  nhs_number TEXT NOT NULL,
  nhs_verification INTEGER NOT NULL CHECK (nhs_verification BETWEEN 1 AND 8),
  source_ods TEXT NOT NULL,
  message_id TEXT,
  recorded_at INTEGER NOT NULL
);
CREATE INDEX person_nhs_history_person ON person_nhs_history (person_id, id);

CREATE TABLE local_identifier (
  id INTEGER PRIMARY KEY,
  source_ods TEXT NOT NULL,
  id_type TEXT NOT NULL,
  value TEXT NOT NULL,
  person_id INTEGER NOT NULL REFERENCES person (id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX local_identifier_key ON local_identifier (source_ods, id_type, value);
CREATE INDEX local_identifier_person ON local_identifier (person_id);

CREATE TABLE review_item (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('possible-match', 'nhs-number-conflict')),
  status TEXT NOT NULL CHECK (status IN ('open', 'linked', 'not-duplicate', 'new-person')),
  source_ods TEXT NOT NULL,
  local_source_ods TEXT,
  local_id_type TEXT,
  local_value TEXT,
  message_id TEXT,
  incoming TEXT NOT NULL,
  scores TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  opened_by TEXT NOT NULL,
  resolved_by TEXT,
  resolved_at INTEGER,
  resolved_person_id INTEGER REFERENCES person (id),
  note TEXT
);
CREATE INDEX review_item_status ON review_item (status, id);
CREATE INDEX review_item_open_local ON review_item (local_source_ods, local_id_type, local_value)
  WHERE status = 'open';

CREATE TABLE review_candidate (
  review_item_id INTEGER NOT NULL REFERENCES review_item (id),
  rank INTEGER NOT NULL,
  person_id INTEGER NOT NULL REFERENCES person (id),
  score REAL,
  PRIMARY KEY (review_item_id, rank)
) WITHOUT ROWID;

CREATE TABLE review_action (
  id INTEGER PRIMARY KEY,
  review_item_id INTEGER NOT NULL REFERENCES review_item (id),
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  person_id INTEGER REFERENCES person (id),
  note TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX review_action_item ON review_action (review_item_id, id);

CREATE TABLE link (
  id INTEGER PRIMARY KEY,
  local_identifier_id INTEGER NOT NULL REFERENCES local_identifier (id),
  person_id INTEGER NOT NULL REFERENCES person (id),
  method TEXT NOT NULL
    CHECK (method IN ('exact-identifier', 'verified-nhs-number', 'probabilistic', 'manual')),
  score REAL,
  reviewer TEXT,
  review_item_id INTEGER REFERENCES review_item (id),
  message_id TEXT,
  created_at INTEGER NOT NULL,
  CHECK (method <> 'probabilistic' OR score IS NOT NULL),
  CHECK (method <> 'manual' OR reviewer IS NOT NULL)
);
CREATE INDEX link_local_identifier ON link (local_identifier_id, id);
CREATE INDEX link_person ON link (person_id, id);

CREATE TABLE demographics (
  id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES person (id),
  source_ods TEXT NOT NULL,
  family TEXT NOT NULL,
  given TEXT NOT NULL,
  previous_names TEXT NOT NULL,
  birth_date TEXT CHECK (birth_date IS NULL OR
                         birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  gender TEXT NOT NULL CHECK (gender IN ('unknown', 'male', 'female', 'other')),
  address_lines TEXT NOT NULL,
  postcode TEXT NOT NULL,
  telecom TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  message_id TEXT,
  recorded_at INTEGER NOT NULL,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX demographics_timeline ON demographics (person_id, source_ods, valid_from);
CREATE INDEX demographics_current ON demographics (person_id) WHERE valid_to IS NULL;

CREATE TABLE blocking_key (
  key TEXT NOT NULL,
  person_id INTEGER NOT NULL REFERENCES person (id),
  PRIMARY KEY (key, person_id)
) WITHOUT ROWID;

CREATE TABLE person_merge (
  id INTEGER PRIMARY KEY,
  survivor_id INTEGER NOT NULL REFERENCES person (id),
  superseded_id INTEGER NOT NULL REFERENCES person (id),
  reason TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  message_id TEXT,
  merged_at INTEGER NOT NULL,
  unmerged_at INTEGER,
  unmerged_by TEXT,
  unmerge_reason TEXT,
  unmerge_message_id TEXT,
  CHECK (survivor_id <> superseded_id)
);
CREATE UNIQUE INDEX person_merge_open ON person_merge (superseded_id) WHERE unmerged_at IS NULL;
CREATE INDEX person_merge_superseded ON person_merge (superseded_id);
CREATE INDEX person_merge_survivor ON person_merge (survivor_id);

-- Nothing is ever deleted, and history rows are never rewritten.
CREATE TRIGGER person_no_delete BEFORE DELETE ON person
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER person_nhs_history_no_delete BEFORE DELETE ON person_nhs_history
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER local_identifier_no_delete BEFORE DELETE ON local_identifier
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER review_item_no_delete BEFORE DELETE ON review_item
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER review_candidate_no_delete BEFORE DELETE ON review_candidate
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER review_action_no_delete BEFORE DELETE ON review_action
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER link_no_delete BEFORE DELETE ON link
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER demographics_no_delete BEFORE DELETE ON demographics
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER blocking_key_no_delete BEFORE DELETE ON blocking_key
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;
CREATE TRIGGER person_merge_no_delete BEFORE DELETE ON person_merge
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI rows are never deleted'); END;

CREATE TRIGGER person_nhs_history_append_only BEFORE UPDATE ON person_nhs_history
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI history rows are append-only'); END;
CREATE TRIGGER review_candidate_append_only BEFORE UPDATE ON review_candidate
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI history rows are append-only'); END;
CREATE TRIGGER review_action_append_only BEFORE UPDATE ON review_action
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI history rows are append-only'); END;
CREATE TRIGGER link_append_only BEFORE UPDATE ON link
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI history rows are append-only'); END;
CREATE TRIGGER blocking_key_append_only BEFORE UPDATE ON blocking_key
  BEGIN SELECT RAISE(ABORT, 'caregw: MPI history rows are append-only'); END;

CREATE TRIGGER person_fixed BEFORE UPDATE OF id, created_at ON person
  BEGIN SELECT RAISE(ABORT, 'caregw: a person''s id and creation time are fixed'); END;
CREATE TRIGGER person_nhs_number_fixed BEFORE UPDATE OF nhs_number ON person
  WHEN OLD.nhs_number IS NOT NULL AND NEW.nhs_number IS NOT OLD.nhs_number
  BEGIN SELECT RAISE(ABORT, 'caregw: a person''s NHS number is never overwritten'); END;
CREATE TRIGGER local_identifier_fixed
  BEFORE UPDATE OF id, source_ods, id_type, value, created_at ON local_identifier
  BEGIN SELECT RAISE(ABORT, 'caregw: a local identifier is fixed once stored'); END;
CREATE TRIGGER demographics_fixed
  BEFORE UPDATE OF id, person_id, source_ods, family, given, previous_names, birth_date, gender,
                   address_lines, postcode, telecom, valid_from, message_id, recorded_at
  ON demographics
  BEGIN SELECT RAISE(ABORT, 'caregw: demographics versions are never rewritten'); END;
CREATE TRIGGER person_merge_fixed
  BEFORE UPDATE OF id, survivor_id, superseded_id, reason, merged_by, message_id, merged_at
  ON person_merge
  BEGIN SELECT RAISE(ABORT, 'caregw: a merge record is never rewritten'); END;
CREATE TRIGGER person_merge_unmerge_once BEFORE UPDATE ON person_merge
  WHEN OLD.unmerged_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'caregw: an unmerge is final'); END;
CREATE TRIGGER review_item_fixed
  BEFORE UPDATE OF id, kind, source_ods, local_source_ods, local_id_type, local_value, message_id,
                   incoming, scores, created_at, opened_by
  ON review_item
  BEGIN SELECT RAISE(ABORT, 'caregw: a review item''s content is fixed'); END;
CREATE TRIGGER review_item_resolved_once BEFORE UPDATE ON review_item
  WHEN OLD.status <> 'open'
  BEGIN SELECT RAISE(ABORT, 'caregw: a resolved review item is final'); END;
)sql";

// Migration 2: the record store. record_version keeps every version of every resource a source
// sent (its id is the global change sequence that read cursors page by); record_current is one
// row per (source, resource type, resource id) pointing at the latest version. Entered-in-error
// and deleted resources keep their history and a current row whose status hides them.
constexpr std::string_view kRecordSchema = R"sql(
CREATE TABLE record_version (
  seq INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES person (id),
  source_ods TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('active', 'entered-in-error', 'deleted')),
  source_message_id TEXT NOT NULL,
  last_updated INTEGER NOT NULL,
  resource TEXT
);
CREATE UNIQUE INDEX record_version_key
  ON record_version (source_ods, resource_type, resource_id, version);

CREATE TABLE record_current (
  source_ods TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  person_id INTEGER NOT NULL REFERENCES person (id),
  version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'entered-in-error', 'deleted')),
  seq INTEGER NOT NULL REFERENCES record_version (seq),
  last_updated INTEGER NOT NULL,
  PRIMARY KEY (source_ods, resource_type, resource_id)
) WITHOUT ROWID;
CREATE INDEX record_current_person_type ON record_current (person_id, resource_type, seq)
  WHERE status = 'active';
CREATE INDEX record_current_person ON record_current (person_id, seq) WHERE status = 'active';

CREATE TRIGGER record_version_no_update BEFORE UPDATE ON record_version
  BEGIN SELECT RAISE(ABORT, 'caregw: a record version is fixed'); END;
CREATE TRIGGER record_version_no_delete BEFORE DELETE ON record_version
  BEGIN SELECT RAISE(ABORT, 'caregw: record history is kept'); END;
CREATE TRIGGER record_current_no_delete BEFORE DELETE ON record_current
  BEGIN SELECT RAISE(ABORT, 'caregw: record history is kept'); END;
)sql";

// Migration 3: the message journal (every inbound message as received) and the outbox (one row
// per message per recipient). Bodies are stored as bytes (TEXT with an explicit length).
constexpr std::string_view kMessagingSchema = R"sql(
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  sender_ods TEXT NOT NULL,
  adapter TEXT NOT NULL,
  sender_message_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('received', 'processed', 'failed')),
  error TEXT,
  ack TEXT,
  ack_content_type TEXT,
  finished_at INTEGER
);
CREATE UNIQUE INDEX journal_sender_message ON journal (sender_ods, sender_message_id);
CREATE INDEX journal_unfinished ON journal (id) WHERE status = 'received';
CREATE TRIGGER journal_body_fixed BEFORE UPDATE OF
    sender_ods, adapter, sender_message_id, content_type, body, sha256, received_at ON journal
  BEGIN SELECT RAISE(ABORT, 'caregw: a journalled message is kept as received'); END;

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  journal_id INTEGER REFERENCES journal (id),
  recipient_ods TEXT NOT NULL,
  transport TEXT NOT NULL CHECK (transport IN ('https', 'mllp', 'mailbox')),
  patient_key TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  content_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'ready', 'delivered', 'dead', 'discarded')),
  attempts INTEGER NOT NULL DEFAULT 0,
  queued_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_error TEXT,
  finished_at INTEGER,
  discard_reason TEXT,
  discarded_by TEXT,
  replays INTEGER NOT NULL DEFAULT 0,
  replayed_by TEXT,
  replayed_at INTEGER
);
CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (idempotency_key);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id)
  WHERE state = 'ready' AND transport <> 'mailbox';
CREATE INDEX outbox_line ON outbox (recipient_ods, patient_key, id)
  WHERE state IN ('waiting', 'ready');
CREATE INDEX outbox_live ON outbox (recipient_ods, id) WHERE state IN ('waiting', 'ready');
CREATE INDEX outbox_dead ON outbox (recipient_ods, id) WHERE state = 'dead';
CREATE INDEX outbox_dead_all ON outbox (id) WHERE state = 'dead';
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state IN ('delivered', 'discarded');
CREATE TRIGGER outbox_content_fixed BEFORE UPDATE OF
    journal_id, recipient_ods, transport, patient_key, idempotency_key, kind, content_type,
    payload, queued_at ON outbox
  BEGIN SELECT RAISE(ABORT, 'caregw: an outbound message is kept as queued'); END;
)sql";

// Migration 4: the format each outbound message was rendered in, so that the recipient's
// business answer (an ITK3 response) is read by the renderer that made the message.
constexpr std::string_view kOutboxFormat = R"sql(
ALTER TABLE outbox ADD COLUMN format TEXT NOT NULL DEFAULT '';
)sql";

// Migration 5: journal retention and reprocessing. A message's bytes may be removed once its
// retention has passed (the row, its SHA-256 and its acknowledgement stay: a repeat is still
// answered as before, and the hash still proves what was received); a failed message may be
// put back to received by an operator to be processed again (after a mapping fix).
constexpr std::string_view kJournalRetention = R"sql(
ALTER TABLE journal ADD COLUMN body_bytes INTEGER;
ALTER TABLE journal ADD COLUMN body_removed_at INTEGER;
ALTER TABLE journal ADD COLUMN reprocessed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal ADD COLUMN reprocessed_by TEXT;
ALTER TABLE journal ADD COLUMN reprocessed_at INTEGER;
DROP TRIGGER journal_body_fixed;
CREATE TRIGGER journal_body_fixed BEFORE UPDATE OF
    sender_ods, adapter, sender_message_id, content_type, sha256, received_at ON journal
  BEGIN SELECT RAISE(ABORT, 'caregw: a journalled message is kept as received'); END;
CREATE TRIGGER journal_size_fixed BEFORE UPDATE OF body_bytes ON journal
  WHEN OLD.body_bytes IS NOT NEW.body_bytes AND
       (OLD.body_bytes IS NOT NULL OR NEW.body_bytes IS NOT length(CAST(OLD.body AS BLOB)))
  BEGIN SELECT RAISE(ABORT, 'caregw: a journalled message is kept as received'); END;
CREATE TRIGGER journal_body_removed_only BEFORE UPDATE OF body ON journal
  WHEN NEW.body <> '' OR NEW.body_removed_at IS NULL OR OLD.status = 'received'
  BEGIN SELECT RAISE(ABORT, 'caregw: a journalled message is kept until its retention'); END;
CREATE INDEX journal_retained ON journal (finished_at)
  WHERE body_removed_at IS NULL AND status <> 'received';
CREATE INDEX journal_failed ON journal (id) WHERE status = 'failed';
)sql";

// Migration 6: the record generation of each person, for the shared record's answer cache
// (gateway/record/answer_cache.hpp). Triggers bump it in the same transaction as every write
// that can change what a read of the person shows: a record version (new, changed,
// entered-in-error, deleted), a record moving between persons, the person row (NHS number,
// merges: superseded_by), merges and unmerges, demographics, local identifiers and links. Each
// bump takes a value from one store-wide sequence (1 + the highest anywhere), so the highest
// generation over a person's merge family changes on every such write, including a merge or an
// unmerge that changes the family itself, and never returns to an earlier value. Any writer of
// this file (the server, a CLI verb, another process) bumps it: the triggers live in the file.
#define GW_BUMP(who)                                                              \
  "INSERT INTO record_generation (person_id, generation) SELECT " who             \
  ", (SELECT COALESCE(MAX(generation), 0) + 1 FROM record_generation) WHERE " who \
  " IS NOT NULL ON CONFLICT (person_id) DO UPDATE SET generation = excluded.generation; "
constexpr std::string_view kRecordGeneration =
    "CREATE TABLE record_generation ("
    "  person_id INTEGER PRIMARY KEY REFERENCES person (id),"
    "  generation INTEGER NOT NULL);\n"
    "CREATE INDEX record_generation_order ON record_generation (generation);\n"
    "CREATE TRIGGER record_version_generation AFTER INSERT ON record_version BEGIN "
    GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER record_current_generation AFTER UPDATE OF person_id ON record_current "
    "WHEN OLD.person_id <> NEW.person_id BEGIN " GW_BUMP("OLD.person_id") "END;\n"
    "CREATE TRIGGER person_generation AFTER UPDATE ON person BEGIN " GW_BUMP("NEW.id")
    GW_BUMP("OLD.superseded_by") GW_BUMP("NEW.superseded_by") "END;\n"
    "CREATE TRIGGER person_merge_generation AFTER INSERT ON person_merge BEGIN "
    GW_BUMP("NEW.survivor_id") GW_BUMP("NEW.superseded_id") "END;\n"
    "CREATE TRIGGER person_unmerge_generation AFTER UPDATE ON person_merge BEGIN "
    GW_BUMP("NEW.survivor_id") GW_BUMP("NEW.superseded_id") "END;\n"
    "CREATE TRIGGER person_nhs_history_generation AFTER INSERT ON person_nhs_history BEGIN "
    GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER demographics_generation AFTER INSERT ON demographics BEGIN "
    GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER demographics_end_generation AFTER UPDATE ON demographics BEGIN "
    GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER local_identifier_generation AFTER INSERT ON local_identifier BEGIN "
    GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER local_identifier_move_generation AFTER UPDATE ON local_identifier BEGIN "
    GW_BUMP("OLD.person_id") GW_BUMP("NEW.person_id") "END;\n"
    "CREATE TRIGGER link_generation AFTER INSERT ON link BEGIN " GW_BUMP("NEW.person_id")
    "END;\n";
#undef GW_BUMP

// Migration 7: an outbound message's payload apart from its delivery state. The state changes
// (ready, delivered, retry, dead) rewrite the outbox row; with the payload in it each change
// copied the whole message and spread the live rows over many more pages. outbox_payload is
// written once, never changed, and deleted with its outbox row (purge_finished).
constexpr std::string_view kOutboxPayload = R"sql(
CREATE TABLE outbox_payload (
  outbox_id INTEGER PRIMARY KEY,
  payload TEXT NOT NULL
);
INSERT INTO outbox_payload (outbox_id, payload) SELECT id, payload FROM outbox;
DROP TRIGGER outbox_content_fixed;
ALTER TABLE outbox DROP COLUMN payload;
CREATE TRIGGER outbox_content_fixed BEFORE UPDATE OF
    journal_id, recipient_ods, transport, patient_key, idempotency_key, kind, content_type,
    queued_at ON outbox
  BEGIN SELECT RAISE(ABORT, 'caregw: an outbound message is kept as queued'); END;
CREATE TRIGGER outbox_payload_fixed BEFORE UPDATE ON outbox_payload
  BEGIN SELECT RAISE(ABORT, 'caregw: an outbound message is kept as queued'); END;
CREATE TRIGGER outbox_payload_deleted AFTER DELETE ON outbox
  BEGIN DELETE FROM outbox_payload WHERE outbox_id = OLD.id; END;
)sql";

constexpr std::array<Migration, 7> kMigrations{{
    {1, "mpi", kMpiSchema},
    {2, "record-store", kRecordSchema},
    {3, "journal-outbox", kMessagingSchema},
    {4, "outbox-format", kOutboxFormat},
    {5, "journal-retention", kJournalRetention},
    {6, "record-generation", kRecordGeneration},
    {7, "outbox-payload", kOutboxPayload},
}};

}  // namespace

std::span<const Migration> store_migrations() { return kMigrations; }

std::filesystem::path database_path(const std::filesystem::path& data_dir) {
  return data_dir / "db" / "caregw.db";
}

namespace {

/** store_options: the caregw.db writers (MPI, record store, message store) share WAL syncs. */
OpenOptions store_options(OpenOptions options) {
  options.shared_wal_sync = true;
  return options;
}

}  // namespace

Result<Database> open_store_file(const std::filesystem::path& file, const OpenOptions& options) {
  return open_database_file(file, store_migrations(), store_options(options));
}

Result<Database> open_database_file(const std::filesystem::path& file,
                                    std::span<const Migration> migrations,
                                    const OpenOptions& options) {
  if (options.create && !options.read_only) {
    // Made here with 0600 before SQLite sees it; SQLite then creates -wal/-shm alike.
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return make_error(Errc::kUnavailable,
                        "store: cannot create the database file: " +
                            std::error_code(errno, std::generic_category()).message());
    }
    ::close(fd);
  }
  auto db = Database::open(file, options);
  if (!db) {
    return db.error();
  }
  if (!options.read_only) {
    if (auto r = migrate(*db, migrations); !r) {
      return r.error();
    }
  } else {
    // A read-only connection never migrates, but must not read a schema it does not know.
    auto v = schema_version(*db);
    if (!v) {
      return v.error();
    }
    if (*v != static_cast<int>(migrations.size())) {
      return make_error(Errc::kUnavailable, "store: database schema version " + std::to_string(*v) +
                                                " is not the one this build reads (" +
                                                std::to_string(migrations.size()) + ")");
    }
  }
  return db;
}

Result<Database> open_store_database(const std::filesystem::path& data_dir,
                                     const OpenOptions& options) {
  return open_database_in(data_dir, database_path(data_dir).filename().string(), store_migrations(),
                          store_options(options));
}

Result<Database> open_database_in(const std::filesystem::path& data_dir, std::string_view file_name,
                                  std::span<const Migration> migrations,
                                  const OpenOptions& options) {
  const auto file = data_dir / "db" / file_name;
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return make_error(Errc::kUnavailable,
                      "store: cannot create the database directory: " + ec.message());
  }
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) {
    return make_error(Errc::kUnavailable,
                      "store: cannot restrict the database directory: " + ec.message());
  }
  return open_database_file(file, migrations, options);
}

}  // namespace gw::store::sqlite
