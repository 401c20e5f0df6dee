// SqliteMessageStore: the journal's idempotent insert, the outbox's per-(recipient, patient)
// lines (one ready head per line; the next promoted when the head is delivered or dead-lettered),
// retries, dead letters and the mailbox, each write run on the group writer.
#include "gateway/store/sqlite/sqlite_message_store.hpp"

#include <algorithm>
#include <utility>

#include "gateway/store/sqlite/mpi_rows.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::store::sqlite {

namespace message_sql {
#define GW_JOURNAL_HEAD "SELECT id, sender_ods, adapter, sender_message_id, content_type, "
#define GW_JOURNAL_TAIL                                                              \
  ", sha256, received_at, status, error, ack, ack_content_type, finished_at, "       \
  "coalesce(body_bytes, length(CAST(body AS BLOB))), body_removed_at, reprocessed, " \
  "reprocessed_by, reprocessed_at FROM journal "
#define GW_JOURNAL_COLUMNS GW_JOURNAL_HEAD "body" GW_JOURNAL_TAIL
// The payload lives apart from the delivery state (migration 6), one row per message by its id.
#define GW_OUTBOX_COLUMNS                                                                      \
  "SELECT id, journal_id, recipient_ods, transport, patient_key, idempotency_key, kind, "      \
  "content_type, payload, state, attempts, queued_at, next_attempt_at, last_attempt_at, "      \
  "last_error, finished_at, discard_reason, discarded_by, replays, replayed_by, replayed_at, " \
  "format FROM outbox JOIN outbox_payload ON outbox_id = id "
const std::string_view kJournalInsert =
    "INSERT INTO journal (sender_ods, adapter, sender_message_id, content_type, body, sha256, "
    "received_at, status, ack, ack_content_type, finished_at, body_bytes) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
    "ON CONFLICT (sender_ods, sender_message_id) DO NOTHING";
const std::string_view kJournalBySenderId =
    GW_JOURNAL_COLUMNS "WHERE sender_ods = ?1 AND sender_message_id = ?2";
const std::string_view kJournalById = GW_JOURNAL_COLUMNS "WHERE id = ?1";
const std::string_view kJournalUnfinished =
    "SELECT id FROM journal WHERE status = 'received' ORDER BY id LIMIT ?1";
// A page without bodies; the status condition is added as a literal (journal_page_sql) so the
// partial indexes serve it.
const std::string_view kJournalPage = GW_JOURNAL_HEAD "''" GW_JOURNAL_TAIL "WHERE id > ?1 ";
const std::string_view kJournalRemoveBodies =
    "UPDATE journal SET body = '', body_removed_at = ?2, "
    "body_bytes = coalesce(body_bytes, length(CAST(body AS BLOB))) WHERE id IN "
    "(SELECT id FROM journal WHERE body_removed_at IS NULL AND status <> 'received' "
    "AND finished_at < ?1 LIMIT ?3)";
const std::string_view kLineLive =
    "SELECT 1 FROM outbox WHERE recipient_ods = ?1 AND patient_key = ?2 "
    "AND state IN ('waiting', 'ready') LIMIT 1";
// Queued behind its line's live message (waiting), or at the head of its line (ready): decided
// in the same statement, so queueing is one statement per table.
const std::string_view kOutboxInsert =
    "INSERT INTO outbox (journal_id, recipient_ods, transport, patient_key, idempotency_key, "
    "kind, content_type, state, queued_at, next_attempt_at, format) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "CASE WHEN ?4 <> '' AND EXISTS (SELECT 1 FROM outbox WHERE recipient_ods = ?2 "
    "AND patient_key = ?4 AND state IN ('waiting', 'ready')) THEN 'waiting' ELSE 'ready' END, "
    "?8, ?8, ?9)";
const std::string_view kPayloadInsert =
    "INSERT INTO outbox_payload (outbox_id, payload) VALUES (?1, ?2)";
const std::string_view kDue = GW_OUTBOX_COLUMNS
    "WHERE state = 'ready' AND transport <> 'mailbox' AND next_attempt_at <= ?1 "
    "ORDER BY next_attempt_at, id LIMIT ?2";
// The due ids alone, from the index: due() passes over those the caller already holds before
// it reads any row.
const std::string_view kDueIds =
    "SELECT id FROM outbox WHERE state = 'ready' AND transport <> 'mailbox' "
    "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id";
const std::string_view kNextDue =
    "SELECT min(next_attempt_at) FROM outbox WHERE state = 'ready' AND transport <> 'mailbox'";
const std::string_view kPromote =
    "UPDATE outbox SET state = 'ready' WHERE state = 'waiting' AND id = "
    "(SELECT id FROM outbox WHERE recipient_ods = ?1 AND patient_key = ?2 "
    "AND state IN ('waiting', 'ready') ORDER BY id LIMIT 1)";
const std::string_view kOutboxById = GW_OUTBOX_COLUMNS "WHERE id = ?1";
const std::string_view kOutboxByKeyAndRecipient =
    GW_OUTBOX_COLUMNS "WHERE idempotency_key = ?1 AND recipient_ods = ?2";
const std::string_view kFinishDelivered =
    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_attempt_at = ?2, "
    "finished_at = ?2 WHERE id = ?1 AND state = 'ready'";
const std::string_view kFinishDead =
    "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_attempt_at = ?2, "
    "last_error = ?3 WHERE id = ?1 AND state = 'ready'";
// After message ?1 left its line (delivered or dead): the line's next message becomes ready.
const std::string_view kPromoteAfter =
    "UPDATE outbox SET state = 'ready' WHERE state = 'waiting' AND id = "
    "(SELECT line.id FROM outbox AS done JOIN outbox AS line "
    "ON line.recipient_ods = done.recipient_ods AND line.patient_key = done.patient_key "
    "WHERE done.id = ?1 AND done.patient_key <> '' AND line.state IN ('waiting', 'ready') "
    "ORDER BY line.id LIMIT 1)";
const std::string_view kMailboxFetch = GW_OUTBOX_COLUMNS
    "WHERE recipient_ods = ?1 AND state IN ('waiting', 'ready') AND transport = 'mailbox' "
    "ORDER BY id LIMIT ?2";
const std::string_view kDeadByRecipient = GW_OUTBOX_COLUMNS
    "WHERE recipient_ods = ?1 AND state = 'dead' AND id > ?2 ORDER BY id LIMIT ?3";
const std::string_view kDeadAll =
    GW_OUTBOX_COLUMNS "WHERE state = 'dead' AND id > ?2 ORDER BY id LIMIT ?3";
const std::string_view kQueueDepths =
    "SELECT recipient_ods, count(*) FROM outbox WHERE state IN ('waiting', 'ready') "
    "GROUP BY recipient_ods";
const std::string_view kOldestQueued =
    "SELECT queued_at FROM outbox WHERE recipient_ods = ?1 AND state IN ('waiting', 'ready') "
    "ORDER BY id LIMIT 1";
const std::string_view kDeadCounts =
    "SELECT recipient_ods, count(*) FROM outbox WHERE state = 'dead' GROUP BY recipient_ods";
const std::string_view kPurge =
    "DELETE FROM outbox WHERE state IN ('delivered', 'discarded') AND finished_at < ?1";
/** journal_page_sql: kJournalPage with the filter's conditions (the status as a literal). */
std::string journal_page_sql(const JournalFilter& f) {
  std::string q(kJournalPage);
  if (f.status) {
    q.append("AND status = '").append(journal_status_code(*f.status)).append("' ");
  }
  if (f.sender) {
    q.append("AND sender_ods = ?2 ");
  }
  q.append("ORDER BY id LIMIT ?3");
  return q;
}

#undef GW_JOURNAL_COLUMNS
#undef GW_JOURNAL_HEAD
#undef GW_JOURNAL_TAIL
#undef GW_OUTBOX_COLUMNS
}  // namespace message_sql

namespace {

using detail::from_optional_us;
using detail::from_us;
using detail::to_us;
namespace sql = message_sql;

std::optional<JournalStatus> parse_journal_status(std::string_view s) {
  for (auto v : {JournalStatus::kReceived, JournalStatus::kProcessed, JournalStatus::kFailed}) {
    if (journal_status_code(v) == s) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<OutboxState> parse_outbox_state(std::string_view s) {
  for (auto v : {OutboxState::kWaiting, OutboxState::kReady, OutboxState::kDelivered,
                 OutboxState::kDead, OutboxState::kDiscarded}) {
    if (outbox_state_code(v) == s) {
      return v;
    }
  }
  return std::nullopt;
}

Result<JournalEntry> row_to_journal(const Statement& st) {
  GW_STORE_ASSIGN(auto sender, detail::stored_ods(st.column_text(1)));
  auto status = parse_journal_status(st.column_text(8));
  if (!status) {
    return make_error(Errc::kInternal, "message store: unknown journal status");
  }
  JournalEntry e{JournalId{st.column_int64(0)},
                 std::move(sender),
                 std::string(st.column_text(2)),
                 std::string(st.column_text(3)),
                 std::string(st.column_text(4)),
                 std::string(st.column_text(5)),
                 std::string(st.column_text(6)),
                 from_us(st.column_int64(7)),
                 *status,
                 std::string(st.column_text(9)),
                 std::nullopt,
                 from_optional_us(st.column_optional_int64(12))};
  e.body_bytes = static_cast<std::size_t>(st.column_int64(13));
  e.body_removed_at = from_optional_us(st.column_optional_int64(14));
  e.reprocessed = st.column_int64(15);
  e.reprocessed_by = std::string(st.column_text(16));
  e.reprocessed_at = from_optional_us(st.column_optional_int64(17));
  if (!st.is_null(10)) {
    e.ack = Acknowledgement{std::string(st.column_text(11)), std::string(st.column_text(10))};
  }
  return e;
}

Result<OutboxEntry> row_to_outbox(const Statement& st) {
  GW_STORE_ASSIGN(auto recipient, detail::stored_ods(st.column_text(2)));
  auto transport = parse_transport_kind(st.column_text(3));
  auto state = parse_outbox_state(st.column_text(9));
  if (!transport || !state) {
    return make_error(Errc::kInternal, "message store: unknown stored transport or state");
  }
  std::optional<JournalId> journal;
  if (auto j = st.column_optional_int64(1)) {
    journal = JournalId{*j};
  }
  OutboxEntry e{OutboxId{st.column_int64(0)}, journal, std::move(recipient)};
  e.transport = *transport;
  e.patient_key = st.column_text(4);
  e.idempotency_key = st.column_text(5);
  e.kind = st.column_text(6);
  e.content_type = st.column_text(7);
  e.payload = st.column_text(8);
  e.state = *state;
  e.attempts = st.column_int64(10);
  e.queued_at = from_us(st.column_int64(11));
  e.next_attempt_at = from_us(st.column_int64(12));
  e.last_attempt_at = from_optional_us(st.column_optional_int64(13));
  e.last_error = st.column_text(14);
  e.finished_at = from_optional_us(st.column_optional_int64(15));
  e.discard_reason = st.column_text(16);
  e.discarded_by = st.column_text(17);
  e.replays = st.column_int64(18);
  e.replayed_by = st.column_text(19);
  e.replayed_at = from_optional_us(st.column_optional_int64(20));
  e.format = st.column_text(21);
  return e;
}

template <class T, class Row>
Result<std::vector<T>> collect(Statement& st, Row row) {
  std::vector<T> out;
  for (;;) {
    GW_STORE_ASSIGN(bool more, st.step());
    if (!more) {
      return out;
    }
    GW_STORE_ASSIGN(auto v, row(st));
    out.push_back(std::move(v));
  }
}

Result<std::optional<JournalEntry>> q_journal_by_id(Database& db, JournalId id) {
  GW_STORE_ASSIGN(auto st, db.cached(sql::kJournalById));
  st->bind(1, id.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<JournalEntry>{};
  }
  GW_STORE_ASSIGN(auto e, row_to_journal(*st));
  return std::optional<JournalEntry>{std::move(e)};
}

Result<std::optional<OutboxEntry>> q_outbox_by_id(Database& db, OutboxId id) {
  GW_STORE_ASSIGN(auto st, db.cached(sql::kOutboxById));
  st->bind(1, id.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<OutboxEntry>{};
  }
  GW_STORE_ASSIGN(auto e, row_to_outbox(*st));
  return std::optional<OutboxEntry>{std::move(e)};
}

/**
 * q_journal: inserts the message (status received, or processed with `ack` when `processed`),
 * or finds the earlier one from the same sender with the same message id.
 */
Result<JournalOutcome> q_journal(Database& db, const InboundMessage& m, const std::string& sha,
                                 std::int64_t now_us, bool processed = false,
                                 const std::optional<Acknowledgement>& ack = std::nullopt) {
  const auto status = processed ? JournalStatus::kProcessed : JournalStatus::kReceived;
  {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kJournalInsert));
    st->bind(1, m.sender.str())
        .bind(2, m.adapter)
        .bind(3, m.sender_message_id)
        .bind(4, m.content_type)
        .bind_view(5, m.body)
        .bind(6, sha)
        .bind(7, now_us)
        .bind(8, journal_status_code(status));
    if (ack) {
      st->bind(9, ack->body).bind(10, ack->content_type);
    } else {
      st->bind_null(9).bind_null(10);
    }
    if (processed) {
      st->bind(11, now_us);
    } else {
      st->bind_null(11);
    }
    st->bind(12, static_cast<std::int64_t>(m.body.size()));
    GW_STORE_TRY(st->run());
  }
  if (db.changes() > 0) {
    // New: the entry is what was written (not read back: the body may be megabytes).
    return JournalOutcome{
        JournalEntry{JournalId{db.last_insert_rowid()},
                     m.sender,
                     m.adapter,
                     m.sender_message_id,
                     m.content_type,
                     m.body,
                     sha,
                     from_us(now_us),
                     status,
                     {},
                     ack,
                     processed ? std::optional<TimePoint>(from_us(now_us)) : std::nullopt,
                     m.body.size()},
        false};
  }
  GW_STORE_ASSIGN(auto st, db.cached(sql::kJournalBySenderId));
  st->bind(1, m.sender.str()).bind(2, m.sender_message_id);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return make_error(Errc::kInternal, "message store: journal row missing after insert");
  }
  GW_STORE_ASSIGN(auto e, row_to_journal(*st));
  return JournalOutcome{std::move(e), true};
}

Result<bool> q_line_live(Database& db, const std::string& recipient, const std::string& key) {
  GW_STORE_ASSIGN(auto st, db.cached(sql::kLineLive));
  st->bind(1, recipient).bind(2, key);
  return st->step();
}

/**
 * q_enqueue: one outbound message under `key`: its row (waiting behind its line's live message,
 * or ready at the head) and its payload.
 */
Result<OutboxId> q_enqueue(Database& db, std::optional<JournalId> journal, const OutboundMessage& m,
                           const std::string& key, std::int64_t now_us) {
  {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kOutboxInsert));
    if (journal) {
      st->bind(1, journal->value);
    } else {
      st->bind_null(1);
    }
    st->bind(2, m.recipient.str())
        .bind(3, transport_kind_code(m.transport))
        .bind(4, m.patient_key)
        .bind(5, key)
        .bind(6, m.kind)
        .bind(7, m.content_type)
        .bind(8, now_us)
        .bind(9, m.format);
    GW_STORE_TRY(st->run());
  }
  const OutboxId id{db.last_insert_rowid()};
  GW_STORE_ASSIGN(auto st, db.cached(sql::kPayloadInsert));
  st->bind(1, id.value).bind_view(2, m.payload);
  GW_STORE_TRY(st->run());
  return id;
}

/** idempotency_keys: each message's own key, or a new one: made by the caller, off the writer
 * thread (the writer runs a function again if its batch is redone: the keys stay the same). */
Result<std::vector<std::string>> idempotency_keys(const std::vector<OutboundMessage>& out) {
  std::vector<std::string> keys;
  keys.reserve(out.size());
  for (const auto& m : out) {
    if (!m.idempotency_key.empty()) {
      keys.push_back(m.idempotency_key);
      continue;
    }
    GW_STORE_ASSIGN(auto key, new_idempotency_key());
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::vector<OutboxId>> q_enqueue_all(Database& db, std::optional<JournalId> journal,
                                            const std::vector<OutboundMessage>& out,
                                            const std::vector<std::string>& keys,
                                            std::int64_t now_us) {
  std::vector<OutboxId> ids;
  ids.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    GW_STORE_ASSIGN(auto id, q_enqueue(db, journal, out[i], keys[i], now_us));
    ids.push_back(id);
  }
  return ids;
}

/** q_finish_journal: received -> processed/failed; kNotFound / kConflict otherwise. */
Result<void> q_finish_journal(Database& db, JournalId id, JournalStatus status,
                              const std::string& error, const std::optional<Acknowledgement>& ack,
                              std::int64_t now_us) {
  GW_STORE_ASSIGN(auto st, db.cached("UPDATE journal SET status = ?2, error = ?3, ack = ?4, "
                                     "ack_content_type = ?5, finished_at = ?6 "
                                     "WHERE id = ?1 AND status = 'received'"));
  st->bind(1, id.value).bind(2, journal_status_code(status)).bind_text_or_null(3, error);
  if (ack) {
    st->bind(4, ack->body).bind(5, ack->content_type);
  } else {
    st->bind_null(4).bind_null(5);
  }
  st->bind(6, now_us);
  GW_STORE_TRY(st->run());
  if (db.changes() > 0) {
    return {};
  }
  GW_STORE_ASSIGN(auto e, q_journal_by_id(db, id));
  if (!e) {
    return make_error(Errc::kNotFound, "message store: no such journal entry");
  }
  return make_error(Errc::kConflict, "message store: the journal entry is already " +
                                         std::string(journal_status_code(e->status)));
}

Result<void> q_promote(Database& db, const std::string& recipient, const std::string& key) {
  if (key.empty()) {
    return {};
  }
  GW_STORE_ASSIGN(auto st, db.cached(sql::kPromote));
  st->bind(1, recipient).bind(2, key);
  return st->run();
}

/** LineRow: the few columns a state change needs. */
struct LineRow {
  std::string recipient;
  std::string key;
  std::string state;
  std::string transport;
};

Result<std::optional<LineRow>> q_line_row(Database& db, OutboxId id) {
  GW_STORE_ASSIGN(auto st, db.cached("SELECT recipient_ods, patient_key, state, transport "
                                     "FROM outbox WHERE id = ?1"));
  st->bind(1, id.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<LineRow>{};
  }
  return std::optional<LineRow>{
      LineRow{std::string(st->column_text(0)), std::string(st->column_text(1)),
              std::string(st->column_text(2)), std::string(st->column_text(3))}};
}

std::string clip_error(const std::string& e) {
  return e.size() <= kMaxErrorBytes ? e : e.substr(0, kMaxErrorBytes);
}

Result<void> q_outcome(Database& db, const DeliveryOutcome& o) {
  const auto at = to_us(o.attempted_at);
  if (o.delivered || !o.retry_at) {
    // Finished, delivered or dead, and its line moves on. A row no longer ready (recorded
    // already, replayed or discarded meanwhile) is left alone.
    {
      GW_STORE_ASSIGN(auto st, db.cached(o.delivered ? sql::kFinishDelivered : sql::kFinishDead));
      st->bind(1, o.id.value).bind(2, at);
      if (!o.delivered) {
        st->bind(3, clip_error(o.error));
      }
      GW_STORE_TRY(st->run());
    }
    if (db.changes() == 0) {
      return {};
    }
    GW_STORE_ASSIGN(auto st, db.cached(sql::kPromoteAfter));
    st->bind(1, o.id.value);
    return st->run();
  }
  if (o.deferred) {
    GW_STORE_ASSIGN(auto st, db.cached("UPDATE outbox SET next_attempt_at = ?2 "
                                       "WHERE id = ?1 AND state = 'ready'"));
    st->bind(1, o.id.value).bind(2, to_us(*o.retry_at));
    return st->run();
  }
  GW_STORE_ASSIGN(
      auto st,
      db.cached("UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, "
                "last_error = ?3, next_attempt_at = ?4 WHERE id = ?1 AND state = 'ready'"));
  st->bind(1, o.id.value).bind(2, at).bind(3, clip_error(o.error)).bind(4, to_us(*o.retry_at));
  return st->run();
}

Result<std::size_t> q_mailbox_ack(Database& db, const OdsCode& recipient,
                                  const std::vector<OutboxId>& ids, std::int64_t now_us) {
  std::size_t n = 0;
  for (auto id : ids) {
    GW_STORE_ASSIGN(auto line, q_line_row(db, id));
    if (!line || line->recipient != recipient.str() || line->transport != "mailbox" ||
        (line->state != "ready" && line->state != "waiting")) {
      continue;
    }
    GW_STORE_ASSIGN(auto st,
                    db.cached("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, "
                              "last_attempt_at = ?2, finished_at = ?2 WHERE id = ?1"));
    st->bind(1, id.value).bind(2, now_us);
    GW_STORE_TRY(st->run());
    if (line->state == "ready") {
      GW_STORE_TRY(q_promote(db, line->recipient, line->key));
    }
    ++n;
  }
  return n;
}

Result<std::size_t> q_replay(Database& db, const std::vector<OutboxId>& ids,
                             const std::string& actor, std::int64_t now_us) {
  std::size_t n = 0;
  for (auto id : ids) {
    GW_STORE_ASSIGN(auto line, q_line_row(db, id));
    if (!line || line->state != "dead") {
      continue;
    }
    bool waiting = false;
    if (!line->key.empty()) {
      GW_STORE_ASSIGN(waiting, q_line_live(db, line->recipient, line->key));
    }
    GW_STORE_ASSIGN(auto st,
                    db.cached("UPDATE outbox SET state = ?2, attempts = 0, next_attempt_at = ?3, "
                              "replays = replays + 1, replayed_by = ?4, replayed_at = ?3 "
                              "WHERE id = ?1"));
    st->bind(1, id.value).bind(2, waiting ? "waiting" : "ready").bind(3, now_us).bind(4, actor);
    GW_STORE_TRY(st->run());
    ++n;
  }
  return n;
}

Result<std::size_t> q_discard(Database& db, const std::vector<OutboxId>& ids,
                              const std::string& reason, const std::string& actor,
                              std::int64_t now_us) {
  std::size_t n = 0;
  for (auto id : ids) {
    GW_STORE_ASSIGN(auto st,
                    db.cached("UPDATE outbox SET state = 'discarded', discard_reason = ?2, "
                              "discarded_by = ?3, finished_at = ?4 "
                              "WHERE id = ?1 AND state = 'dead'"));
    st->bind(1, id.value).bind(2, reason).bind(3, actor).bind(4, now_us);
    GW_STORE_TRY(st->run());
    n += static_cast<std::size_t>(db.changes());
  }
  return n;
}

Result<std::optional<OutboxEntry>> q_record_answer(Database& db, const std::string& key,
                                                   const OdsCode& from, AnswerOutcome outcome,
                                                   const std::string& detail, std::int64_t now_us) {
  GW_STORE_ASSIGN(auto find, db.cached(sql::kOutboxByKeyAndRecipient));
  find->bind(1, key).bind(2, from.str());
  GW_STORE_ASSIGN(bool row, find->step());
  if (!row) {
    return std::optional<OutboxEntry>{};
  }
  GW_STORE_ASSIGN(auto before, row_to_outbox(*find));
  find->reset();
  if (outcome == AnswerOutcome::kAccepted || before.state != OutboxState::kDelivered) {
    return std::optional<OutboxEntry>{std::move(before)};
  }
  if (outcome == AnswerOutcome::kRefused) {
    GW_STORE_ASSIGN(auto st, db.cached("UPDATE outbox SET state = 'dead', last_error = ?2, "
                                       "finished_at = NULL WHERE id = ?1"));
    st->bind(1, before.id.value).bind(2, detail);
    GW_STORE_TRY(st->run());
    return std::optional<OutboxEntry>{std::move(before)};
  }
  // Again, in its line: behind a line's live head, or at its head now.
  bool waiting = false;
  if (!before.patient_key.empty()) {
    GW_STORE_ASSIGN(waiting, q_line_live(db, before.recipient.str(), before.patient_key));
  }
  GW_STORE_ASSIGN(auto st, db.cached("UPDATE outbox SET state = ?2, next_attempt_at = ?3, "
                                     "last_error = ?4, finished_at = NULL WHERE id = ?1"));
  st->bind(1, before.id.value)
      .bind(2, waiting ? "waiting" : "ready")
      .bind(3, now_us)
      .bind(4, detail);
  GW_STORE_TRY(st->run());
  return std::optional<OutboxEntry>{std::move(before)};
}

Result<std::vector<RecipientQueue>> q_queues(Database& db) {
  std::vector<RecipientQueue> out;
  auto find = [&](std::string_view ods) -> RecipientQueue* {
    for (auto& q : out) {
      if (q.recipient.str() == ods) {
        return &q;
      }
    }
    return nullptr;
  };
  {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kQueueDepths));
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      GW_STORE_ASSIGN(auto ods, detail::stored_ods(st->column_text(0)));
      out.push_back(RecipientQueue{std::move(ods), st->column_int64(1), std::nullopt, 0});
    }
  }
  {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kDeadCounts));
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      auto* q = find(st->column_text(0));
      if (q == nullptr) {
        GW_STORE_ASSIGN(auto ods, detail::stored_ods(st->column_text(0)));
        out.push_back(RecipientQueue{std::move(ods), 0, std::nullopt, 0});
        q = &out.back();
      }
      q->dead = st->column_int64(1);
    }
  }
  for (auto& q : out) {
    if (q.queued == 0) {
      continue;
    }
    GW_STORE_ASSIGN(auto st, db.cached(sql::kOldestQueued));
    st->bind(1, q.recipient.str());
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      q.oldest_queued_at = from_us(st->column_int64(0));
    }
  }
  return out;
}

Result<void> check_page(std::size_t limit) {
  if (limit == 0 || limit > kMaxOutboxPage) {
    return make_error(Errc::kBadRequest, "message store: page size must be 1-1000");
  }
  return {};
}

}  // namespace

SqliteMessageStore::SqliteMessageStore(Database&& writer, Database&& reader, const Clock& clock,
                                       const SqliteMessageStoreOptions& options)
    : writer_(std::make_unique<GroupWriter>(std::move(writer), options.writer)),
      reader_(std::move(reader)),
      clock_(clock) {}

SqliteMessageStore::~SqliteMessageStore() = default;

Result<std::unique_ptr<SqliteMessageStore>> SqliteMessageStore::open(
    const std::filesystem::path& file, const Clock& clock,
    const SqliteMessageStoreOptions& options) {
  GW_STORE_ASSIGN(auto writer, open_store_file(file, options.open));
  OpenOptions ro = options.open;
  ro.read_only = true;
  ro.create = false;
  GW_STORE_ASSIGN(auto reader, open_store_file(file, ro));
  return std::unique_ptr<SqliteMessageStore>(
      new SqliteMessageStore(std::move(writer), std::move(reader), clock, options));
}

Result<std::unique_ptr<SqliteMessageStore>> SqliteMessageStore::open_in_data_dir(
    const std::filesystem::path& data_dir, const Clock& clock,
    const SqliteMessageStoreOptions& options) {
  GW_STORE_TRY(open_store_database(data_dir, options.open));
  return open(database_path(data_dir), clock, options);
}

template <class F>
auto SqliteMessageStore::read(F&& f) -> decltype(f(std::declval<Database&>())) {
  std::lock_guard lock(reader_mutex_);
  return f(reader_);
}

Result<JournalOutcome> SqliteMessageStore::journal(const InboundMessage& m) {
  GW_STORE_TRY(check_inbound(m));
  const auto sha = sha256_hex(m.body);  // hashed here, off the writer thread
  const auto now = to_us(clock_.now());
  return writer_->run<JournalOutcome>([&](Database& db) { return q_journal(db, m, sha, now); });
}

Result<AcceptOutcome> SqliteMessageStore::accept(const InboundMessage& m,
                                                 const std::optional<Acknowledgement>& ack,
                                                 const std::vector<OutboundMessage>& outbound) {
  GW_STORE_TRY(check_inbound(m));
  for (const auto& o : outbound) {
    GW_STORE_TRY(check_outbound(o));
  }
  const auto sha = sha256_hex(m.body);
  GW_STORE_ASSIGN(const auto keys, idempotency_keys(outbound));
  const auto now = to_us(clock_.now());
  return writer_->run<AcceptOutcome>([&](Database& db) -> Result<AcceptOutcome> {
    GW_STORE_ASSIGN(auto j, q_journal(db, m, sha, now, /*processed=*/true, ack));
    if (j.duplicate) {
      return AcceptOutcome{std::move(j), {}};
    }
    GW_STORE_ASSIGN(auto ids, q_enqueue_all(db, j.entry.id, outbound, keys, now));
    return AcceptOutcome{std::move(j), std::move(ids)};
  });
}

Result<std::vector<OutboxId>> SqliteMessageStore::complete(
    JournalId id, const std::optional<Acknowledgement>& ack,
    const std::vector<OutboundMessage>& outbound) {
  for (const auto& m : outbound) {
    GW_STORE_TRY(check_outbound(m));
  }
  GW_STORE_ASSIGN(const auto keys, idempotency_keys(outbound));
  const auto now = to_us(clock_.now());
  return writer_->run<std::vector<OutboxId>>([&](Database& db) -> Result<std::vector<OutboxId>> {
    GW_STORE_TRY(q_finish_journal(db, id, JournalStatus::kProcessed, {}, ack, now));
    return q_enqueue_all(db, id, outbound, keys, now);
  });
}

Result<void> SqliteMessageStore::fail(JournalId id, const std::string& error,
                                      const std::optional<Acknowledgement>& ack) {
  const auto now = to_us(clock_.now());
  const auto detail = clip_error(error.empty() ? std::string("failed") : error);
  return writer_->run_void([&](Database& db) {
    return q_finish_journal(db, id, JournalStatus::kFailed, detail, ack, now);
  });
}

Result<std::optional<JournalEntry>> SqliteMessageStore::journal_entry(JournalId id) {
  return read([&](Database& db) { return q_journal_by_id(db, id); });
}

Result<std::vector<JournalId>> SqliteMessageStore::unfinished(std::size_t limit) {
  GW_STORE_TRY(check_page(limit));
  return read([&](Database& db) -> Result<std::vector<JournalId>> {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kJournalUnfinished));
    st->bind(1, static_cast<std::int64_t>(limit));
    return collect<JournalId>(
        *st, [](Statement& s) -> Result<JournalId> { return JournalId{s.column_int64(0)}; });
  });
}

namespace {

/** q_reopen: failed -> received, with the reprocess recorded; the entry as reopened. */
Result<JournalEntry> q_reopen(Database& db, JournalId id, const std::string& actor,
                              std::int64_t now_us) {
  GW_STORE_ASSIGN(auto before, q_journal_by_id(db, id));
  if (!before) {
    return make_error(Errc::kNotFound,
                      "message store: no journal entry " + std::to_string(id.value));
  }
  if (before->body_removed_at) {
    return make_error(Errc::kConflict, "message store: journal entry " + std::to_string(id.value) +
                                           " can no longer be processed: its body was removed "
                                           "by the journal retention");
  }
  if (before->status != JournalStatus::kFailed) {
    return make_error(Errc::kConflict, "message store: journal entry " + std::to_string(id.value) +
                                           " is " +
                                           std::string(journal_status_code(before->status)) +
                                           "; only a failed message is processed again");
  }
  GW_STORE_ASSIGN(auto st, db.cached("UPDATE journal SET status = 'received', error = NULL, "
                                     "ack = NULL, ack_content_type = NULL, finished_at = NULL, "
                                     "reprocessed = reprocessed + 1, reprocessed_by = ?2, "
                                     "reprocessed_at = ?3 WHERE id = ?1 AND status = 'failed'"));
  st->bind(1, id.value).bind(2, actor).bind(3, now_us);
  GW_STORE_TRY(st->run());
  GW_STORE_ASSIGN(auto after, q_journal_by_id(db, id));
  if (!after) {
    return make_error(Errc::kInternal, "message store: journal row missing after reopen");
  }
  return std::move(*after);
}

}  // namespace

Result<std::vector<JournalEntry>> SqliteMessageStore::journal_entries(const JournalFilter& filter) {
  GW_STORE_TRY(check_page(filter.limit));
  const auto q = sql::journal_page_sql(filter);
  return read([&](Database& db) -> Result<std::vector<JournalEntry>> {
    GW_STORE_ASSIGN(auto st, db.cached(q));
    st->bind(1, filter.after.value).bind(3, static_cast<std::int64_t>(filter.limit));
    if (filter.sender) {
      st->bind(2, filter.sender->str());
    }
    return collect<JournalEntry>(*st, row_to_journal);
  });
}

Result<JournalEntry> SqliteMessageStore::reopen(JournalId id, const std::string& actor) {
  if (actor.empty() || actor.size() > kMaxActorBytes) {
    return make_error(Errc::kBadRequest, "message store: reopen takes an actor of 1-128 bytes");
  }
  const auto now = to_us(clock_.now());
  return writer_->run<JournalEntry>([&](Database& db) { return q_reopen(db, id, actor, now); });
}

Result<std::size_t> SqliteMessageStore::remove_bodies(TimePoint before) {
  constexpr std::int64_t kBatch = 500;  // rows per write: ingest waits behind at most one batch
  const auto cutoff = to_us(before);
  std::size_t removed = 0;
  for (;;) {
    const auto now = to_us(clock_.now());
    auto n = writer_->run<std::size_t>([&](Database& db) -> Result<std::size_t> {
      GW_STORE_ASSIGN(auto st, db.cached(sql::kJournalRemoveBodies));
      st->bind(1, cutoff).bind(2, now).bind(3, kBatch);
      GW_STORE_TRY(st->run());
      return static_cast<std::size_t>(db.changes());
    });
    if (!n) {
      return n.error();
    }
    removed += *n;
    if (*n < static_cast<std::size_t>(kBatch)) {
      return removed;
    }
  }
}

Result<std::vector<OutboxId>> SqliteMessageStore::enqueue(
    const std::vector<OutboundMessage>& outbound) {
  for (const auto& m : outbound) {
    GW_STORE_TRY(check_outbound(m));
  }
  GW_STORE_ASSIGN(const auto keys, idempotency_keys(outbound));
  const auto now = to_us(clock_.now());
  return writer_->run<std::vector<OutboxId>>(
      [&](Database& db) { return q_enqueue_all(db, std::nullopt, outbound, keys, now); });
}

Result<std::vector<OutboxEntry>> SqliteMessageStore::due(TimePoint now, std::size_t limit,
                                                         const DueSkip& skip) {
  GW_STORE_TRY(check_page(limit));
  return read([&](Database& db) -> Result<std::vector<OutboxEntry>> {
    if (!skip) {
      GW_STORE_ASSIGN(auto st, db.cached(sql::kDue));
      st->bind(1, to_us(now)).bind(2, static_cast<std::int64_t>(limit));
      return collect<OutboxEntry>(*st, row_to_outbox);
    }
    // The ids come from the index alone; a row is read only for an id not skipped. The ids
    // statement stays open while the rows are read, so both see one snapshot.
    GW_STORE_ASSIGN(auto ids, db.cached(sql::kDueIds));
    ids->bind(1, to_us(now));
    std::vector<OutboxEntry> out;
    while (out.size() < limit) {
      GW_STORE_ASSIGN(bool row, ids->step());
      if (!row) {
        break;
      }
      const OutboxId id{ids->column_int64(0)};
      if (skip(id)) {
        continue;
      }
      GW_STORE_ASSIGN(auto e, q_outbox_by_id(db, id));
      if (e) {
        out.push_back(std::move(*e));
      }
    }
    return out;
  });
}

Result<std::optional<TimePoint>> SqliteMessageStore::next_due() {
  return read([&](Database& db) -> Result<std::optional<TimePoint>> {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kNextDue));
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return std::optional<TimePoint>{};
    }
    return from_optional_us(st->column_optional_int64(0));
  });
}

Result<void> SqliteMessageStore::record_outcomes(const std::vector<DeliveryOutcome>& outcomes) {
  if (outcomes.empty()) {
    return {};
  }
  return writer_->run_void([&](Database& db) -> Result<void> {
    for (const auto& o : outcomes) {
      GW_STORE_TRY(q_outcome(db, o));
    }
    return {};
  });
}

Result<std::vector<OutboxEntry>> SqliteMessageStore::mailbox_fetch(const OdsCode& recipient,
                                                                   std::size_t limit) {
  GW_STORE_TRY(check_page(limit));
  return read([&](Database& db) -> Result<std::vector<OutboxEntry>> {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kMailboxFetch));
    st->bind(1, recipient.str()).bind(2, static_cast<std::int64_t>(limit));
    return collect<OutboxEntry>(*st, row_to_outbox);
  });
}

Result<std::size_t> SqliteMessageStore::mailbox_ack(const OdsCode& recipient,
                                                    const std::vector<OutboxId>& ids) {
  if (ids.size() > kMaxOutboxPage) {
    return make_error(Errc::kBadRequest, "message store: at most 1000 ids per call");
  }
  const auto now = to_us(clock_.now());
  return writer_->run<std::size_t>(
      [&](Database& db) { return q_mailbox_ack(db, recipient, ids, now); });
}

Result<std::vector<OutboxEntry>> SqliteMessageStore::dead_letters(const DeadLetterFilter& filter) {
  GW_STORE_TRY(check_page(filter.limit));
  return read([&](Database& db) -> Result<std::vector<OutboxEntry>> {
    GW_STORE_ASSIGN(auto st, db.cached(filter.recipient ? sql::kDeadByRecipient : sql::kDeadAll));
    if (filter.recipient) {
      st->bind(1, filter.recipient->str());
    }
    st->bind(2, filter.after.value).bind(3, static_cast<std::int64_t>(filter.limit));
    return collect<OutboxEntry>(*st, row_to_outbox);
  });
}

Result<std::optional<OutboxEntry>> SqliteMessageStore::outbox_entry(OutboxId id) {
  return read([&](Database& db) { return q_outbox_by_id(db, id); });
}

Result<std::size_t> SqliteMessageStore::replay(const std::vector<OutboxId>& ids,
                                               const std::string& actor) {
  if (ids.size() > kMaxOutboxPage || actor.empty() || actor.size() > kMaxActorBytes) {
    return make_error(Errc::kBadRequest,
                      "message store: replay takes 1-1000 ids and an actor of 1-128 bytes");
  }
  const auto now = to_us(clock_.now());
  return writer_->run<std::size_t>([&](Database& db) { return q_replay(db, ids, actor, now); });
}

Result<std::size_t> SqliteMessageStore::discard(const std::vector<OutboxId>& ids,
                                                const std::string& reason,
                                                const std::string& actor) {
  if (ids.size() > kMaxOutboxPage || actor.empty() || actor.size() > kMaxActorBytes ||
      reason.empty() || reason.size() > kMaxNoteBytes) {
    return make_error(Errc::kBadRequest,
                      "message store: discard takes 1-1000 ids, a reason of 1-4096 bytes and an "
                      "actor of 1-128 bytes");
  }
  const auto now = to_us(clock_.now());
  return writer_->run<std::size_t>(
      [&](Database& db) { return q_discard(db, ids, reason, actor, now); });
}

Result<std::vector<RecipientQueue>> SqliteMessageStore::queues() {
  return read([&](Database& db) { return q_queues(db); });
}

Result<std::optional<OutboxEntry>> SqliteMessageStore::record_answer(const std::string& key,
                                                                     const OdsCode& from,
                                                                     AnswerOutcome outcome,
                                                                     const std::string& detail) {
  if (key.empty() || key.size() > kMaxActorBytes || detail.size() > kMaxErrorBytes) {
    return make_error(Errc::kBadRequest,
                      "message store: an answer names a key of 1-128 bytes, with a short detail");
  }
  const auto now = to_us(clock_.now());
  return writer_->run<std::optional<OutboxEntry>>(
      [&](Database& db) { return q_record_answer(db, key, from, outcome, detail, now); });
}

Result<std::size_t> SqliteMessageStore::purge_finished(TimePoint before) {
  const auto cutoff = to_us(before);
  return writer_->run<std::size_t>([&](Database& db) -> Result<std::size_t> {
    GW_STORE_ASSIGN(auto st, db.cached(sql::kPurge));
    st->bind(1, cutoff);
    GW_STORE_TRY(st->run());
    return static_cast<std::size_t>(db.changes());
  });
}

}  // namespace gw::store::sqlite
