// System-to-system operations: providers push messages (FHIR messaging, ITK SOAP, native
// adapter formats) and fetch what is queued for them (the pull mailbox). The calling system is
// the client certificate's organisation; no user token is involved.
#include <charconv>

#include <rapidjson/document.h>

#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/ingest/fhir_message.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"

namespace gw::pipeline {

namespace {

constexpr std::size_t kDefaultMailboxPage = 50;
constexpr std::size_t kMaxMailboxPage = 500;

/** adapter_for: which adapter reads this request's body. */
Result<const ingest::InboundAdapter*> adapter_for(const http::Request& req,
                                                  const RequestContext& ctx,
                                                  const ingest::AdapterSet& adapters) {
  std::string name;
  switch (ctx.route->op) {
    case http::Operation::kProcessMessage:
      // ITK3 Transfer of Care is FHIR STU3 (MessageHeader.event); everything else R4.
      name = ingest::is_stu3_message(req.body) ? "itk3" : "fhir-r4";
      break;
    case http::Operation::kItkMessage:
      name = "itk";
      break;
    case http::Operation::kAdapterPush:
      name = ctx.route->params.empty() ? std::string() : ctx.route->params[0];
      break;
    default:
      return make_error(Errc::kInternal, "not a message operation");
  }
  const auto* a = adapters.find(name);
  if (a == nullptr) {
    return make_error(Errc::kNotFound,
                      "this gateway has no '" + name + "' adapter; it has: " + adapters.names());
  }
  return a;
}

std::string json_string(std::string_view s) {
  rapidjson::Value v(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return fhir::to_json(v);
}

}  // namespace

Result<void> inbound_message(const http::Request& req, RequestContext& ctx, http::Response& res,
                             const Backends& backends) {
  if (backends.ingest == nullptr || backends.adapters == nullptr) {
    return make_error(Errc::kUnavailable, "this gateway is not receiving messages");
  }
  if (ctx.organisation == nullptr) {
    return make_error(Errc::kForbidden,
                      "messages are accepted only from a configured organisation's client "
                      "certificate (the provider port)");
  }
  if (req.body.empty()) {
    return make_error(Errc::kBadRequest, "the request has no message in its body");
  }
  auto adapter = adapter_for(req, ctx, *backends.adapters);
  if (!adapter) {
    return adapter.error();
  }
  ingest::Receipt receipt{ctx.organisation->ods, ctx.peer.subject, ctx.remote_address,
                          ctx.request_id, std::string(req.headers.get("Content-Type"))};
  auto reply = backends.ingest->receive(**adapter, receipt, req.body);
  res.status = static_cast<unsigned>(reply.status);
  res.headers.set("Content-Type", reply.content_type);
  if (reply.status == 503) {
    res.headers.set("Retry-After", "5");
  }
  if (reply.duplicate) {
    res.headers.set("X-Caregw-Duplicate", "true");
  }
  res.body = std::move(reply.body);
  return {};
}

Result<void> mailbox_fetch(const http::Request& req, RequestContext& ctx, http::Response& res,
                           store::MessageStore& messages) {
  std::size_t limit = kDefaultMailboxPage;
  if (std::string v; http::query_param(req.query(), "limit", v)) {
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || end != v.data() + v.size() || limit == 0 || limit > kMaxMailboxPage) {
      return make_error(Errc::kBadRequest, "limit must be a whole number from 1 to " +
                                               std::to_string(kMaxMailboxPage));
    }
  }
  auto entries = messages.mailbox_fetch(ctx.organisation->ods, limit);
  if (!entries) {
    return entries.error();
  }
  std::string body =
      R"({"recipient":)" + json_string(ctx.organisation->ods.str()) + R"(,"messages":[)";
  bool first = true;
  for (const auto& e : *entries) {
    body += first ? "" : ",";
    first = false;
    body += R"({"id":)" + std::to_string(e.id.value) + R"(,"idempotency_key":)" +
            json_string(e.idempotency_key) + R"(,"kind":)" + json_string(e.kind) +
            R"(,"queued_at":)" + json_string(fhir::format_instant(e.queued_at)) +
            R"(,"content_type":)" + json_string(e.content_type) + R"(,"payload":)" +
            json_string(e.payload) + "}";
    // Each message handed over is a disclosure to the recipient organisation.
    audit::AuditRecord r;
    r.type = audit::EventType::kDisclosure;
    r.decision = audit::Decision::kPermit;
    r.peer_ods = ctx.organisation->ods.str();
    r.message_id = e.idempotency_key;
    r.nhs_number = e.patient_key.size() == 10 ? e.patient_key : std::string();
    r.detail =
        "mailbox fetch of outbound message " + std::to_string(e.id.value) + " (" + e.kind + ")";
    ctx.audit.push_back(std::move(r));
  }
  body += "]}";
  if (ctx.audit.empty()) {
    audit::AuditRecord r;
    r.type = audit::EventType::kDisclosure;
    r.decision = audit::Decision::kPermit;
    r.peer_ods = ctx.organisation->ods.str();
    r.detail = "mailbox fetch: nothing queued";
    ctx.audit.push_back(std::move(r));
  }
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = std::move(body);
  return {};
}

Result<void> mailbox_ack(const http::Request& req, RequestContext& ctx, http::Response& res,
                         store::MessageStore& messages) {
  auto doc = fhir::parse_json(req.body);
  if (!doc) {
    return make_error(Errc::kBadRequest, "body: " + doc.error().detail);
  }
  const auto it = doc->IsObject() ? doc->FindMember("ids") : doc->MemberEnd();
  if (it == doc->MemberEnd() || !it->value.IsArray() || it->value.Empty()) {
    return make_error(Errc::kBadRequest,
                      R"(body: expected {"ids": [<message id>, ...]} with at least one id)");
  }
  std::vector<store::OutboxId> ids;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    const auto& v = it->value[i];
    if (!v.IsInt64() || v.GetInt64() <= 0) {
      return make_error(Errc::kBadRequest,
                        "body: ids[" + std::to_string(i) + "] is not a message id (a number)");
    }
    ids.push_back(store::OutboxId{v.GetInt64()});
  }
  auto n = messages.mailbox_ack(ctx.organisation->ods, ids);
  if (!n) {
    return n.error();
  }
  audit::AuditRecord r;
  r.type = audit::EventType::kMessageDelivered;
  r.peer_ods = ctx.organisation->ods.str();
  r.detail = "mailbox acknowledged " + std::to_string(*n) + " of " + std::to_string(ids.size()) +
             " messages";
  ctx.audit.push_back(std::move(r));
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = R"({"acknowledged":)" + std::to_string(*n) + "}";
  return {};
}

}  // namespace gw::pipeline
