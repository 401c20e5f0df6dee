// POST /policy/explain: the policy engine's decision on a recorded request, with the chain of
// reasons, for IG leads (any request) and for any user (their own requests). GET /policy/explain:
// the decision now for a requester, purpose, patient and kind of data (IG and integrators).
#include <filesystem>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/fhir/json.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/explain_query.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/policy/explain.hpp"
#include "gateway/policy/recorded_input.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/record/context.hpp"

namespace gw::pipeline {
namespace {

/** kMaxResources: resources explained in one request at most. */
constexpr std::size_t kMaxResources = 1000;
/** kMaxAgreements, kMaxInputs: the bounds of one POST /policy/dry-run. */
constexpr std::size_t kMaxAgreements = 100;
constexpr std::size_t kMaxInputs = 10000;

constexpr std::string_view kDryRunShape =
    "the body must be JSON: {\"agreements\": [\"<one agreement as YAML>\", ...], \"inputs\": "
    "[<recorded request>, ...], \"since\": \"<UTC instant>\" (optional)}";

Error dry_run_error(std::string_view what) {
  std::string detail(kDryRunShape);
  detail.append(": ").append(what);
  return make_error(Errc::kBadRequest, std::move(detail));
}

/** proposed_set: the agreements in force with the body's agreements replacing (or added). */
Result<std::vector<policy::Agreement>> proposed_set(const rapidjson::Value& list,
                                                    const policy::PolicyIndex& index,
                                                    const config::Config& config,
                                                    policy::TimePoint now) {
  if (!list.IsArray() || list.Empty() || list.Size() > kMaxAgreements) {
    return dry_run_error("'agreements' must be a list of 1 to " + std::to_string(kMaxAgreements) +
                         " agreements, each as YAML text");
  }
  std::vector<policy::Agreement> proposed = index.agreements();
  std::vector<config::Diagnostic> errors;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const std::string name = "agreements[" + std::to_string(i) + "]";
    if (!list[i].IsString()) {
      return dry_run_error(name + " must be a string (the agreement's YAML)");
    }
    auto one = policy::parse_agreement({list[i].GetString(), list[i].GetStringLength()}, name);
    errors.insert(errors.end(), one.errors.begin(), one.errors.end());
    for (auto& a : one.agreements) {
      std::erase_if(proposed, [&](const policy::Agreement& x) { return x.id == a.id; });
      proposed.push_back(std::move(a));
    }
  }
  if (errors.empty()) {
    policy::check_agreements(proposed, config, now, errors);
  }
  if (!errors.empty()) {
    std::string detail = "the proposed agreements have problems:";
    for (const auto& d : errors) {
      detail.append(" ").append(d.str()).append(";");
    }
    return make_error(Errc::kBadRequest, std::move(detail));
  }
  return proposed;
}

/** recorded_inputs: the body's inputs (each the JSON of POST /policy/explain), from `since`. */
Result<std::vector<policy::RecordedInput>> recorded_inputs(const rapidjson::Value& list,
                                                           std::optional<policy::TimePoint> since) {
  if (!list.IsArray() || list.Size() > kMaxInputs) {
    return dry_run_error("'inputs' must be a list of at most " + std::to_string(kMaxInputs) +
                         " recorded requests");
  }
  std::vector<policy::RecordedInput> out;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    list[i].Accept(w);
    auto in = policy::parse_recorded_input({sb.GetString(), sb.GetSize()});
    if (!in) {
      return make_error(Errc::kBadRequest,
                        "inputs[" + std::to_string(i) + "]: " + in.error().detail);
    }
    if (!since || in->at >= *since) {
      out.push_back(std::move(*in));
    }
  }
  return out;
}

/** recent_inputs: the most recent inputs the gateway recorded (at most kMaxInputs). */
Result<std::vector<policy::RecordedInput>> recent_inputs(const std::filesystem::path& dir,
                                                         std::optional<policy::TimePoint> since) {
  auto r = policy::read_recorded(dir, kMaxInputs, since);
  if (!r) {
    // The error names the file; the detail goes to the caller, who may read the folder anyway.
    return make_error(Errc::kInternal, "the recorded decision inputs cannot be read");
  }
  return std::move(r->inputs);
}

/** may_explain: IG leads may explain any request; anyone else only their own. */
Result<void> may_explain(const RequestContext& ctx, const policy::RecordedInput& in) {
  if (!ctx.user) {
    return make_error(Errc::kInternal, "policy explain without a user");
  }
  const policy::User& u = ctx.user->user;
  if (u.purpose == policy::Purpose::kIgAudit) {
    return {};
  }
  if (in.requester.user.id == u.id && in.requester.user.ods == u.ods) {
    return {};
  }
  return make_error(Errc::kForbidden,
                    "you may explain only your own requests (requester.user and "
                    "requester.organisation must be yours); information governance staff (purpose "
                    "of use " +
                        std::string(policy::purpose_name(policy::Purpose::kIgAudit)) +
                        ") may explain any");
}

}  // namespace

Result<void> policy_explain(const http::Request& req, RequestContext& ctx, http::Response& res,
                            const policy::PolicyIndex& index) {
  audit::AuditRecord& audit_record = ctx.audit.emplace_back();
  audit_record.type = audit::EventType::kAccessDecision;
  audit_record.detail = "policy explain";
  auto in = policy::parse_recorded_input(req.body);
  if (!in) {
    return make_error(Errc::kBadRequest,
                      "the body must be one recorded request as JSON (the shape `caregw policy "
                      "dry-run` reads; gateway/policy/recorded_input.hpp): " +
                          in.error().detail);
  }
  if (in->resources.size() > kMaxResources) {
    return make_error(Errc::kBadRequest, "at most " + std::to_string(kMaxResources) +
                                             " resources can be explained in one request");
  }
  // The audit log names the patient asked about (IG needs it); only a valid number is kept.
  if (auto nhs = NhsNumber::parse(in->patient.nhs_number)) {
    audit_record.nhs_number = nhs->str();
  }
  if (auto allowed = may_explain(ctx, *in); !allowed) {
    return allowed.error();
  }
  const policy::BreakGlassGrant* bg = in->break_glass ? &*in->break_glass : nullptr;
  // Decided at the recorded time, under the agreements in force now.
  const auto overall = policy::explain(index, in->requester, in->patient, std::nullopt, in->at, bg);
  std::vector<policy::ExplainedResource> resources;
  resources.reserve(in->resources.size());
  std::size_t permitted = 0;
  for (const auto& r : in->resources) {
    auto e = policy::explain(index, in->requester, in->patient, r.facts(), in->at, bg);
    permitted += e.effect == policy::Effect::kPermit ? 1 : 0;
    resources.push_back({r.id, std::move(e)});
  }
  // Enumerations only: the detail never carries text the caller typed.
  audit_record.dsa_rule = std::string(policy::rule_name(overall.rule));
  audit_record.detail = "policy explain: " + std::string(policy::effect_name(overall.effect)) +
                        " (" + std::string(policy::rule_name(overall.rule)) + "); " +
                        std::to_string(permitted) + " of " + std::to_string(in->resources.size()) +
                        " resources permitted";
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = policy::explain_answer_json(in->id, in->at, overall, resources);
  return {};
}

Result<void> policy_dry_run(const http::Request& req, RequestContext& ctx, http::Response& res,
                            const policy::PolicyIndex& index,
                            const policy::InputRecorder* recorded) {
  audit::AuditRecord& audit_record = ctx.audit.emplace_back();
  audit_record.type = audit::EventType::kAccessDecision;
  audit_record.detail = "policy dry run";
  if (!ctx.config) {
    return make_error(Errc::kInternal, "policy dry run without a config");
  }
  auto body = fhir::parse_json(req.body);
  if (!body || !body->IsObject() || !body->HasMember("agreements")) {
    return dry_run_error("'agreements' is required");
  }
  const bool given = body->HasMember("inputs");
  if (!given && recorded == nullptr) {
    return make_error(Errc::kUnavailable,
                      "this gateway records no decision inputs (policy.recorded_inputs_days is "
                      "0): give 'inputs'");
  }
  std::optional<policy::TimePoint> since;
  if (body->HasMember("since")) {
    const auto& v = (*body)["since"];
    since =
        v.IsString() ? policy::parse_instant({v.GetString(), v.GetStringLength()}) : std::nullopt;
    if (!since) {
      return dry_run_error("'since' must be a UTC instant YYYY-MM-DDThh:mm:ssZ");
    }
  }
  const auto now = std::chrono::system_clock::now();
  auto proposed = proposed_set((*body)["agreements"], index, *ctx.config, now);
  if (!proposed) {
    return proposed.error();
  }
  auto inputs = given ? recorded_inputs((*body)["inputs"], since)
                      : recent_inputs(recorded->options().dir, since);
  if (!inputs) {
    return inputs.error();
  }
  const policy::PolicyIndex after(std::move(*proposed), ctx.config->organisations, index.rules());
  const auto changes = policy::dry_run(index, after, *inputs);
  std::string out = "{\"replayed\":";
  out.append(std::to_string(inputs->size()))
      .append(",\"changes\":")
      .append(policy::dry_run_json(changes))
      .append("}");
  audit_record.detail = "policy dry run: " + std::to_string(inputs->size()) +
                        " recorded requests replayed, " + std::to_string(changes.size()) +
                        " would change";
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = std::move(out);
  return {};
}

Result<void> policy_explain_query(const http::Request& req, RequestContext& ctx,
                                  http::Response& res, const policy::PolicyIndex& index,
                                  identity::MpiService& mpi, store::RecordStore& records) {
  audit::AuditRecord& audit_record = ctx.audit.emplace_back();
  audit_record.type = audit::EventType::kAccessDecision;
  audit_record.detail = "policy explain (query)";
  if (!ctx.config) {
    return make_error(Errc::kInternal, "policy explain without a config");
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  auto q = parse_explain_query(*params);
  if (!q) {
    return q.error();
  }
  audit_record.nhs_number = q->nhs_number;
  auto nhs = NhsNumber::parse(q->nhs_number);
  if (!nhs) {
    return make_error(Errc::kInternal, "a checked NHS number no longer parses");
  }
  auto found = mpi.find_by_nhs_number(*nhs);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return make_error(Errc::kNotFound,
                      "parameter 'patient': no patient with that NHS number is known to this "
                      "gateway, so there is no context (registration, episodes, objection) to "
                      "decide on");
  }
  // A merged number answers for the survivor: the context is the surviving person's.
  auto patient = record::gather_patient_context(*ctx.config, records, **found);
  if (!patient) {
    return patient.error();
  }
  const auto now = std::chrono::system_clock::now();
  const policy::Requester who{q->user.ods, q->user};
  std::optional<policy::BreakGlassGrant> bg;
  if (q->break_glass) {
    // As if this user had just broken the glass for this patient.
    bg = policy::BreakGlassGrant{q->user.id, patient->nhs_number,        q->break_glass_reason, "",
                                 now,        now + std::chrono::hours(1)};
  }
  const policy::ResourceFacts facts{q->resource_type, "", q->category, q->sensitivity, q->source};
  const auto e = policy::explain(index, who, *patient, facts, now, bg ? &*bg : nullptr);
  // Enumerations only: the detail never carries text the caller typed.
  audit_record.dsa_rule = std::string(policy::rule_name(e.rule));
  std::string detail = "policy explain (query): ";
  detail.append(policy::effect_name(e.effect))
      .append(" (")
      .append(policy::rule_name(e.rule))
      .append(") for ")
      .append(policy::category_name(q->category))
      .append(" by role ")
      .append(q->user.role_code)
      .append(" of ")
      .append(q->user.ods)
      .append(" for ")
      .append(policy::purpose_name(q->user.purpose))
      .append(q->break_glass ? ", with break-glass" : "");
  audit_record.detail = std::move(detail);
  // Explanation::agreement is "<id> v<version>".
  if (const auto v = e.agreement.rfind(" v"); v != std::string::npos) {
    audit_record.dsa_id = e.agreement.substr(0, v);
    audit_record.dsa_version = e.agreement.substr(v + 2);
  }
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body = policy::explain_answer_json(ctx.request_id, now, e, {});
  return {};
}

}  // namespace gw::pipeline
