#include "gateway/ingest/ingest.hpp"

#include <algorithm>
#include <future>
#include <mutex>
#include <utility>

#include "gateway/core/log.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/record/context.hpp"
#include "gateway/routing/router.hpp"

namespace gw::ingest {

namespace {

constexpr int kWriteAttempts = 3;

int status_for(AckRequest::Code code, const std::optional<Error>& e) {
  switch (code) {
    case AckRequest::Code::kAccepted:
      return 200;
    case AckRequest::Code::kError:
      return 503;
    case AckRequest::Code::kRejected:
      break;
  }
  if (e && (e->code == Errc::kUnprocessable || e->code == Errc::kMappingFailed)) {
    return 422;
  }
  if (e && e->code == Errc::kPayloadTooLarge) {
    return 413;
  }
  return 400;
}

/** temporary: errors that say "try again" (store busy, disk full, audit log failing). */
bool temporary(const Error& e) {
  return e.code == Errc::kUnavailable || e.code == Errc::kInternal ||
         e.code == Errc::kTooManyRequests;
}

audit::AuditRecord movement(audit::EventType type, const Receipt& receipt,
                            const store::JournalEntry& entry) {
  audit::AuditRecord r;
  r.type = type;
  r.org_ods = receipt.sender.str();
  r.client_system = receipt.client_subject;
  r.source_address = receipt.source_address;
  r.request_id = receipt.request_id;
  r.correlation_id = "journal-" + std::to_string(entry.id.value);
  r.message_id = entry.sender_message_id;
  r.peer_ods = receipt.sender.str();
  r.detail = "adapter " + entry.adapter;
  return r;
}

std::string person_key(const store::PersonView& v) {
  return v.person.nhs_number ? v.person.nhs_number->str()
                             : "person-" + std::to_string(v.person.id.value);
}

}  // namespace

/** Processed: what filing and routing produced, before the completion write. */
struct Ingest::Processed {
  std::vector<store::OutboundMessage> outbound;
  std::vector<audit::AuditRecord> audit;
  std::vector<std::string> warnings;
};

Ingest::Ingest(IngestDeps deps) : deps_(std::move(deps)) {}

Reply Ingest::answer(const InboundAdapter& adapter, std::string_view body, AckRequest ack,
                     int status) {
  Reply reply;
  reply.code = ack.code;
  reply.status = status;
  if (ack.ack_id.empty()) {
    auto id = store::new_idempotency_key();
    ack.ack_id = id ? *id : std::string("caregw-ack");
  }
  if (ack.at == std::chrono::system_clock::time_point{}) {
    ack.at = deps_.clock.now();
  }
  reply.content_type = std::string(adapter.ack_content_type());
  reply.body = adapter.acknowledge(body, ack);
  return reply;
}

Result<void> Ingest::audit_all(std::vector<audit::AuditRecord> records) {
  if (deps_.audit == nullptr || records.empty()) {
    return {};
  }
  struct State {
    std::mutex mu;
    std::size_t left = 0;
    std::optional<Error> error;
    std::promise<void> done;
  };
  auto state = std::make_shared<State>();
  state->left = records.size();
  auto finished = state->done.get_future();
  for (auto& r : records) {
    deps_.audit->append(std::move(r), [state](Result<std::uint64_t> res) {
      std::lock_guard lock(state->mu);
      if (!res && !state->error) {
        state->error = res.error();
      }
      if (--state->left == 0) {
        state->done.set_value();
      }
    });
  }
  finished.wait();
  if (state->error) {
    return *state->error;
  }
  return {};
}

const OutboundRenderer* Ingest::renderer(std::string_view format) const {
  for (const auto* r : deps_.renderers) {
    if (r != nullptr && r->format() == format) {
      return r;
    }
  }
  return nullptr;
}

Reply Ingest::receive(const InboundAdapter& adapter, const Receipt& receipt, std::string body) {
  std::string mid = adapter.message_id(body);
  if (mid.empty()) {
    // Too broken to carry an id: the content identifies it, so a resend is still a repeat.
    mid = "sha256:" + store::sha256_hex(body);
  }
  if (auto fresh = adapter.check_on_receipt(body, deps_.clock.now()); !fresh) {
    return answer(adapter, body, AckRequest{AckRequest::Code::kRejected, fresh.error(), {}, {}},
                  status_for(AckRequest::Code::kRejected, fresh.error()));
  }
  store::InboundMessage in{receipt.sender, std::string(adapter.name()), mid, receipt.content_type,
                           body};
  auto journalled = deps_.messages.journal(in);
  if (!journalled) {
    const auto& e = journalled.error();
    log::warn("ingest_journal_failed", {{"sender", receipt.sender.str()}, {"error", e.detail}});
    const auto code = temporary(e) ? AckRequest::Code::kError : AckRequest::Code::kRejected;
    return answer(adapter, body, AckRequest{code, e, {}, {}}, status_for(code, e));
  }
  const auto& entry = journalled->entry;
  if (journalled->duplicate) {
    if (entry.ack) {
      Reply reply;
      reply.duplicate = true;
      reply.journal = entry.id;
      reply.content_type = entry.ack->content_type;
      reply.body = entry.ack->body;
      reply.status = entry.status == store::JournalStatus::kFailed ? 400 : 200;
      reply.code = entry.status == store::JournalStatus::kFailed ? AckRequest::Code::kRejected
                                                                 : AckRequest::Code::kAccepted;
      return reply;
    }
    // Journalled before but never finished (a temporary failure, or a crash): process it now.
    auto reply = process(adapter, receipt, entry);
    reply.duplicate = true;
    return reply;
  }
  if (auto a = audit_all({movement(audit::EventType::kMessageReceived, receipt, entry)}); !a) {
    return answer(adapter, body, AckRequest{AckRequest::Code::kError, a.error(), {}, {}}, 503);
  }
  return process(adapter, receipt, entry);
}

Reply Ingest::process(const InboundAdapter& adapter, const Receipt& receipt,
                      const store::JournalEntry& entry) {
  const auto mapper =
      deps_.mappings != nullptr ? deps_.mappings->mapper() : mapping::Mapper(nullptr, nullptr);
  auto translated = adapter.translate(receipt.sender, entry.body, mapper);
  if (!translated) {
    const auto e = translated.error();
    auto reply = answer(adapter, entry.body, AckRequest{AckRequest::Code::kRejected, e, {}, {}},
                        status_for(AckRequest::Code::kRejected, e));
    auto rec = movement(audit::EventType::kMessageTranslated, receipt, entry);
    rec.outcome = audit::Outcome::kMinorFailure;
    rec.detail = "adapter " + entry.adapter + " rejected the message: " + e.detail;
    if (auto a = audit_all({std::move(rec)}); !a) {
      return answer(adapter, entry.body, AckRequest{AckRequest::Code::kError, a.error(), {}, {}},
                    503);
    }
    (void)deps_.messages.fail(entry.id, e.detail,
                              store::Acknowledgement{reply.content_type, reply.body});
    reply.journal = entry.id;
    return reply;
  }
  auto processed = file_and_route(*translated, receipt, entry);
  if (!processed) {
    const auto& e = processed.error();
    if (temporary(e)) {
      // Left in status received: a resend (or resume() after a restart) processes it again.
      log::warn("ingest_deferred", {{"sender", receipt.sender.str()}, {"error", e.detail}});
      auto reply =
          answer(adapter, entry.body, AckRequest{AckRequest::Code::kError, e, {}, {}}, 503);
      reply.journal = entry.id;
      return reply;
    }
    auto reply = answer(adapter, entry.body, AckRequest{AckRequest::Code::kRejected, e, {}, {}},
                        status_for(AckRequest::Code::kRejected, e));
    auto rec = movement(audit::EventType::kMessageStored, receipt, entry);
    rec.outcome = audit::Outcome::kMinorFailure;
    rec.detail = e.detail;
    (void)audit_all({std::move(rec)});
    (void)deps_.messages.fail(entry.id, e.detail,
                              store::Acknowledgement{reply.content_type, reply.body});
    reply.journal = entry.id;
    return reply;
  }
  auto warnings = translated->warnings;
  warnings.insert(warnings.end(), processed->warnings.begin(), processed->warnings.end());
  auto reply = answer(adapter, entry.body,
                      AckRequest{AckRequest::Code::kAccepted, std::nullopt, warnings, {}}, 200);
  // Every decision is on disk before the sender hears "accepted".
  if (auto a = audit_all(std::move(processed->audit)); !a) {
    return answer(adapter, entry.body, AckRequest{AckRequest::Code::kError, a.error(), {}, {}},
                  503);
  }
  auto queued = deps_.messages.complete(
      entry.id, store::Acknowledgement{reply.content_type, reply.body}, processed->outbound);
  if (!queued) {
    if (queued.error().code == Errc::kConflict) {
      // Completed meanwhile by a concurrent resend: answer as that one was answered.
      auto now = deps_.messages.journal_entry(entry.id);
      if (now && *now && (*now)->ack) {
        reply.content_type = (*now)->ack->content_type;
        reply.body = (*now)->ack->body;
        reply.duplicate = true;
        reply.journal = entry.id;
        return reply;
      }
    }
    auto r = answer(adapter, entry.body,
                    AckRequest{AckRequest::Code::kError, queued.error(), {}, {}}, 503);
    r.journal = entry.id;
    return r;
  }
  reply.journal = entry.id;
  reply.queued = queued->size();
  reply.filed = translated->answer ? 0 : translated->resources.size();
  if (!queued->empty() && deps_.wake_delivery) {
    deps_.wake_delivery();
  }
  return reply;
}

Result<Ingest::Processed> Ingest::record_answer(const AnswerTo& a, const Receipt& receipt,
                                                const store::JournalEntry& entry) {
  using Verdict = BusinessAnswer::Verdict;
  const auto outcome = a.answer.verdict == Verdict::kAccepted ? store::AnswerOutcome::kAccepted
                       : a.answer.verdict == Verdict::kRetry  ? store::AnswerOutcome::kRetry
                                                              : store::AnswerOutcome::kRefused;
  auto row =
      deps_.messages.record_answer(a.outbound_message_id, receipt.sender, outcome, a.answer.detail);
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return make_error(Errc::kUnprocessable, "the answer names no message this gateway sent to " +
                                                receipt.sender.str() + " (" +
                                                a.outbound_message_id + ")");
  }
  const auto& sent = **row;
  const bool changed =
      sent.state == store::OutboxState::kDelivered && outcome != store::AnswerOutcome::kAccepted;
  auto rec =
      movement(outcome == store::AnswerOutcome::kAccepted ? audit::EventType::kMessageDelivered
               : outcome == store::AnswerOutcome::kRetry  ? audit::EventType::kMessageRetried
                                                          : audit::EventType::kMessageDeadLettered,
               receipt, entry);
  rec.outcome = outcome == store::AnswerOutcome::kAccepted ? audit::Outcome::kSuccess
                : outcome == store::AnswerOutcome::kRetry  ? audit::Outcome::kMinorFailure
                                                           : audit::Outcome::kSeriousFailure;
  if (sent.patient_key.size() == 10 && NhsNumber::parse(sent.patient_key)) {
    rec.nhs_number = sent.patient_key;
  }
  rec.detail = a.answer.detail + " to outbound " + std::to_string(sent.id.value) + " (" +
               sent.kind + ")" +
               (changed ? std::string()
                        : std::string(", which is ") +
                              std::string(store::outbox_state_code(sent.state)) + ": unchanged");
  Processed out;
  out.audit.push_back(std::move(rec));
  if (changed && outcome == store::AnswerOutcome::kRetry && deps_.wake_delivery) {
    deps_.wake_delivery();
  }
  return out;
}

Result<Ingest::Processed> Ingest::file_and_route(const TranslatedMessage& msg,
                                                 const Receipt& receipt,
                                                 const store::JournalEntry& entry) {
  Processed out;
  const auto now = deps_.clock.now();
  if (msg.answer) {
    return record_answer(*msg.answer, receipt, entry);
  }
  if (!msg.patient && !msg.resources.empty()) {
    return make_error(Errc::kUnprocessable, "message: it carries clinical data but no patient");
  }
  // 1. Who the message is about (the MPI links, holds for review or creates).
  std::optional<store::PersonView> person;
  if (msg.patient) {
    auto in = *msg.patient;
    in.source = receipt.sender;  // the certificate's organisation, whatever the message claims
    if (in.local_id) {
      in.local_id->source = receipt.sender;
    }
    in.message_id = entry.sender_message_id;
    auto id = deps_.mpi.identify(in);
    if (!id) {
      return id.error();
    }
    if (!id->warning.empty()) {
      out.warnings.push_back(id->warning);
    }
    auto view = deps_.mpi.person(id->person);
    if (!view) {
      return view.error();
    }
    if (!*view) {
      return make_error(Errc::kInternal, "the MPI lost the person it just identified");
    }
    person = std::move(**view);
  }
  // 2. Merges the source asked for (HL7 ADT^A40).
  for (const auto& m : msg.merges) {
    auto survivor = m.survivor;
    auto superseded = m.superseded;
    survivor.source = receipt.sender;
    superseded.source = receipt.sender;
    auto merged =
        deps_.mpi.merge_local_ids(survivor, superseded, m.reason.empty() ? "merge" : m.reason,
                                  "system:" + receipt.sender.str(), entry.sender_message_id);
    if (!merged) {
      if (temporary(merged.error())) {
        return merged.error();
      }
      out.warnings.push_back("merge: not applied: " + merged.error().detail);
    }
  }
  // 3. File the resources (one transaction; repeated content is stored once).
  if (person && !msg.resources.empty()) {
    Result<void> filed = make_error(Errc::kUnavailable, "not tried");
    for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
      filed = [&]() -> Result<void> {
        auto tx = deps_.records.begin();
        if (!tx) {
          return tx.error();
        }
        for (std::size_t i = 0; i < msg.resources.size(); ++i) {
          const auto& r = msg.resources[i];
          store::ResourceKey key{receipt.sender, r.resource_type, r.id};
          auto done = r.deleted ? (*tx)->remove(key, entry.sender_message_id)
                                : (*tx)->upsert(store::RecordWrite{
                                      key, person->person.id, entry.sender_message_id, r.json});
          if (!done) {
            auto e = done.error();
            e.detail = "resource " + std::to_string(i) + " (" + r.resource_type + "/" + r.id +
                       "): " + e.detail;
            return e;
          }
        }
        return (*tx)->commit();
      }();
      if (filed || filed.error().code != Errc::kUnavailable) {
        break;
      }
    }
    if (!filed) {
      return filed.error();
    }
    auto rec = movement(audit::EventType::kMessageStored, receipt, entry);
    rec.nhs_number = person->person.nhs_number ? person->person.nhs_number->str() : "";
    rec.detail = std::to_string(msg.resources.size()) + " resources filed";
    out.audit.push_back(std::move(rec));
  }
  // 4. Route to the subscribers, as far as the agreements allow.
  const auto snap = deps_.snapshot ? deps_.snapshot() : Snapshot{};
  if (!snap.config || !person) {
    return out;
  }
  routing::MessageFacts facts{receipt.sender, msg.kind, {}, {}, {}, {}};
  facts.event = msg.event;
  for (const auto& r : msg.resources) {
    if (!r.deleted) {
      facts.resource_types.push_back(r.resource_type);
    }
  }
  facts.registered_practice = msg.registered_practice;
  const auto& subs = snap.config->subscriptions;
  if (std::any_of(subs.begin(), subs.end(), [](const config::Subscription& s) {
        return s.patients == config::PatientScope::kOpenCase;
      })) {
    // Open cases as the records now say (this message's own EpisodeOfCare included).
    auto context = record::gather_patient_context(*snap.config, deps_.records, *person);
    if (!context) {
      return context.error();
    }
    facts.open_cases = record::open_cases(*context);
  }
  const auto targets = routing::route(facts, snap.config->subscriptions);
  const std::string nhs = person->person.nhs_number ? person->person.nhs_number->str() : "";
  std::vector<policy::SensitivitySet> sensitivity;  // classified once, at the first recipient
  for (const auto& target : targets) {
    auto rec = movement(audit::EventType::kDisclosure, receipt, entry);
    rec.peer_ods = target.recipient.str();
    rec.nhs_number = nhs;
    rec.purpose_of_use = "TREAT";
    if (snap.policy && sensitivity.empty()) {
      sensitivity = message_sensitivity(msg, snap.classifier.get());  // once per message
    }
    const auto decision =
        snap.policy
            ? check_delivery(*snap.policy, receipt.sender, target.recipient, msg, now, sensitivity)
            : DeliveryDecision{false, nullptr, {}, 0, 0, "no data-sharing agreements loaded"};
    if (decision.agreement != nullptr) {
      rec.dsa_id = decision.agreement->id;
      rec.dsa_version = decision.agreement->version;
    }
    if (!decision.allowed) {
      rec.outcome = audit::Outcome::kMinorFailure;
      rec.decision = audit::Decision::kDeny;
      rec.detail = "subscription " + target.subscription + ": not sent: " + decision.reason;
      out.audit.push_back(std::move(rec));
      continue;
    }
    TranslatedMessage allowed = msg;
    allowed.resources.clear();
    for (const auto i : decision.resources) {
      allowed.resources.push_back(msg.resources[i]);
    }
    // Nothing the recipient may not see is named either: references to it are removed.
    strip_withheld_references(msg, decision, allowed.resources);
    const auto* r = renderer(target.format);
    auto outbound_id = store::new_idempotency_key();
    if (!outbound_id) {
      return outbound_id.error();
    }
    RenderRequest req{&allowed, receipt.sender, target.recipient,
                      nhs,      *outbound_id,   fhir::format_instant(now)};
    auto rendered =
        r != nullptr ? r->render(req)
                     : Result<Rendered>(make_error(
                           Errc::kUnprocessable, "no renderer for format '" + target.format + "'"));
    if (!rendered) {
      rec.outcome = audit::Outcome::kSeriousFailure;
      rec.decision = audit::Decision::kDeny;
      rec.detail =
          "subscription " + target.subscription + ": not rendered: " + rendered.error().detail;
      out.warnings.push_back("recipient " + target.recipient.str() +
                             ": not rendered: " + rendered.error().detail);
      out.audit.push_back(std::move(rec));
      continue;
    }
    rec.decision =
        decision.withheld != 0 ? audit::Decision::kPermitRedacted : audit::Decision::kPermit;
    rec.dsa_rule = "direct-care-delivery";
    for (const auto& res : allowed.resources) {
      if (!res.deleted) {
        rec.disclosed.push_back({res.resource_type, res.id, store::sha256_hex(res.json)});
      }
    }
    if (decision.withheld != 0) {
      for (std::size_t c = 0; c < policy::kCategoryCount; ++c) {
        const auto cat = static_cast<policy::DataCategory>(c);
        if ((decision.withheld & policy::category_bit(cat)) != 0) {
          rec.withheld.emplace_back(policy::category_name(cat));
        }
      }
    }
    for (std::size_t s = 0; s < policy::kSensitivityCount; ++s) {
      const auto cls = static_cast<policy::Sensitivity>(s);
      if ((decision.withheld_classes & policy::sensitivity_bit(cls)) != 0) {
        rec.withheld.emplace_back(policy::sensitivity_name(cls));
      }
    }
    rec.detail = "subscription " + target.subscription + ": queued for " +
                 std::string(store::transport_kind_code(target.transport)) + " delivery as " +
                 target.format + " (outbound " + *outbound_id + ")";
    out.audit.push_back(std::move(rec));
    // The outbound id is the row's idempotency key: the recipient's answer names it.
    out.outbound.push_back(store::OutboundMessage{
        target.recipient, target.transport, person_key(*person), msg.kind, rendered->content_type,
        std::move(rendered->payload), target.format, *outbound_id});
  }
  return out;
}

Result<Reply> Ingest::reprocess(
    store::JournalId id, const std::string& actor,
    const std::function<const InboundAdapter*(std::string_view)>& adapter_for) {
  auto found = deps_.messages.journal_entry(id);
  if (!found) {
    return found.error();
  }
  const std::optional<store::JournalEntry>& was = *found;
  if (!was.has_value()) {
    return make_error(Errc::kNotFound, "no journal entry " + std::to_string(id.value));
  }
  const auto* adapter = adapter_for(was->adapter);
  if (adapter == nullptr) {
    return make_error(Errc::kUnprocessable, "journal entry " + std::to_string(id.value) +
                                                " came through adapter '" + was->adapter +
                                                "', which this gateway does not have");
  }
  auto entry = deps_.messages.reopen(id, actor);
  if (!entry) {
    return entry.error();
  }
  const Receipt receipt{entry->sender, {}, {}, {}, entry->content_type};
  return process(*adapter, receipt, *entry);
}

Result<std::size_t> Ingest::resume(
    const std::function<const InboundAdapter*(std::string_view)>& adapter_for) {
  auto ids = deps_.messages.unfinished(1000);
  if (!ids) {
    return ids.error();
  }
  std::size_t resumed = 0;
  for (const auto id : *ids) {
    auto entry = deps_.messages.journal_entry(id);
    if (!entry) {
      return entry.error();
    }
    if (!*entry) {
      continue;
    }
    const auto* adapter = adapter_for((*entry)->adapter);
    if (adapter == nullptr) {
      log::warn("ingest_resume_unknown_adapter",
                {{"journal", id.value}, {"adapter", std::string_view((*entry)->adapter)}});
      continue;
    }
    Receipt receipt{(*entry)->sender, {}, {}, {}, (*entry)->content_type};
    (void)process(*adapter, receipt, **entry);
    ++resumed;
  }
  return resumed;
}

std::optional<routing::SendResult> read_delivery_answer(
    const std::vector<const OutboundRenderer*>& renderers, const store::OutboxEntry& m,
    const routing::SendResult& sent) {
  if (m.format.empty() || sent.response.empty()) {
    return std::nullopt;
  }
  const auto r = std::find_if(renderers.begin(), renderers.end(),
                              [&](const OutboundRenderer* x) { return x->format() == m.format; });
  if (r == renderers.end()) {
    return std::nullopt;
  }
  auto answer = (*r)->read_answer(m.idempotency_key, sent.response);
  if (!answer) {
    return std::nullopt;
  }
  using Verdict = BusinessAnswer::Verdict;
  switch (answer->verdict) {
    case Verdict::kAccepted:
      return routing::SendResult{routing::SendStatus::kDelivered, {}, {}};
    case Verdict::kRetry:
      return routing::SendResult{routing::SendStatus::kRetry, std::move(answer->detail), {}};
    case Verdict::kRefused:
      break;
  }
  return routing::SendResult{routing::SendStatus::kPermanent, std::move(answer->detail), {}};
}

std::vector<audit::AuditRecord> delivery_audit_records(
    const std::vector<store::OutboxEntry>& sent, const std::vector<store::DeliveryOutcome>& done,
    const std::string& node_id) {
  std::vector<audit::AuditRecord> out;
  for (std::size_t i = 0; i < sent.size() && i < done.size(); ++i) {
    const auto& m = sent[i];
    const auto& o = done[i];
    audit::AuditRecord r;
    r.node_id = node_id;
    r.type = o.delivered  ? audit::EventType::kMessageDelivered
             : o.retry_at ? audit::EventType::kMessageRetried
                          : audit::EventType::kMessageDeadLettered;
    r.outcome = o.delivered  ? audit::Outcome::kSuccess
                : o.retry_at ? audit::Outcome::kMinorFailure
                             : audit::Outcome::kSeriousFailure;
    r.org_ods = m.recipient.str();
    r.peer_ods = m.recipient.str();
    r.message_id = m.idempotency_key;
    r.correlation_id = m.journal ? "journal-" + std::to_string(m.journal->value) : std::string();
    if (m.patient_key.size() == 10 && NhsNumber::parse(m.patient_key)) {
      r.nhs_number = m.patient_key;
    }
    r.detail = std::string(store::transport_kind_code(m.transport)) + " attempt " +
               std::to_string(m.attempts + 1) + " of outbound " + std::to_string(m.id.value) +
               " (" + m.kind + ")" + (o.error.empty() ? std::string() : ": " + o.error);
    if (r.detail.size() > store::kMaxErrorBytes) {
      r.detail.resize(store::kMaxErrorBytes);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gw::ingest
