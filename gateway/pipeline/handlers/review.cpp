// The MPI review worklist over HTTP: list, inspect (both sides), decide. JSON, not FHIR: the
// worklist is an operator screen, not a clinical resource.
#include <algorithm>
#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"

namespace gw::pipeline {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, std::string_view k, std::string_view v) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

/** raw: an already-serialised JSON value (the stored JSON documents, Patient resources). */
void raw(Writer& w, std::string_view k, std::string_view json) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void write_item(Writer& w, const store::ReviewItem& item) {
  w.StartObject();
  field(w, "id", std::to_string(item.id.value));
  field(w, "kind", store::review_kind_code(item.kind));
  field(w, "status", store::review_status_code(item.status));
  field(w, "source", item.source.str());
  if (item.local_id) {
    field(w, "local_id_system",
          identity::local_id_system(item.local_id->source, item.local_id->type));
    field(w, "local_id", item.local_id->value);
  }
  field(w, "message_id", item.message_id);
  field(w, "created_at", fhir::format_instant(item.created_at));
  raw(w, "incoming", item.incoming_json.empty() ? "{}" : item.incoming_json);
  raw(w, "scores", item.scores_json.empty() ? "{}" : item.scores_json);
  w.Key("candidates");
  w.StartArray();
  for (const auto& c : item.candidates) {
    w.StartObject();
    field(w, "person", "mpi-" + std::to_string(c.person.value));
    if (c.score) {
      w.Key("score");
      w.Double(*c.score);
    }
    w.EndObject();
  }
  w.EndArray();
  if (item.status != store::ReviewStatus::kOpen) {
    field(w, "resolved_by", item.resolved_by);
    if (item.resolved_at) {
      field(w, "resolved_at", fhir::format_instant(*item.resolved_at));
    }
    if (item.resolved_person) {
      field(w, "resolved_person", "mpi-" + std::to_string(item.resolved_person->value));
    }
    field(w, "note", item.note);
  }
  w.EndObject();
}

Result<std::int64_t> parse_positive(std::string_view text, std::string_view what) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < 0) {
    return make_error(Errc::kBadRequest, std::string(what) + " must be a whole number");
  }
  return n;
}

void set_json(http::Response& res, unsigned status, std::string body) {
  res.status = status;
  res.headers.set("Content-Type", "application/json");
  res.body = std::move(body);
}

}  // namespace

Result<void> review_list(const http::Request& req, RequestContext& ctx, http::Response& res,
                         identity::MpiService& mpi) {
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  store::ReviewFilter filter;
  for (const auto& [name, value] : *params) {
    if (name == "status") {
      if (value == "any") {
        filter.status.reset();
      } else if (auto s = store::parse_review_status(value)) {
        filter.status = *s;
      } else {
        return make_error(Errc::kBadRequest,
                          "status must be open, linked, not-duplicate, new-person or any");
      }
    } else if (name == "kind") {
      auto k = store::parse_review_kind(value);
      if (!k) {
        return make_error(Errc::kBadRequest, "kind must be possible-match or nhs-number-conflict");
      }
      filter.kind = *k;
    } else if (name == "after") {
      auto n = parse_positive(value, "after");
      if (!n) {
        return n.error();
      }
      filter.after = store::ReviewItemId{*n};
    } else if (name == "_count") {
      auto n = parse_positive(value, "_count");
      if (!n) {
        return n.error();
      }
      filter.limit =
          std::clamp<std::size_t>(static_cast<std::size_t>(*n), 1, store::kMaxReviewPage);
    } else {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + name + "' (status, kind, after, _count)");
    }
  }
  audit::AuditRecord r;
  r.type = audit::EventType::kMpiReview;
  r.detail = "listed the review worklist";
  ctx.audit.push_back(std::move(r));
  auto items = mpi.review_items(filter);
  if (!items) {
    return items.error();
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& item : *items) {
    write_item(w, item);
  }
  w.EndArray();
  if (items->size() == filter.limit && !items->empty()) {
    // Cursor paging by item id: stable while new items arrive (they have larger ids).
    field(w, "next", "after=" + std::to_string(items->back().id.value));
  }
  w.EndObject();
  set_json(res, 200, {buf.GetString(), buf.GetSize()});
  return {};
}

Result<void> review_inspect(RequestContext& ctx, http::Response& res, identity::MpiService& mpi,
                            const std::string& actor) {
  auto id = parse_positive(ctx.route->params.front(), "the review item id");
  if (!id) {
    return id.error();
  }
  audit::AuditRecord r;
  r.type = audit::EventType::kMpiReview;
  r.detail = "inspected review item " + std::to_string(*id);
  ctx.audit.push_back(std::move(r));
  auto found = mpi.inspect(store::ReviewItemId{*id}, actor);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return make_error(Errc::kNotFound, "no such review item");
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("item");
  write_item(w, (*found)->item);
  w.Key("candidates");
  w.StartArray();
  for (const auto& c : (*found)->candidates) {
    const std::string patient = identity::patient_json(c);
    w.RawValue(patient.c_str(), patient.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.EndObject();
  set_json(res, 200, {buf.GetString(), buf.GetSize()});
  return {};
}

Result<void> review_decide(const http::Request& req, RequestContext& ctx, http::Response& res,
                           identity::MpiService& mpi, const std::string& actor) {
  auto id = parse_positive(ctx.route->params.front(), "the review item id");
  if (!id) {
    return id.error();
  }
  auto doc = fhir::parse_json(req.body, fhir::ParseLimits{64 * 1024, 10});
  if (!doc) {
    return make_error(Errc::kBadRequest, "the decision is not valid JSON: " + doc.error().detail);
  }
  if (!doc->IsObject() || !doc->HasMember("decision") || !(*doc)["decision"].IsString()) {
    return make_error(Errc::kBadRequest,
                      R"(the body must be {"decision": "link" | "not-duplicate" | "new-person", )"
                      R"("person": "<Patient id, for link>", "note": "..."})");
  }
  identity::ReviewDecision decision;
  auto kind = identity::parse_review_decision((*doc)["decision"].GetString());
  if (!kind) {
    return make_error(Errc::kBadRequest, "decision must be link, not-duplicate or new-person");
  }
  decision.kind = *kind;
  decision.actor = actor;
  if (doc->HasMember("note")) {
    if (!(*doc)["note"].IsString()) {
      return make_error(Errc::kBadRequest, "note must be a string");
    }
    decision.note = (*doc)["note"].GetString();
  }
  if (doc->HasMember("person")) {
    if (!(*doc)["person"].IsString()) {
      return make_error(Errc::kBadRequest, "person must be a Patient id (string)");
    }
    auto ref = identity::parse_patient_id((*doc)["person"].GetString());
    if (!ref) {
      return ref.error();
    }
    if (ref->person) {
      decision.person = *ref->person;
    } else {
      auto holder = mpi.find_by_nhs_number(*ref->nhs_number);
      if (!holder) {
        return holder.error();
      }
      if (!holder->has_value()) {
        return make_error(Errc::kNotFound, "no patient holds that NHS number");
      }
      decision.person = (*holder)->person.id;
    }
  }
  audit::AuditRecord r;
  r.type = audit::EventType::kMpiReview;
  r.detail = "review item " + std::to_string(*id) + ": " + (*doc)["decision"].GetString();
  ctx.audit.push_back(std::move(r));
  auto person = mpi.resolve(store::ReviewItemId{*id}, decision);
  if (!person) {
    return person.error();
  }
  auto view = mpi.person(*person);
  if (!view) {
    return view.error();
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  field(w, "item", std::to_string(*id));
  field(w, "decision", (*doc)["decision"].GetString());
  if (view->has_value()) {
    raw(w, "patient", identity::patient_json(**view));
    if ((*view)->person.nhs_number) {
      ctx.audit.back().nhs_number = (*view)->person.nhs_number->str();
    }
  }
  w.EndObject();
  set_json(res, 200, {buf.GetString(), buf.GetSize()});
  return {};
}

Result<void> review_unmerge(const http::Request& req, RequestContext& ctx, http::Response& res,
                            identity::MpiService& mpi, const std::string& actor) {
  auto doc = fhir::parse_json(req.body, fhir::ParseLimits{64 * 1024, 10});
  if (!doc || !doc->IsObject() || !doc->HasMember("person") || !(*doc)["person"].IsString() ||
      !doc->HasMember("reason") || !(*doc)["reason"].IsString() ||
      std::string_view((*doc)["reason"].GetString()).empty()) {
    return make_error(Errc::kBadRequest,
                      R"(the body must be {"person": "mpi-<n>" (the merged record), )"
                      R"("reason": "why the merge was wrong"})");
  }
  auto ref = identity::parse_patient_id((*doc)["person"].GetString());
  if (!ref) {
    return ref.error();
  }
  if (!ref->person) {
    return make_error(Errc::kBadRequest,
                      "name the merged record by its mpi-<n> id (an NHS number resolves to the "
                      "surviving person)");
  }
  audit::AuditRecord r;
  r.type = audit::EventType::kMpiReview;
  r.detail = "unmerged mpi-" + std::to_string(ref->person->value);
  ctx.audit.push_back(std::move(r));
  if (auto done = mpi.unmerge(*ref->person, (*doc)["reason"].GetString(), actor, ctx.request_id);
      !done) {
    return done.error();
  }
  auto view = mpi.person(*ref->person);
  if (!view) {
    return view.error();
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  field(w, "unmerged", "mpi-" + std::to_string(ref->person->value));
  if (view->has_value()) {
    raw(w, "patient", identity::patient_json(**view));
  }
  w.EndObject();
  set_json(res, 200, {buf.GetString(), buf.GetSize()});
  return {};
}

}  // namespace gw::pipeline
