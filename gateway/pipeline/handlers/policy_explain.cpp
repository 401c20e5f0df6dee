// POST /policy/explain: the policy engine's decision on a recorded request, with the chain of
// reasons, for IG leads (any request) and for any user (their own requests).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/identity/nhs_number.hpp"
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

void raw(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void str(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
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
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  str(w, "id", in->id);
  str(w, "at", policy::format_instant(in->at));
  w.Key("decision");
  raw(w, policy::explanation_json(overall));
  w.Key("resources");
  w.StartArray();
  std::size_t permitted = 0;
  for (const auto& r : in->resources) {
    const auto e = policy::explain(index, in->requester, in->patient, r.facts(), in->at, bg);
    permitted += e.effect == policy::Effect::kPermit ? 1 : 0;
    w.StartObject();
    str(w, "id", r.id);
    w.Key("explanation");
    raw(w, policy::explanation_json(e));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  // Enumerations only: the detail never carries text the caller typed.
  audit_record.dsa_rule = std::string(policy::rule_name(overall.rule));
  audit_record.detail = "policy explain: " + std::string(policy::effect_name(overall.effect)) +
                        " (" + std::string(policy::rule_name(overall.rule)) + "); " +
                        std::to_string(permitted) + " of " + std::to_string(in->resources.size()) +
                        " resources permitted";
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.body.assign(sb.GetString(), sb.GetSize());
  return {};
}

}  // namespace gw::pipeline
