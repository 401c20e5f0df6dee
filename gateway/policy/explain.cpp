// Explanations and the dry run.
#include "gateway/policy/explain.hpp"

#include "gateway/policy/json_writer.hpp"
#include "gateway/policy/recorded_input.hpp"

namespace gw::policy {

namespace {

using Writer = JsonWriter;

std::vector<ResourceDecision> replay(const PolicyIndex& index, const RecordedInput& in,
                                     Decision& summary) {
  const AccessGrant g = authorise(index, in.requester, in.patient, in.at,
                                  in.break_glass ? &*in.break_glass : nullptr);
  std::vector<ResourceFacts> facts;
  facts.reserve(in.resources.size());
  for (const auto& r : in.resources) {
    facts.push_back(r.facts());
  }
  std::vector<ResourceDecision> out;
  summary = decide_all(g, facts, out);
  return out;
}

}  // namespace

std::string_view effect_name(Effect e) {
  switch (e) {
    case Effect::kPermit:
      return "permit";
    case Effect::kDeny:
      return "deny";
    case Effect::kPermitWithRedaction:
      return "permit-with-redaction";
  }
  return "deny";
}

Explanation explain(const PolicyIndex& index, const Requester& requester,
                    const PatientContext& patient, const std::optional<ResourceFacts>& resource,
                    TimePoint now, const BreakGlassGrant* break_glass) {
  const AccessGrant g = authorise(index, requester, patient, now, break_glass);
  Explanation e;
  e.user_id = requester.user.id;
  e.role_code = requester.user.role_code;
  e.organisation = requester.user.ods;
  e.purpose = requester.user.purpose;
  e.effect = g.effect;
  e.rule = g.rule;
  e.missing = g.missing;
  e.relationship = g.relationship;
  e.break_glass = g.break_glass;
  e.steps = g.steps;
  if (g.agreement != nullptr) {
    e.agreement = g.agreement->id + " v" + g.agreement->version;
  }
  if (resource) {
    // A question about a resource type names no source organisation: answer it for data held
    // by the requester's own organisation, which is a party of any agreement that applied.
    ResourceFacts facts = *resource;
    if (facts.source_org.empty()) {
      facts.source_org = requester.user.ods;
    }
    const ResourceDecision d = decide(g, facts);
    e.category = resource->category;
    e.resource_type = std::string(resource->resource_type);
    e.effect = d.effect;
    e.rule = d.rule;
    e.break_glass = d.break_glass;
    if (d.agreement != nullptr) {
      e.agreement = d.agreement->id + " v" + d.agreement->version;
    }
    if (g.effect == Effect::kPermit) {
      std::string detail = std::string(category_name(resource->category));
      if (d.rule == Rule::kLegalExclusion) {
        detail += ": withheld always (" + sensitivity_names(d.withheld_classes) + ")";
      } else if (d.rule == Rule::kCategoryNotInAgreement) {
        detail += " is not a category of " + e.agreement;
      } else if (d.rule == Rule::kSourceNotInAgreement) {
        detail +=
            ": no agreement covers the source organisation " + std::string(resource->source_org);
      } else {
        detail += " is allowed by " + e.agreement;
      }
      e.steps.push_back({"resource", d.effect == Effect::kPermit, std::move(detail)});
    }
  }
  return e;
}

std::string explanation_json(const Explanation& e) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("requester");
  w.StartObject();
  kv(w, "user", e.user_id);
  kv(w, "role", e.role_code);
  kv(w, "organisation", e.organisation);
  kv(w, "purpose", purpose_name(e.purpose));
  w.EndObject();
  if (!e.resource_type.empty()) {
    kv(w, "resourceType", e.resource_type);
  }
  if (e.category) {
    kv(w, "category", category_name(*e.category));
  }
  kv(w, "decision", effect_name(e.effect));
  kv(w, "rule", rule_name(e.rule));
  if (!e.agreement.empty()) {
    kv(w, "agreement", e.agreement);
  }
  if (!e.missing.empty()) {
    kv(w, "missing", e.missing);
  }
  kv(w, "relationship", relationship_name(e.relationship));
  w.Key("breakGlass");
  w.Bool(e.break_glass);
  w.Key("reasons");
  w.StartArray();
  for (const auto& s : e.steps) {
    w.StartObject();
    kv(w, "check", s.check);
    w.Key("passed");
    w.Bool(s.passed);
    kv(w, "detail", s.detail);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string explain_answer_json(std::string_view id, TimePoint at, const Explanation& decision,
                                std::span<const ExplainedResource> resources) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  kv(w, "id", id);
  kv(w, "at", format_instant(at));
  w.Key("decision");
  const std::string overall = explanation_json(decision);
  w.RawValue(overall.data(), overall.size(), rapidjson::kObjectType);
  w.Key("resources");
  w.StartArray();
  for (const auto& r : resources) {
    w.StartObject();
    kv(w, "id", r.id);
    w.Key("explanation");
    const std::string one = explanation_json(r.explanation);
    w.RawValue(one.data(), one.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::vector<DryRunChange> dry_run(const PolicyIndex& current, const PolicyIndex& proposed,
                                  std::span<const RecordedInput> inputs) {
  std::vector<DryRunChange> out;
  for (const auto& in : inputs) {
    Decision before, after;
    const auto db = replay(current, in, before);
    const auto da = replay(proposed, in, after);
    DryRunChange c;
    c.input_id = in.id;
    c.before = before.effect;
    c.after = after.effect;
    c.rule_before = before.rule;
    c.rule_after = after.rule;
    c.permitted_before = before.permitted;
    c.permitted_after = after.permitted;
    for (std::size_t i = 0; i < in.resources.size(); ++i) {
      const bool was = db[i].effect == Effect::kPermit;
      const bool now = da[i].effect == Effect::kPermit;
      if (was != now) {
        (now ? c.newly_permitted : c.newly_withheld)
            .push_back(in.resources[i].resource_type + "/" + in.resources[i].id);
      }
    }
    if (c.before != c.after || c.rule_before != c.rule_after || !c.newly_permitted.empty() ||
        !c.newly_withheld.empty()) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string dry_run_json(std::span<const DryRunChange> changes) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartArray();
  for (const auto& c : changes) {
    w.StartObject();
    kv(w, "input", c.input_id);
    kv(w, "before", effect_name(c.before));
    kv(w, "after", effect_name(c.after));
    kv(w, "ruleBefore", rule_name(c.rule_before));
    kv(w, "ruleAfter", rule_name(c.rule_after));
    w.Key("permittedBefore");
    w.Uint64(c.permitted_before);
    w.Key("permittedAfter");
    w.Uint64(c.permitted_after);
    w.Key("newlyPermitted");
    w.StartArray();
    for (const auto& s : c.newly_permitted) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    }
    w.EndArray();
    w.Key("newlyWithheld");
    w.StartArray();
    for (const auto& s : c.newly_withheld) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace gw::policy
