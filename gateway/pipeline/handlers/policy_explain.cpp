// POST /policy/explain: the policy engine's decision on a recorded request, with the chain of
// reasons, for IG leads (any request) and for any user (their own requests). GET /policy/explain:
// the decision now for a requester, purpose, patient and kind of data (IG and integrators).
#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/explain_query.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/policy/explain.hpp"
#include "gateway/policy/recorded_input.hpp"

namespace gw::pipeline {
namespace {

/** kMaxResources: resources explained in one request at most. */
constexpr std::size_t kMaxResources = 1000;

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
  auto patient = gather_patient_context(*ctx.config, records, **found);
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
