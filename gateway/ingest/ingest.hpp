// Receiving one inbound message, whatever carried it (HTTPS POST, ITK SOAP, MLLP): journal it
// durably, translate it with its adapter, identify the patient, file the resources in the record
// store, route it to the subscribers the agreements allow, render and queue one message per
// recipient, and answer the sender. Every movement and every delivery decision is audited.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/audit_log.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/ingest/delivery_policy.hpp"
#include "gateway/mapping/registry.hpp"
#include "gateway/routing/transport.hpp"
#include "gateway/store/message_store.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::ingest {

/** Snapshot: the config and compiled agreements in force (both swap together on a reload). */
struct Snapshot {
  config::ConfigPtr config;
  std::shared_ptr<const policy::PolicyIndex> policy;  // nullptr: no agreements, nothing delivered
  /** classifier: the sensitive code lists (nullptr: only caregw's own labels are read). */
  std::shared_ptr<const policy::SensitiveCodeClassifier> classifier{};
};

/** IngestDeps: what the ingest service uses. Everything must outlive it. */
struct IngestDeps {
  store::MessageStore& messages;
  store::RecordStore& records;
  identity::MpiService& mpi;
  const Clock& clock;
  std::function<Snapshot()> snapshot;
  const mapping::MappingRegistry* mappings = nullptr;  // nullptr: a Mapper that maps nothing
  audit::AuditLog* audit = nullptr;  // nullptr only in tests of the parts that do not audit
  std::vector<const OutboundRenderer*> renderers{};
  std::function<void()> wake_delivery{};  // called after messages were queued
};

/** Receipt: who sent a message and how (for the journal and the audit). */
struct Receipt {
  OdsCode sender;
  std::string client_subject{};  // the client certificate's subject (RFC 2253)
  std::string source_address{};  // the peer's IP address
  std::string request_id{};      // X-Request-ID, when it came over HTTP
  std::string content_type{};
};

/**
 * Reply: the acknowledgement for the sender and how it went. `status` is what an HTTP
 * transport answers with: 200 accepted (or a repeat answered as before), 400/422 rejected,
 * 503 try again later (Retry-After).
 */
struct Reply {
  AckRequest::Code code = AckRequest::Code::kAccepted;
  int status = 200;
  std::string content_type{};
  std::string body{};
  bool duplicate = false;
  std::optional<store::JournalId> journal{};
  std::size_t queued = 0;  // outbound messages queued
  std::size_t filed = 0;   // resources the message carried into the record store (when accepted)
};

/**
 * Ingest: thread-safe; every call blocks on the stores and the audit log, so run it on a worker
 * pool, never on an I/O thread.
 */
class Ingest {
public:
  explicit Ingest(IngestDeps deps);

  /**
   * receive: one message from `receipt.sender` in `adapter`'s format. Journalled before anything
   * else (a repeat of the same sender message id is answered with the earlier acknowledgement
   * and not processed again). A message that cannot be read is kept in the journal as failed
   * and the sender gets the adapter's rejection. Never loses an accepted message: the sender is
   * told "accepted" only after the journal entry, the records and the outbox rows are durable.
   */
  [[nodiscard]] Reply receive(const InboundAdapter& adapter, const Receipt& receipt,
                              std::string body);

  /**
   * reprocess: an operator sends a failed journal entry through again (after a mapping fix).
   * It goes back to received (store::MessageStore::reopen records `actor` and when) and is
   * processed as on arrival with the mappings now in force: filed, routed and audited, or
   * failed again with the new error. The original sender is not answered again.
   * @return the reply processing made; kNotFound / kConflict from reopen; kUnprocessable when
   *         no adapter of this gateway reads the entry (checked before it is reopened).
   */
  [[nodiscard]] Result<Reply> reprocess(
      store::JournalId id, const std::string& actor,
      const std::function<const InboundAdapter*(std::string_view)>& adapter_for);

  /**
   * resume: processes journal entries left in status received (a crash between journal and
   * completion), oldest first; `adapter_for` finds each entry's adapter by name. Upserts are
   * idempotent, so a half-processed message is filed once. @return how many were resumed.
   */
  [[nodiscard]] Result<std::size_t> resume(
      const std::function<const InboundAdapter*(std::string_view)>& adapter_for);

private:
  struct Processed;
  [[nodiscard]] Reply process(const InboundAdapter& adapter, const Receipt& receipt,
                              const store::JournalEntry& entry);
  [[nodiscard]] Result<Processed> file_and_route(const TranslatedMessage& msg,
                                                 const Receipt& receipt,
                                                 const store::JournalEntry& entry);
  [[nodiscard]] Reply answer(const InboundAdapter& adapter, std::string_view body, AckRequest ack,
                             int status);
  [[nodiscard]] Result<void> audit_all(std::vector<audit::AuditRecord> records);
  [[nodiscard]] const OutboundRenderer* renderer(std::string_view format) const;
  /** record_answer: a recipient's answer to a message we sent, applied to its outbox row. */
  Result<Processed> record_answer(const AnswerTo& a, const Receipt& receipt,
                                  const store::JournalEntry& entry);

  IngestDeps deps_;
};

/**
 * read_delivery_answer: the delivery worker's `read_answer` hook: the renderer of the message's
 * format (OutboxEntry::format) reads what the recipient answered when it took the message
 * (`sent.response`). Accepted -> delivered; retry -> kRetry; refused -> kPermanent (dead
 * letter), each with the answer's detail. nullopt when no renderer reads an answer there.
 */
[[nodiscard]] std::optional<routing::SendResult> read_delivery_answer(
    const std::vector<const OutboundRenderer*>& renderers, const store::OutboxEntry& m,
    const routing::SendResult& sent);

/**
 * delivery_audit_records: one audit record per delivery attempt's outcome (delivered, will be
 * retried, dead-lettered), naming the recipient, the outbound message's idempotency key, the
 * patient (when its ordering key is an NHS number), the attempt and the operator-safe error.
 */
[[nodiscard]] std::vector<audit::AuditRecord> delivery_audit_records(
    const std::vector<store::OutboxEntry>& sent, const std::vector<store::DeliveryOutcome>& done,
    const std::string& node_id);

}  // namespace gw::ingest
