// Parsing the query of GET /policy/explain.
#include "gateway/pipeline/handlers/explain_query.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "gateway/core/ids.hpp"

namespace gw::pipeline {
namespace {

constexpr std::array<std::string_view, 13> kKnown = {
    "organisation",       "role",     "user",        "purpose", "patient",
    "resource-type",      "category", "sensitivity", "source",  "break-glass",
    "break-glass-reason", "_format",  "_pretty"};

constexpr std::string_view kUsage =
    " (GET /policy/explain takes organisation, role, purpose, patient, resource-type or "
    "category; optionally user, sensitivity, source, break-glass, break-glass-reason)";

Error bad(std::string_view name, std::string_view what) {
  std::string detail = "parameter '";
  detail.append(name).append("': ").append(what);
  return make_error(Errc::kBadRequest, std::move(detail));
}

/** Raw: the parameters by name, each at most once. */
struct Raw {
  std::array<std::optional<std::string>, kKnown.size()> values;

  [[nodiscard]] const std::optional<std::string>& get(std::string_view name) const {
    const auto i =
        static_cast<std::size_t>(std::find(kKnown.begin(), kKnown.end(), name) - kKnown.begin());
    return values.at(i);
  }
};

Result<Raw> collect(const std::vector<std::pair<std::string, std::string>>& params) {
  Raw raw;
  for (const auto& [name, value] : params) {
    const auto* it = std::find(kKnown.begin(), kKnown.end(), name);
    if (it == kKnown.end()) {
      std::string detail = "unknown parameter '";
      detail.append(name).append("'").append(kUsage);
      return make_error(Errc::kBadRequest, std::move(detail));
    }
    auto& slot = raw.values.at(static_cast<std::size_t>(it - kKnown.begin()));
    if (slot) {
      return bad(name, "may be given once");
    }
    slot = value;
  }
  return raw;
}

Result<std::string> required(const Raw& raw, std::string_view name, std::string_view what) {
  const auto& v = raw.get(name);
  if (!v || v->empty()) {
    std::string detail = "is required: ";
    detail.append(what);
    return bad(name, detail);
  }
  return *v;
}

Result<void> read_requester(const Raw& raw, ExplainQuery& q) {
  auto org = required(raw, "organisation", "the requester's organisation (ODS code)");
  if (!org) {
    return org.error();
  }
  auto ods = OdsCode::parse(*org);
  if (!ods) {
    return bad("organisation", "not an ODS code (3 to 10 letters and digits)");
  }
  q.user.ods = ods->str();
  auto role = required(raw, "role", "the user's NHS RBAC job role code, e.g. R8000");
  if (!role) {
    return role.error();
  }
  if (policy::find_role(*role) == nullptr) {
    return bad("role", "not an NHS RBAC job role code caregw knows (gateway/policy/README.md)");
  }
  q.user.role_code = *role;
  auto purpose = required(raw, "purpose", "the purpose of use, e.g. direct-care");
  if (!purpose) {
    return purpose.error();
  }
  auto p = policy::parse_purpose(*purpose);
  if (!p) {
    return bad("purpose",
               "not a purpose of use (direct-care, safeguarding, ig-audit, operations, "
               "integration)");
  }
  q.user.purpose = *p;
  if (const auto& user = raw.get("user")) {
    if (user->size() > 256) {
      return bad("user", "longer than 256 characters");
    }
    q.user.id = *user;
  }
  return {};
}

Result<void> read_patient(const Raw& raw, ExplainQuery& q) {
  auto patient = required(raw, "patient", "the patient's NHS number");
  if (!patient) {
    return patient.error();
  }
  std::string_view text = *patient;
  if (const auto bar = text.find('|'); bar != std::string_view::npos) {
    if (text.substr(0, bar) != kNhsNumberSystem) {
      return bad("patient", "the identifier system must be https://fhir.nhs.uk/Id/nhs-number");
    }
    text = text.substr(bar + 1);
  }
  auto nhs = NhsNumber::parse(text);
  if (!nhs) {
    return bad("patient", "not a valid NHS number: " + nhs.error().detail);
  }
  q.nhs_number = nhs->str();
  return {};
}

Result<void> read_data(const Raw& raw, ExplainQuery& q) {
  const auto& type = raw.get("resource-type");
  const auto& category = raw.get("category");
  if ((!type || type->empty()) && (!category || category->empty())) {
    return bad("resource-type",
               "resource-type (a FHIR resource type, e.g. Condition) or category (a data "
               "category, e.g. problems) is required");
  }
  std::optional<policy::DataCategory> c;
  if (type && !type->empty()) {
    q.resource_type = *type;
    c = policy::category_for_resource_type(*type);
  }
  if (category && !category->empty()) {
    c = policy::parse_category(*category);
    if (!c) {
      return bad("category", "not a data category (gateway/policy/README.md lists them)");
    }
  }
  if (!c) {
    return bad("resource-type",
               "caregw has no usual category for this resource type (its category depends on "
               "the content): name the category too");
  }
  q.category = *c;
  if (const auto& s = raw.get("sensitivity"); s && !s->empty()) {
    std::string_view rest = *s;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto name = rest.substr(0, comma);
      auto cls = policy::parse_sensitivity(name);
      if (!cls) {
        return bad("sensitivity",
                   "not a sensitive class (sexual-health, assisted-conception, "
                   "gender-reassignment, termination-of-pregnancy, safeguarding-third-party, "
                   "mental-health-notes)");
      }
      q.sensitivity =
          static_cast<policy::SensitivitySet>(q.sensitivity | policy::sensitivity_bit(*cls));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (const auto& source = raw.get("source"); source && !source->empty()) {
    auto ods = OdsCode::parse(*source);
    if (!ods) {
      return bad("source", "not an ODS code (3 to 10 letters and digits)");
    }
    q.source = ods->str();
  }
  return {};
}

Result<void> read_break_glass(const Raw& raw, ExplainQuery& q) {
  if (const auto& bg = raw.get("break-glass"); bg && !bg->empty()) {
    if (*bg == "true") {
      q.break_glass = true;
    } else if (*bg != "false") {
      return bad("break-glass", "must be true or false");
    }
  }
  if (const auto& reason = raw.get("break-glass-reason"); reason && !reason->empty()) {
    auto r = policy::parse_break_glass_reason(*reason);
    if (!r) {
      return bad("break-glass-reason",
                 "must be emergency-treatment, patient-request or safeguarding-concern");
    }
    if (!q.break_glass) {
      return bad("break-glass-reason", "applies only with break-glass=true");
    }
    q.break_glass_reason = *r;
  }
  return {};
}

}  // namespace

Result<ExplainQuery> parse_explain_query(
    const std::vector<std::pair<std::string, std::string>>& params) {
  auto raw = collect(params);
  if (!raw) {
    return raw.error();
  }
  ExplainQuery q;
  for (auto* step : {&read_requester, &read_patient, &read_data, &read_break_glass}) {
    if (auto r = step(*raw, q); !r) {
      return r.error();
    }
  }
  return q;
}

}  // namespace gw::pipeline
