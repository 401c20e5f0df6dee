// Operator actions on the message path: per-recipient queue depths, the dead-letter queue,
// inspecting one outbound message, replaying and discarding dead letters, the inbound journal
// and reprocessing failed messages. Each request needs a user token with the `operations`
// purpose (checked by the dispatch stage) and each is audited.
#include <charconv>
#include <type_traits>

#include <rapidjson/document.h>

#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"

namespace gw::pipeline {

namespace {

std::string jstr(std::string_view s) {
  rapidjson::Value v(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return fhir::to_json(v);
}

/** field: appends ,"key":value (value already JSON). */
void field(std::string& out, std::string_view key, std::string_view json_value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += json_value;
}

std::string entry_json(const store::OutboxEntry& e, bool with_payload) {
  std::string out = "{\"id\":";
  out += std::to_string(e.id.value);
  field(out, "recipient", jstr(e.recipient.str()));
  field(out, "transport", jstr(store::transport_kind_code(e.transport)));
  field(out, "kind", jstr(e.kind));
  field(out, "state", jstr(store::outbox_state_code(e.state)));
  field(out, "attempts", std::to_string(e.attempts));
  field(out, "queued_at", jstr(fhir::format_instant(e.queued_at)));
  field(out, "last_error", jstr(e.last_error));
  field(out, "replays", std::to_string(e.replays));
  field(out, "idempotency_key", jstr(e.idempotency_key));
  if (e.journal) {
    field(out, "journal", std::to_string(e.journal->value));
  }
  if (!e.discard_reason.empty()) {
    field(out, "discard_reason", jstr(e.discard_reason));
    field(out, "discarded_by", jstr(e.discarded_by));
  }
  if (with_payload) {
    field(out, "content_type", jstr(e.content_type));
    field(out, "payload", jstr(e.payload));
  }
  out += "}";
  return out;
}

Result<std::int64_t> parse_id(std::string_view text, std::string_view what) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
    return make_error(Errc::kBadRequest, std::string(what) + " must be a positive whole number");
  }
  return v;
}

/**
 * page_param: the paging parameters of the operator lists, `after` (an id) and `_count`
 * (1..kMaxOutboxPage). @return whether `key` was one of them (and its value taken).
 */
Result<bool> page_param(std::string_view key, std::string_view value, std::int64_t& after,
                        std::size_t& limit) {
  if (key == "after") {
    auto id = parse_id(value, "after");
    if (!id) {
      return id.error();
    }
    after = *id;
    return true;
  }
  if (key == "_count") {
    auto n = parse_id(value, "_count");
    if (!n || *n > static_cast<std::int64_t>(store::kMaxOutboxPage)) {
      return make_error(Errc::kBadRequest,
                        "_count must be 1 to " + std::to_string(store::kMaxOutboxPage));
    }
    limit = static_cast<std::size_t>(*n);
    return true;
  }
  return false;
}

/** ids_body: {"ids": [n, ...]} of `what` (and the reason, when asked for). */
Result<std::vector<std::int64_t>> ids_body(const http::Request& req, std::string_view what,
                                           std::string* reason) {
  auto doc = fhir::parse_json(req.body);
  if (!doc) {
    return make_error(Errc::kBadRequest, "body: " + doc.error().detail);
  }
  if (!doc->IsObject()) {
    return make_error(Errc::kBadRequest, "body: expected a JSON object");
  }
  const auto it = doc->FindMember("ids");
  if (it == doc->MemberEnd() || !it->value.IsArray() || it->value.Empty() ||
      it->value.Size() > store::kMaxOutboxPage) {
    return make_error(Errc::kBadRequest, "body: 'ids' must list 1 to " +
                                             std::to_string(store::kMaxOutboxPage) + " " +
                                             std::string(what));
  }
  std::vector<std::int64_t> ids;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    if (!it->value[i].IsInt64() || it->value[i].GetInt64() <= 0) {
      return make_error(Errc::kBadRequest, "body: ids[" + std::to_string(i) + "] is not an id");
    }
    ids.push_back(it->value[i].GetInt64());
  }
  if (reason != nullptr) {
    const auto r = doc->FindMember("reason");
    if (r == doc->MemberEnd() || !r->value.IsString() || r->value.GetStringLength() == 0) {
      return make_error(Errc::kBadRequest,
                        "body: 'reason' is required to discard (why the message is given up)");
    }
    *reason = r->value.GetString();
  }
  return ids;
}

/** outbox_ids: {"ids": [...]} of outbound messages (and the reason, when asked for). */
Result<std::vector<store::OutboxId>> outbox_ids(const http::Request& req, std::string* reason) {
  auto ids = ids_body(req, "outbound message ids", reason);
  if (!ids) {
    return ids.error();
  }
  std::vector<store::OutboxId> out;
  out.reserve(ids->size());
  for (const auto id : *ids) {
    out.push_back(store::OutboxId{id});
  }
  return out;
}

audit::AuditRecord operator_record(audit::EventType type, std::string detail) {
  audit::AuditRecord r;
  r.type = type;
  r.detail = std::move(detail);
  return r;
}

template <class Id>
std::string id_list(const std::vector<Id>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) {
      out += ',';
    }
    if constexpr (std::is_integral_v<Id>) {
      out += std::to_string(id);
    } else {
      out += std::to_string(id.value);
    }
  }
  return out;
}

std::string journal_json(const store::JournalEntry& e) {
  std::string out = "{\"id\":";
  out += std::to_string(e.id.value);
  field(out, "sender", jstr(e.sender.str()));
  field(out, "adapter", jstr(e.adapter));
  field(out, "sender_message_id", jstr(e.sender_message_id));
  field(out, "content_type", jstr(e.content_type));
  field(out, "status", jstr(store::journal_status_code(e.status)));
  field(out, "received_at", jstr(fhir::format_instant(e.received_at)));
  if (e.finished_at) {
    field(out, "finished_at", jstr(fhir::format_instant(*e.finished_at)));
  }
  if (!e.error.empty()) {
    field(out, "error", jstr(e.error));
  }
  field(out, "bytes", std::to_string(e.body_bytes));
  field(out, "sha256", jstr(e.sha256));
  if (e.body_removed_at) {
    field(out, "body_removed_at", jstr(fhir::format_instant(*e.body_removed_at)));
  }
  if (e.reprocessed > 0) {
    field(out, "reprocessed", std::to_string(e.reprocessed));
    field(out, "reprocessed_by", jstr(e.reprocessed_by));
    if (e.reprocessed_at) {
      field(out, "reprocessed_at", jstr(fhir::format_instant(*e.reprocessed_at)));
    }
  }
  out += "}";
  return out;
}

/** journal_filter: the query of GET /admin/journal. */
Result<store::JournalFilter> journal_filter(const http::Request& req) {
  store::JournalFilter filter;
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::int64_t after = 0;
  for (const auto& [k, v] : *params) {
    if (k == "status") {
      bool known = false;
      for (auto st : {store::JournalStatus::kReceived, store::JournalStatus::kProcessed,
                      store::JournalStatus::kFailed}) {
        if (store::journal_status_code(st) == v) {
          filter.status = st;
          known = true;
        }
      }
      if (!known) {
        return make_error(Errc::kBadRequest, "status must be received, processed or failed");
      }
    } else if (k == "sender") {
      auto ods = OdsCode::parse(v);
      if (!ods) {
        return make_error(Errc::kBadRequest, "sender: " + ods.error().detail);
      }
      filter.sender = *ods;
    } else if (auto paged = page_param(k, v, after, filter.limit); !paged) {
      return paged.error();
    } else if (!*paged) {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + k + "' (known: status, sender, after, _count)");
    }
  }
  filter.after = store::JournalId{after};
  return filter;
}

/** reprocess_result: one id's result of POST /admin/journal/reprocess, as JSON. */
std::string reprocess_result(std::int64_t id, const Result<ingest::Reply>& r,
                             store::MessageStore& messages) {
  std::string out = "{\"id\":" + std::to_string(id);
  if (!r) {
    field(out, "outcome", jstr("refused"));
    field(out, "error", jstr(r.error().detail));
    return out + "}";
  }
  if (r->code == ingest::AckRequest::Code::kAccepted) {
    field(out, "outcome", jstr("processed"));
    field(out, "queued", std::to_string(r->queued));
    return out + "}";
  }
  // Failed again (its new error is in the journal) or deferred (a store or audit outage).
  std::string error;
  if (auto now = messages.journal_entry(store::JournalId{id}); now) {
    const std::optional<store::JournalEntry>& entry = *now;
    if (entry.has_value()) {
      error = entry->error;
    }
  }
  const bool failed = r->status != 503;
  field(out, "outcome", jstr(failed ? "failed" : "deferred"));
  if (!error.empty()) {
    field(out, "error", jstr(error));
  } else if (!failed) {
    field(out, "error",
          jstr("could not be processed now; it stays received and is processed "
               "when the gateway next starts"));
  }
  return out + "}";
}

void json_response(http::Response& res, std::string body) {
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = std::move(body);
}

}  // namespace

Result<void> admin_queues(RequestContext& ctx, http::Response& res, store::MessageStore& messages) {
  auto queues = messages.queues();
  if (!queues) {
    return queues.error();
  }
  std::string body = R"({"recipients":[)";
  for (std::size_t i = 0; i < queues->size(); ++i) {
    const auto& q = (*queues)[i];
    body += i == 0 ? "{" : ",{";
    body += "\"recipient\":";
    body += jstr(q.recipient.str());
    field(body, "queued", std::to_string(q.queued));
    field(body, "dead", std::to_string(q.dead));
    if (q.oldest_queued_at) {
      field(body, "oldest_queued_at", jstr(fhir::format_instant(*q.oldest_queued_at)));
    }
    body += "}";
  }
  json_response(res, body + "]}");
  ctx.audit.push_back(operator_record(audit::EventType::kRecordSearch, "delivery queues listed"));
  return {};
}

Result<void> admin_dead_letters(const http::Request& req, RequestContext& ctx, http::Response& res,
                                store::MessageStore& messages) {
  store::DeadLetterFilter filter;
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::int64_t after = 0;
  for (const auto& [k, v] : *params) {
    if (k == "recipient") {
      auto ods = OdsCode::parse(v);
      if (!ods) {
        return make_error(Errc::kBadRequest, "recipient: " + ods.error().detail);
      }
      filter.recipient = *ods;
    } else if (auto paged = page_param(k, v, after, filter.limit); !paged) {
      return paged.error();
    } else if (!*paged) {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + k + "' (known: recipient, after, _count)");
    }
  }
  filter.after = store::OutboxId{after};
  auto page = messages.dead_letters(filter);
  if (!page) {
    return page.error();
  }
  std::string body = R"({"dead_letters":[)";
  for (std::size_t i = 0; i < page->size(); ++i) {
    if (i > 0) {
      body += ",";
    }
    body += entry_json((*page)[i], false);
  }
  body += "]";
  if (page->size() == filter.limit && !page->empty()) {
    body += R"(,"next":)" +
            jstr("/admin/dead-letters?after=" + std::to_string(page->back().id.value) +
                 "&_count=" + std::to_string(filter.limit) +
                 (filter.recipient ? "&recipient=" + filter.recipient->str() : std::string()));
  }
  json_response(res, body + "}");
  ctx.audit.push_back(
      operator_record(audit::EventType::kRecordSearch,
                      "dead-letter queue listed (" + std::to_string(page->size()) + " messages)"));
  return {};
}

Result<void> admin_outbox_entry(RequestContext& ctx, http::Response& res,
                                store::MessageStore& messages) {
  auto id = parse_id(ctx.route->params.empty() ? "" : ctx.route->params[0], "the message id");
  if (!id) {
    return id.error();
  }
  auto entry = messages.outbox_entry(store::OutboxId{*id});
  if (!entry) {
    return entry.error();
  }
  if (!*entry) {
    return make_error(Errc::kNotFound, "no outbound message " + std::to_string(*id));
  }
  json_response(res, entry_json(**entry, true));
  // The payload is clinical content: viewing it is a read of the patient's record.
  auto r = operator_record(audit::EventType::kRecordRead,
                           "outbound message " + std::to_string(*id) + " inspected");
  r.message_id = (*entry)->idempotency_key;
  r.peer_ods = (*entry)->recipient.str();
  if (NhsNumber::parse((*entry)->patient_key)) {
    r.nhs_number = (*entry)->patient_key;
  }
  ctx.audit.push_back(std::move(r));
  return {};
}

Result<void> admin_replay(const http::Request& req, RequestContext& ctx, http::Response& res,
                          store::MessageStore& messages, const std::string& actor) {
  auto ids = outbox_ids(req, nullptr);
  if (!ids) {
    return ids.error();
  }
  auto n = messages.replay(*ids, actor);
  if (!n) {
    return n.error();
  }
  json_response(res, R"({"replayed":)" + std::to_string(*n) + "}");
  ctx.audit.push_back(operator_record(
      audit::EventType::kMessageReplayed,
      "replayed " + std::to_string(*n) + " of dead letters [" + id_list(*ids) + "]"));
  return {};
}

Result<void> admin_discard(const http::Request& req, RequestContext& ctx, http::Response& res,
                           store::MessageStore& messages, const std::string& actor) {
  std::string reason;
  auto ids = outbox_ids(req, &reason);
  if (!ids) {
    return ids.error();
  }
  auto n = messages.discard(*ids, reason, actor);
  if (!n) {
    return n.error();
  }
  json_response(res, R"({"discarded":)" + std::to_string(*n) + "}");
  // The reason is the operator's own words: kept whole in the store, shortened here.
  ctx.audit.push_back(operator_record(audit::EventType::kMessageDeadLettered,
                                      "discarded " + std::to_string(*n) + " of dead letters [" +
                                          id_list(*ids) + "]: " + reason.substr(0, 200)));
  return {};
}

Result<void> admin_journal(const http::Request& req, RequestContext& ctx, http::Response& res,
                           store::MessageStore& messages) {
  auto parsed = journal_filter(req);
  if (!parsed) {
    return parsed.error();
  }
  const store::JournalFilter& filter = *parsed;
  auto page = messages.journal_entries(filter);
  if (!page) {
    return page.error();
  }
  std::string body = R"({"entries":[)";
  for (std::size_t i = 0; i < page->size(); ++i) {
    if (i > 0) {
      body += ",";
    }
    body += journal_json((*page)[i]);
  }
  body += "]";
  if (page->size() == filter.limit && !page->empty()) {
    std::string next = "/admin/journal?after=" + std::to_string(page->back().id.value) +
                       "&_count=" + std::to_string(filter.limit);
    if (filter.status) {
      next.append("&status=").append(store::journal_status_code(*filter.status));
    }
    if (filter.sender) {
      next.append("&sender=").append(filter.sender->str());
    }
    body += R"(,"next":)" + jstr(next);
  }
  json_response(res, body + "}");
  ctx.audit.push_back(
      operator_record(audit::EventType::kRecordSearch,
                      "message journal listed (" + std::to_string(page->size()) + " entries)"));
  return {};
}

Result<void> admin_reprocess(const http::Request& req, RequestContext& ctx, http::Response& res,
                             ingest::Ingest& ingest, const ingest::AdapterSet& adapters,
                             store::MessageStore& messages, const std::string& actor) {
  auto ids = ids_body(req, "journal entry ids", nullptr);
  if (!ids) {
    return ids.error();
  }
  const auto adapter_for = [&adapters](std::string_view name) { return adapters.find(name); };
  std::string body = R"({"results":[)";
  std::size_t processed = 0;
  for (std::size_t i = 0; i < ids->size(); ++i) {
    const auto id = (*ids)[i];
    auto r = ingest.reprocess(store::JournalId{id}, actor, adapter_for);
    processed += r && r->code == ingest::AckRequest::Code::kAccepted ? 1 : 0;
    body += i == 0 ? "" : ",";
    body += reprocess_result(id, r, messages);
  }
  json_response(res, body + "]}");
  // Each message's own filing and routing is audited by ingest as it happens; this records
  // the operator's action.
  ctx.audit.push_back(operator_record(audit::EventType::kMessageReplayed,
                                      "reprocessed journal entries [" + id_list(*ids) +
                                          "]: " + std::to_string(processed) + " processed"));
  return {};
}

}  // namespace gw::pipeline
