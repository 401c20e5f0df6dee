// POST /fhir/Patient/{id}/$gpc-refresh: a clinician's or integrator's request that the gateway
// ask the patient's GP practice for the GP Connect structured record now (gateway/gpconnect).
// What comes back is filed like a pushed record; the answer is only a summary (counts and ids),
// so nothing clinical is disclosed to the caller by this route.
#include <optional>

#include <rapidjson/document.h>

#include "gateway/fhir/json.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/record/context.hpp"

namespace gw::pipeline {
namespace {

/** Target: whose record (the NHS number GP Connect needs) and the person, when known. */
struct Target {
  NhsNumber nhs_number;
  std::optional<store::PersonView> person;
};

Result<Target> find_target(identity::MpiService& mpi, std::string_view id) {
  auto found = lookup_patient(mpi, id);
  if (!found) {
    return found.error();
  }
  if (found->ref.nhs_number) {
    return Target{*found->ref.nhs_number, std::move(found->person)};
  }
  if (!found->person) {
    return make_error(Errc::kNotFound, "no patient with that id is known to this gateway");
  }
  if (!found->person->person.nhs_number) {
    return make_error(Errc::kUnprocessable,
                      "this patient has no NHS number, which a GP Connect query needs");
  }
  return Target{*found->person->person.nhs_number, std::move(found->person)};
}

/** practice_of: ?practice=<ODS>, else the registered practice the record shows. */
Result<OdsCode> practice_of(const http::Request& req, const RequestContext& ctx,
                            const Target& target, store::RecordStore& records) {
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::optional<std::string> named;
  for (const auto& [name, value] : *params) {
    if (name == "practice") {
      named = value;
    } else if (name != "_format") {
      return make_error(Errc::kBadRequest, "unknown parameter '" + name +
                                               "' ($gpc-refresh takes practice and _format)");
    }
  }
  if (named) {
    auto ods = OdsCode::parse(*named);
    if (!ods) {
      return make_error(Errc::kBadRequest, "practice: " + ods.error().detail);
    }
    return *ods;
  }
  if (!target.person) {
    return make_error(Errc::kNotFound,
                      "this patient is not known to this gateway, so their registered practice "
                      "is not either: name the practice with ?practice=<ODS code>");
  }
  auto context = record::gather_patient_context(*ctx.config, records, *target.person);
  if (!context) {
    return context.error();
  }
  if (context->registered_practice.empty()) {
    return make_error(Errc::kNotFound,
                      "no registered practice is known for this patient: name the practice with "
                      "?practice=<ODS code>");
  }
  auto ods = OdsCode::parse(context->registered_practice);
  if (!ods) {
    return make_error(Errc::kInternal, "the registered practice on record is not an ODS code");
  }
  return *ods;
}

/** summary_json: the outcome as a FHIR Parameters resource. */
std::string summary_json(const gpconnect::FetchOutcome& out) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Parameters", a);
  rapidjson::Value params(rapidjson::kArrayType);
  auto add = [&](const char* name, const char* type, rapidjson::Value v) {
    rapidjson::Value p(rapidjson::kObjectType);
    p.AddMember("name", rapidjson::StringRef(name), a);
    p.AddMember(rapidjson::StringRef(type), v, a);
    params.PushBack(p, a);
  };
  auto text = [&](const std::string& s) {
    return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  add("practice", "valueString", text(out.practice.str()));
  add("trace-id", "valueString", text(out.trace_id));
  if (out.journal) {
    add("journal-id", "valueString", text(std::to_string(out.journal->value)));
  }
  add("filed", "valueInteger", rapidjson::Value(static_cast<std::int64_t>(out.filed)));
  add("routed", "valueInteger", rapidjson::Value(static_cast<std::int64_t>(out.queued)));
  add("duplicate", "valueBoolean", rapidjson::Value(out.duplicate));
  d.AddMember("parameter", params, a);
  return fhir::to_json(d);
}

}  // namespace

Result<void> gpconnect_refresh(const http::Request& req, RequestContext& ctx, http::Response& res,
                               const Backends& backends) {
  if (backends.gpconnect == nullptr || backends.mpi == nullptr || backends.records == nullptr) {
    return make_error(Errc::kUnavailable,
                      "this gateway does not query practices over GP Connect (no GP Connect "
                      "client, patient index or record store)");
  }
  if (!ctx.route || ctx.route->params.empty() || !ctx.user || !ctx.config) {
    return make_error(Errc::kInternal, "$gpc-refresh without a patient id, user or config");
  }
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto target = find_target(*backends.mpi, ctx.route->params.front());
  if (!target) {
    return target.error();
  }
  // The audit record names the patient from here on, whatever the outcome.
  audit::AuditRecord r;
  r.type = audit::EventType::kRecordRead;
  r.nhs_number = target->nhs_number.str();
  r.detail = "GP Connect structured record request";
  ctx.audit.push_back(std::move(r));
  auto practice = practice_of(req, ctx, *target, *backends.records);
  if (!practice) {
    return practice.error();
  }
  audit::AuditRecord& audit_record = ctx.audit.back();
  audit_record.peer_ods = practice->str();
  audit_record.detail = "GP Connect structured record requested from practice " + practice->str();
  const gpconnect::Requester requester{ctx.user->user.id, ctx.user->user.name,
                                       ctx.user->user.role_code};
  auto out = backends.gpconnect->fetch(
      *ctx.config,
      gpconnect::FetchRequest{target->nhs_number, *practice, requester, ctx.request_id});
  if (!out) {
    audit_record.detail.append(": ").append(out.error().detail);
    return out.error();
  }
  audit_record.message_id = out->trace_id;
  audit_record.detail.append(": ")
      .append(std::to_string(out->filed))
      .append(" resources filed (journal ")
      .append(out->journal ? std::to_string(out->journal->value) : std::string("-"))
      .append(", Ssp-TraceID ")
      .append(out->trace_id)
      .append(out->duplicate ? ", already received" : "")
      .append(")");
  return set_fhir_body(res, summary_json(*out), *fmt);
}

}  // namespace gw::pipeline
