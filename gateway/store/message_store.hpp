// The message store's interface: the journal (every inbound message kept as received, with its
// acknowledgement, so a repeat is answered as before and never processed twice) and the durable
// outbox (one row per message per recipient: per-patient ordering, retries, dead letters, the
// pull mailbox). The SQLite implementation is store/sqlite/sqlite_message_store.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::store {

using JournalId = RowId<struct JournalTag>;
using OutboxId = RowId<struct OutboxTag>;

inline constexpr std::size_t kMaxMessageBytes = std::size_t{64} * 1024 * 1024;
inline constexpr std::size_t kMaxOutboxPage = 1000;
inline constexpr std::size_t kMaxErrorBytes = 1024;

enum class JournalStatus : std::uint8_t { kReceived, kProcessed, kFailed };
[[nodiscard]] std::string_view journal_status_code(JournalStatus s);

/** InboundMessage: a message as a sender pushed it. */
struct InboundMessage {
  OdsCode sender;         // from the client certificate
  std::string adapter{};  // "acute", "emis", ...
  std::string
      sender_message_id{};  // HL7 MSH-10, FHIR Bundle.id / MessageHeader.id, ITK tracking id
  std::string content_type{};
  std::string body{};  // bytes as received
};

/** Acknowledgement: what the sender was (or will be) answered: replayed on a repeat. */
struct Acknowledgement {
  std::string content_type{};
  std::string body{};
};

/** JournalEntry: one journalled message. */
struct JournalEntry {
  JournalId id;
  OdsCode sender;
  std::string adapter{};
  std::string sender_message_id{};
  std::string content_type{};
  std::string body{};
  std::string sha256{};  // lower-case hex of body
  TimePoint received_at{};
  JournalStatus status = JournalStatus::kReceived;
  std::string error{};  // operator-safe detail when failed
  std::optional<Acknowledgement> ack{};
  std::optional<TimePoint> finished_at{};
  std::size_t body_bytes = 0;  // the size as received (kept when the bytes are removed)
  /** body_removed_at: the journal retention removed the bytes then (body is empty; the SHA-256
   * and the acknowledgement stay, so a repeat is still answered as before). */
  std::optional<TimePoint> body_removed_at{};
  std::int64_t reprocessed = 0;  // times an operator sent it through again (reopen())
  std::string reprocessed_by{};
  std::optional<TimePoint> reprocessed_at{};
};

/** JournalFilter: one page of the journal, by id (newest last); bodies are not read. */
struct JournalFilter {
  std::optional<JournalStatus> status{};
  std::optional<OdsCode> sender{};
  JournalId after{0};
  std::size_t limit = 100;  // 1..kMaxOutboxPage
};

/** JournalOutcome: the entry, and whether it was already there (a repeat: do not process). */
struct JournalOutcome {
  JournalEntry entry;
  bool duplicate = false;
};

enum class TransportKind : std::uint8_t { kHttps, kMllp, kMailbox };
[[nodiscard]] std::string_view transport_kind_code(TransportKind t);
[[nodiscard]] std::optional<TransportKind> parse_transport_kind(std::string_view s);

/** OutboundMessage: one rendered message for one recipient. */
struct OutboundMessage {
  OdsCode recipient;
  TransportKind transport = TransportKind::kHttps;
  /** patient_key: the ordering line (the NHS number, or another stable patient id); messages
   * with the same recipient and key are delivered in the order they were queued. Empty: none. */
  std::string patient_key{};
  std::string kind{};  // the event or message kind, e.g. "discharge-summary" (for operators)
  std::string content_type{};
  std::string payload{};
  /** format: the subscription format it was rendered in ("gp-connect-send-document", ...), so a
   * recipient's answer can be read by the renderer that made the message. */
  std::string format{};
  /** idempotency_key: empty: one is made at queueing. Set when the payload already names its
   * own id (an ITK3 MessageHeader.id) so the recipient's answer can be matched to the row. */
  std::string idempotency_key{};
};

/** AnswerOutcome: what a recipient's later answer to a delivered message says about it. */
enum class AnswerOutcome : std::uint8_t { kAccepted, kRetry, kRefused };

/** AcceptOutcome: the journal outcome and, for a new message, the ids queued with it. */
struct AcceptOutcome {
  JournalOutcome journal;
  std::vector<OutboxId> queued{};
};

/**
 * OutboxState: waiting (behind an earlier message for the same recipient and patient), ready
 * (the head of its line: due at next_attempt_at), delivered, dead (dead-letter queue), discarded
 * (an operator gave up on a dead letter).
 */
enum class OutboxState : std::uint8_t { kWaiting, kReady, kDelivered, kDead, kDiscarded };
[[nodiscard]] std::string_view outbox_state_code(OutboxState s);

/** OutboxEntry: one outbound message and its delivery history. */
struct OutboxEntry {
  OutboxId id;
  std::optional<JournalId> journal{};
  OdsCode recipient;
  TransportKind transport = TransportKind::kHttps;
  std::string patient_key{};
  std::string idempotency_key{};  // a UUID made at queueing; the same on every attempt and replay
  std::string kind{};
  std::string content_type{};
  std::string payload{};
  OutboxState state = OutboxState::kReady;
  std::int64_t attempts = 0;
  TimePoint queued_at{};
  TimePoint next_attempt_at{};
  std::optional<TimePoint> last_attempt_at{};
  std::string last_error{};
  std::optional<TimePoint> finished_at{};
  std::string discard_reason{};
  std::string discarded_by{};
  std::int64_t replays = 0;
  std::string replayed_by{};
  std::optional<TimePoint> replayed_at{};  // age limits count from here after a replay
  std::string format{};                    // as OutboundMessage::format ("" before it was kept)
};

/** DeliveryOutcome: what one attempt came to. retry_at unset on failure: dead-letter it. */
struct DeliveryOutcome {
  OutboxId id;
  bool delivered = false;
  std::string error{};                  // operator-safe, when not delivered
  std::optional<TimePoint> retry_at{};  // when to try again (failure only)
  TimePoint attempted_at{};
  /** deferred: not sent at all (its recipient just failed): only retry_at is applied; the
   * attempt count, last error and last attempt time are left as they were. */
  bool deferred = false;
};

/** DeadLetterFilter: one page of the dead-letter queue, by id. */
struct DeadLetterFilter {
  std::optional<OdsCode> recipient{};
  OutboxId after{0};
  std::size_t limit = 100;  // 1..kMaxOutboxPage
};

/** RecipientQueue: one recipient's queue, for metrics and operators. */
struct RecipientQueue {
  OdsCode recipient;
  std::int64_t queued = 0;  // waiting + ready
  std::optional<TimePoint> oldest_queued_at{};
  std::int64_t dead = 0;
};

/**
 * MessageStore: the journal and the outbox. Every write is durable when the call returns
 * (committed with the WAL synced: synchronous=FULL), so a caller may acknowledge a sender, or
 * count a delivery, as soon as a write returns. Writes from many threads are committed together
 * (group commit); when the writer's queue is full a write fails at once with kUnavailable
 * (answer 503 with Retry-After, or a temporary-failure ack) rather than queueing without bound.
 *
 * Thread safety: every call is thread-safe. Calls block on disk: keep them off io_context
 * threads. Errors: kBadRequest for input over the limits; kNotFound for an unknown id;
 * kConflict for a state change the row is not in a state for; kUnavailable: retry.
 */
class MessageStore {
public:
  virtual ~MessageStore() = default;

  // --- journal ---------------------------------------------------------------------------

  /**
   * journal: keeps the message as received (bytes, SHA-256, sender, adapter, time; status
   * received). If this sender already sent this sender_message_id, nothing is written and the
   * earlier entry (with its recorded acknowledgement, if any) comes back with duplicate = true:
   * answer with that acknowledgement and do not process it again.
   * Returns only once the row is durably committed: the "journal then ack" hook.
   */
  [[nodiscard]] virtual Result<JournalOutcome> journal(const InboundMessage& m) = 0;

  /**
   * complete: in one durable transaction, marks the entry processed, records the sender's
   * acknowledgement and queues `outbound` (each gets its idempotency key).
   * @return the queued ids, in order; kConflict if the entry is not in status received.
   */
  [[nodiscard]] virtual Result<std::vector<OutboxId>> complete(
      JournalId id, const std::optional<Acknowledgement>& ack,
      const std::vector<OutboundMessage>& outbound) = 0;

  /**
   * accept: journal() and complete() in one durable write, for a message parsed and routed
   * before it is acknowledged: the row is stored as processed with `ack`, and `outbound` is
   * queued. A repeat (same sender, same sender message id) writes nothing and queues nothing:
   * the earlier entry comes back with journal.duplicate = true (answer with its ack). One write
   * instead of two: the faster path when processing cannot fail after parsing.
   */
  [[nodiscard]] virtual Result<AcceptOutcome> accept(
      const InboundMessage& m, const std::optional<Acknowledgement>& ack,
      const std::vector<OutboundMessage>& outbound) = 0;

  /** fail: marks the entry failed with an operator-safe error (and the ack sent, if any). */
  [[nodiscard]] virtual Result<void> fail(JournalId id, const std::string& error,
                                          const std::optional<Acknowledgement>& ack) = 0;

  /** journal_entry: one entry, or nullopt. */
  [[nodiscard]] virtual Result<std::optional<JournalEntry>> journal_entry(JournalId id) = 0;

  /** unfinished: entries still in status received (to process after a restart), oldest first. */
  [[nodiscard]] virtual Result<std::vector<JournalId>> unfinished(std::size_t limit) = 0;

  /** journal_entries: one page of entries matching `filter`, by id, without their bodies
   * (body_bytes says how large each is). */
  [[nodiscard]] virtual Result<std::vector<JournalEntry>> journal_entries(
      const JournalFilter& filter) = 0;

  /**
   * reopen: a failed entry goes back to status received to be processed again (an operator's
   * reprocess after a mapping fix): its error and acknowledgement are cleared, the reprocess
   * count, actor and time recorded. @return the entry as reopened (with its body);
   * kNotFound for an unknown id; kConflict when it is not failed or its body was removed.
   */
  [[nodiscard]] virtual Result<JournalEntry> reopen(JournalId id, const std::string& actor) = 0;

  /**
   * remove_bodies: the journal retention: removes the bytes of processed and failed entries
   * finished before `before` (the row, SHA-256, size and acknowledgement stay). Entries still
   * received are never touched. Works in batches, each its own durable write.
   * @return how many bodies were removed.
   */
  [[nodiscard]] virtual Result<std::size_t> remove_bodies(TimePoint before) = 0;

  // --- outbox: the delivery worker ------------------------------------------------------

  /** enqueue: queues messages not tied to a journal entry (e.g. a replayed mapping fix). */
  [[nodiscard]] virtual Result<std::vector<OutboxId>> enqueue(
      const std::vector<OutboundMessage>& outbound) = 0;

  /** DueSkip: true for an id the caller already holds (being sent by another thread). */
  using DueSkip = std::function<bool(OutboxId)>;

  /**
   * due: ready push messages (not mailbox) whose next attempt is at or before `now`, earliest
   * first, at most `limit`, passing over those `skip` names (unset: none) without reading them.
   * Only the head of each (recipient, patient) line is ever ready.
   */
  [[nodiscard]] virtual Result<std::vector<OutboxEntry>> due(TimePoint now, std::size_t limit,
                                                             const DueSkip& skip) = 0;

  /** due: as above, skipping nothing. */
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(TimePoint now, std::size_t limit) {
    return due(now, limit, DueSkip{});
  }

  /** next_due: the earliest next attempt of any ready push message, or nullopt if none. */
  [[nodiscard]] virtual Result<std::optional<TimePoint>> next_due() = 0;

  /**
   * record_outcomes: applies attempts' outcomes in one durable transaction. Delivered: the row
   * is done and the next message of its line becomes ready. Failed with retry_at: attempts + 1,
   * the error kept, due again at retry_at. Failed without: dead letter, and the line moves on.
   * Outcomes for rows no longer ready (e.g. already recorded) are ignored.
   */
  [[nodiscard]] virtual Result<void> record_outcomes(
      const std::vector<DeliveryOutcome>& outcomes) = 0;

  // --- the pull mailbox -------------------------------------------------------------------

  /** mailbox_fetch: the recipient's queued mailbox messages in queueing order (at most limit). */
  [[nodiscard]] virtual Result<std::vector<OutboxEntry>> mailbox_fetch(const OdsCode& recipient,
                                                                       std::size_t limit) = 0;

  /**
   * mailbox_ack: the recipient has these messages: each becomes delivered. Ids that are not
   * this recipient's queued mailbox messages are skipped (acknowledging twice is harmless).
   * @return how many were acknowledged now.
   */
  [[nodiscard]] virtual Result<std::size_t> mailbox_ack(const OdsCode& recipient,
                                                        const std::vector<OutboxId>& ids) = 0;

  // --- the dead-letter queue (operator actions: audit each one) ---------------------------

  /** dead_letters: one page of dead letters, by id. */
  [[nodiscard]] virtual Result<std::vector<OutboxEntry>> dead_letters(
      const DeadLetterFilter& filter) = 0;

  /** outbox_entry: one outbound message in any state (inspect), or nullopt. */
  [[nodiscard]] virtual Result<std::optional<OutboxEntry>> outbox_entry(OutboxId id) = 0;

  /**
   * replay: puts dead letters back in their recipient's queue with attempts reset (same
   * idempotency key, so a recipient that did receive one can drop it). A replayed message goes
   * behind the message of its line now being delivered, if any, and ahead of later ones.
   * @return how many were replayed (ids not dead are skipped).
   */
  [[nodiscard]] virtual Result<std::size_t> replay(const std::vector<OutboxId>& ids,
                                                   const std::string& actor) = 0;

  /** discard: gives up on dead letters, recording the reason and who. @return how many. */
  [[nodiscard]] virtual Result<std::size_t> discard(const std::vector<OutboxId>& ids,
                                                    const std::string& reason,
                                                    const std::string& actor) = 0;

  /** queues: per recipient with anything queued or dead: depth, oldest, dead letters. */
  [[nodiscard]] virtual Result<std::vector<RecipientQueue>> queues() = 0;

  /** purge_finished: deletes delivered and discarded rows finished before `before`. */
  [[nodiscard]] virtual Result<std::size_t> purge_finished(TimePoint before) = 0;

  /**
   * record_answer: the recipient `from` answered, later and as its own message, the outbound
   * message whose idempotency key is `key` (an ITK3 response naming its MessageHeader.id).
   * kAccepted changes nothing; kRetry puts a delivered message back in its line to be sent again
   * now; kRefused moves a delivered one to the dead letters with `detail` as its error. A message
   * not (or no longer) delivered is left as it is. @return the row as it was before, or nullopt
   * when `from` was sent no message with that key.
   */
  [[nodiscard]] virtual Result<std::optional<OutboxEntry>> record_answer(
      const std::string& key, const OdsCode& from, AnswerOutcome outcome,
      const std::string& detail) = 0;
};

using MessageStorePtr = std::unique_ptr<MessageStore>;

/** RetentionRun: what one run of the message retention removed. */
struct RetentionRun {
  std::size_t bodies_removed = 0;   // journal entries whose bytes were removed
  std::size_t finished_purged = 0;  // delivered or discarded outbound messages deleted
};

/**
 * apply_retention: removes the bytes of journal entries finished more than `journal_days`
 * before `now` (MessageStore::remove_bodies) and deletes outbound messages delivered or
 * discarded more than `delivered_days` before it (purge_finished). A 0 keeps that kind forever.
 * Dead letters and messages still queued or received are never touched.
 */
[[nodiscard]] Result<RetentionRun> apply_retention(MessageStore& store, std::uint32_t journal_days,
                                                   std::uint32_t delivered_days, TimePoint now);

/** sha256_hex: lower-case hex SHA-256 of `bytes` (OpenSSL EVP). */
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

/**
 * new_idempotency_key: a UUID, version 7 (RFC 9562 5.7): the current time in milliseconds then
 * 74 bits from OpenSSL's CSPRNG, so keys sort by when they were made (the outbox's index on them
 * stays compact); kInternal if the generator fails.
 */
[[nodiscard]] Result<std::string> new_idempotency_key();

/** check_inbound / check_outbound: kBadRequest for input over the store's limits. */
[[nodiscard]] Result<void> check_inbound(const InboundMessage& m);
[[nodiscard]] Result<void> check_outbound(const OutboundMessage& m);

}  // namespace gw::store
