// Redaction of FHIR Bundles and constrained search.
#include "gateway/policy/redact.hpp"

#include <set>
#include <string_view>

#include "gateway/fhir/member.hpp"

namespace gw::policy {

namespace {

using rapidjson::Value;

constexpr std::string_view kRuleSystem = "https://caregw.dev/CodeSystem/policy-rule";
constexpr std::string_view kCategorySystem = "https://caregw.dev/CodeSystem/data-category";
constexpr std::string_view kSensitivitySystem = "https://caregw.dev/CodeSystem/sensitivity";

using gw::fhir::string_member;

bool is_withheld_reference(const Value& v, const std::set<std::string, std::less<>>& withheld) {
  const std::string_view ref = string_member(v, "reference");
  return !ref.empty() && withheld.count(ref) > 0;
}

bool emptied(const Value& v) {
  return (v.IsObject() && v.MemberCount() == 0) || (v.IsArray() && v.Empty());
}

std::size_t strip(Value& v, const std::set<std::string, std::less<>>& withheld) {
  std::size_t removed = 0;
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
      std::size_t below = 0;
      if (is_withheld_reference(it->value, withheld)) {
        below = 1;
      } else {
        below = strip(it->value, withheld);
      }
      removed += below;
      if (below > 0 && (is_withheld_reference(it->value, withheld) || emptied(it->value))) {
        it = v.EraseMember(it);
      } else {
        ++it;
      }
    }
  } else if (v.IsArray()) {
    for (auto it = v.Begin(); it != v.End();) {
      std::size_t below = 0;
      if (is_withheld_reference(*it, withheld)) {
        below = 1;
      } else {
        below = strip(*it, withheld);
      }
      removed += below;
      if (below > 0 && (is_withheld_reference(*it, withheld) || emptied(*it))) {
        it = v.Erase(it);
      } else {
        ++it;
      }
    }
  }
  return removed;
}

Value coding(std::string_view system, std::string_view code,
             rapidjson::Document::AllocatorType& a) {
  Value c(rapidjson::kObjectType);
  c.AddMember("system", Value(system.data(), static_cast<rapidjson::SizeType>(system.size()), a),
              a);
  c.AddMember("code", Value(code.data(), static_cast<rapidjson::SizeType>(code.size()), a), a);
  return c;
}

}  // namespace

std::size_t strip_references(rapidjson::Value& v,
                             const std::set<std::string, std::less<>>& withheld) {
  return strip(v, withheld);
}

std::vector<Notice> notices(std::span<const ResourceDecision> decisions) {
  std::vector<Notice> out;
  for (const auto& d : decisions) {
    if (d.effect == Effect::kPermit) {
      continue;
    }
    bool merged = false;
    for (auto& n : out) {
      if (n.rule == d.rule && n.category == d.category && n.classes == d.withheld_classes) {
        ++n.count;
        merged = true;
        break;
      }
    }
    if (!merged) {
      out.push_back({d.rule, d.category, d.withheld_classes, 1});
    }
  }
  return out;
}

std::string notice_text(const Notice& n) {
  if (n.rule == Rule::kLegalExclusion) {
    std::string classes;
    for (std::size_t i = 0; i < kSensitivityCount; ++i) {
      if ((n.classes & (1U << i)) != 0) {
        classes += (classes.empty() ? "" : " and ") +
                   std::string(sensitivity_title(static_cast<Sensitivity>(i)));
      }
    }
    return "Some information about " + classes + " is withheld (a legal exclusion).";
  }
  const std::string what = "Some " + std::string(category_name(n.category)) + " information";
  switch (n.rule) {
    case Rule::kPatientObjection:
      return what + " is withheld at the patient's request.";
    case Rule::kCategoryNotInAgreement:
      return what + " is withheld: the data-sharing agreement does not cover it.";
    case Rule::kSourceNotInAgreement:
      return what +
             " is withheld: no data-sharing agreement covers the organisation that holds it.";
    case Rule::kNoLegitimateRelationship:
      return what + " is withheld: no legitimate relationship with the patient was found.";
    case Rule::kRoleNotAllowed:
      return what + " is withheld: your role is not covered by the data-sharing agreement.";
    default:
      return what + " is withheld (" + std::string(rule_name(n.rule)) + ").";
  }
}

fhir::Json operation_outcome(std::span<const Notice> list) {
  fhir::Json doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "OperationOutcome", a);
  Value issues(rapidjson::kArrayType);
  for (const auto& n : list) {
    Value issue(rapidjson::kObjectType);
    issue.AddMember("severity", "information", a);
    issue.AddMember("code", "suppressed", a);
    Value details(rapidjson::kObjectType);
    Value codings(rapidjson::kArrayType);
    codings.PushBack(coding(kRuleSystem, rule_name(n.rule), a), a);
    if (n.rule == Rule::kLegalExclusion) {
      for (std::size_t i = 0; i < kSensitivityCount; ++i) {
        if ((n.classes & (1U << i)) != 0) {
          codings.PushBack(
              coding(kSensitivitySystem, sensitivity_name(static_cast<Sensitivity>(i)), a), a);
        }
      }
    } else {
      codings.PushBack(coding(kCategorySystem, category_name(n.category), a), a);
    }
    details.AddMember("coding", codings, a);
    const std::string text = notice_text(n);
    details.AddMember("text", Value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), a),
                      a);
    issue.AddMember("details", details, a);
    issues.PushBack(issue, a);
  }
  doc.AddMember("issue", issues, a);
  return doc;
}

Result<RedactSummary> redact_bundle(fhir::Json& bundle,
                                    std::span<const ResourceDecision> decisions) {
  if (!bundle.IsObject() || string_member(bundle, "resourceType") != "Bundle") {
    return make_error(Errc::kBadRequest, "redact_bundle needs a Bundle");
  }
  auto& a = bundle.GetAllocator();
  if (!bundle.HasMember("entry")) {
    bundle.AddMember("entry", Value(rapidjson::kArrayType), a);
  }
  Value& entries = bundle["entry"];
  if (!entries.IsArray() || entries.Size() != decisions.size()) {
    return make_error(Errc::kBadRequest, "redact_bundle: one decision per entry is needed");
  }
  RedactSummary out;
  std::set<std::string, std::less<>> withheld;
  for (rapidjson::SizeType i = 0; i < entries.Size(); ++i) {
    if (decisions[i].effect == Effect::kPermit) {
      continue;
    }
    const Value& e = entries[i];
    if (const auto full = string_member(e, "fullUrl"); !full.empty()) {
      withheld.emplace(full);
    }
    if (e.HasMember("resource")) {
      const Value& r = e["resource"];
      const auto type = string_member(r, "resourceType");
      const auto id = string_member(r, "id");
      if (!type.empty() && !id.empty()) {
        withheld.insert(std::string(type) + "/" + std::string(id));
      }
    }
  }
  // Entries are erased back to front so the indices of those not yet visited stay valid.
  for (rapidjson::SizeType i = entries.Size(); i-- > 0;) {
    if (decisions[i].effect != Effect::kPermit) {
      entries.Erase(entries.Begin() + i);
      ++out.removed_resources;
    }
  }
  if (!withheld.empty()) {
    out.removed_references = strip_references(entries, withheld);
  }
  out.notices = notices(decisions);
  const bool searchset = string_member(bundle, "type") == "searchset";
  if (searchset && bundle.HasMember("total")) {
    unsigned matches = 0;
    for (const auto& e : entries.GetArray()) {
      if (e.HasMember("search") && string_member(e["search"], "mode") == "match") {
        ++matches;
      }
    }
    bundle["total"].SetUint(matches);
  }
  if (!out.notices.empty()) {
    fhir::Json oo = operation_outcome(out.notices);
    Value entry(rapidjson::kObjectType);
    Value resource;
    resource.CopyFrom(oo, a);
    entry.AddMember("resource", resource, a);
    if (searchset) {
      Value search(rapidjson::kObjectType);
      search.AddMember("mode", "outcome", a);
      entry.AddMember("search", search, a);
    }
    entries.PushBack(entry, a);
  }
  return out;
}

SearchPage constrain_search(const AccessGrant& grant, std::span<const ResourceFacts> candidates,
                            std::size_t offset, std::size_t count) {
  SearchPage page;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (decide(grant, candidates[i]).effect != Effect::kPermit) {
      ++page.withheld;
      continue;
    }
    if (page.total >= offset && page.indices.size() < count) {
      page.indices.push_back(i);
    }
    ++page.total;
  }
  return page;
}

}  // namespace gw::policy
