// Operator actions on the delivery queues: per-recipient queue depths, the dead-letter queue,
// inspecting one outbound message, replaying and discarding dead letters. Each request needs a
// user token with the `operations` purpose (checked by the dispatch stage) and each is audited.
#include <charconv>

#include <rapidjson/document.h>

#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
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

/** ids_body: {"ids": [n, ...]} (and the reason, when asked for). */
Result<std::vector<store::OutboxId>> ids_body(const http::Request& req, std::string* reason) {
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
                                             std::to_string(store::kMaxOutboxPage) +
                                             " outbound message ids");
  }
  std::vector<store::OutboxId> ids;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    if (!it->value[i].IsInt64() || it->value[i].GetInt64() <= 0) {
      return make_error(Errc::kBadRequest, "body: ids[" + std::to_string(i) + "] is not an id");
    }
    ids.push_back(store::OutboxId{it->value[i].GetInt64()});
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

audit::AuditRecord operator_record(audit::EventType type, std::string detail) {
  audit::AuditRecord r;
  r.type = type;
  r.detail = std::move(detail);
  return r;
}

std::string id_list(const std::vector<store::OutboxId>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) {
      out += ',';
    }
    out += std::to_string(id.value);
  }
  return out;
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
  for (const auto& [k, v] : *params) {
    if (k == "recipient") {
      auto ods = OdsCode::parse(v);
      if (!ods) {
        return make_error(Errc::kBadRequest, "recipient: " + ods.error().detail);
      }
      filter.recipient = *ods;
    } else if (k == "after") {
      auto id = parse_id(v, "after");
      if (!id) {
        return id.error();
      }
      filter.after = store::OutboxId{*id};
    } else if (k == "_count") {
      auto n = parse_id(v, "_count");
      if (!n || *n > static_cast<std::int64_t>(store::kMaxOutboxPage)) {
        return make_error(Errc::kBadRequest,
                          "_count must be 1 to " + std::to_string(store::kMaxOutboxPage));
      }
      filter.limit = static_cast<std::size_t>(*n);
    } else {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + k + "' (known: recipient, after, _count)");
    }
  }
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
  auto ids = ids_body(req, nullptr);
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
  auto ids = ids_body(req, &reason);
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

}  // namespace gw::pipeline
