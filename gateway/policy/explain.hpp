// Explanations of decisions (the chain of reasons, as JSON for POST /policy/explain) and the dry
// run: evaluate a changed set of agreements against recorded decision inputs, list what changes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/policy/engine.hpp"

namespace gw::policy {

/** Explanation: a decision and why, safe to show to IG leads and integrators (no PHI). */
struct Explanation {
  std::string user_id;
  std::string role_code;
  std::string organisation;
  Purpose purpose = Purpose::kDirectCare;
  Effect effect = Effect::kDeny;
  Rule rule = Rule::kNoAgreement;
  std::string agreement;  // "id v<version>" of the agreement that applied, if any
  std::string missing;
  Relationship relationship = Relationship::kNone;
  bool break_glass = false;
  std::optional<DataCategory> category;  // when a resource (type/category) was asked about
  std::string resource_type;
  std::vector<Step> steps;
};

/**
 * explain: authorise (and decide `resource`, if given) and record every step. Pure.
 * @param resource facts of a resource, or of a resource type (empty id; an empty source_org
 *        means data held by the requester's own organisation)
 */
[[nodiscard]] Explanation explain(const PolicyIndex& index, const Requester& requester,
                                  const PatientContext& patient,
                                  const std::optional<ResourceFacts>& resource, TimePoint now,
                                  const BreakGlassGrant* break_glass = nullptr);

/** explanation_json: the explanation as a JSON object (see gateway/policy/README.md). */
[[nodiscard]] std::string explanation_json(const Explanation& e);

/** ExplainedResource: one resource's explanation within an answer. */
struct ExplainedResource {
  std::string id;
  Explanation explanation;
};

/**
 * explain_answer_json: the answer of POST and GET /policy/explain, one shape for both:
 * {"id", "at", "decision": explanation_json(decision), "resources": [{"id", "explanation"}]}.
 * @param id the recorded request's id (POST) or this request's id (GET)
 * @param at the time the decision was taken at (UTC)
 */
[[nodiscard]] std::string explain_answer_json(std::string_view id, TimePoint at,
                                              const Explanation& decision,
                                              std::span<const ExplainedResource> resources);

/** RecordedResource: owned resource facts, as recorded with a decision. */
struct RecordedResource {
  std::string resource_type;
  std::string id;
  DataCategory category = DataCategory::kDemographics;
  SensitivitySet sensitivity = 0;
  std::string source_org;

  [[nodiscard]] ResourceFacts facts() const {
    return {resource_type, id, category, sensitivity, source_org};
  }
};

/** RecordedInput: one past decision's inputs (from the audit log), replayable. */
struct RecordedInput {
  std::string id;  // e.g. the audit event id
  Requester requester;
  PatientContext patient;
  std::vector<RecordedResource> resources;
  TimePoint at{};
  std::optional<BreakGlassGrant> break_glass;
  /** prepared_resources: when set, `resources` already written as prepare_recorded_resources()
   * writes them (policy/recorded_input.hpp: the list's definition line, with its digest), for a
   * list recorded again and again (a kept answer's); `resources` is then not read. */
  std::string prepared_resources;
};

/** DryRunChange: one recorded request whose outcome differs under the proposed agreements. */
struct DryRunChange {
  std::string input_id;
  Effect before = Effect::kDeny;
  Effect after = Effect::kDeny;
  Rule rule_before = Rule::kNoAgreement;
  Rule rule_after = Rule::kNoAgreement;
  std::size_t permitted_before = 0;
  std::size_t permitted_after = 0;
  std::vector<std::string> newly_permitted;  // "Type/id" of resources that would now be shown
  std::vector<std::string> newly_withheld;   // "Type/id" of resources that would be withheld
};

/**
 * dry_run: replays each input under `current` and `proposed` (at its recorded time) and lists
 * the inputs whose effect, rule or per-resource outcome would change. Pure.
 */
[[nodiscard]] std::vector<DryRunChange> dry_run(const PolicyIndex& current,
                                                const PolicyIndex& proposed,
                                                std::span<const RecordedInput> inputs);

/** dry_run_json: the changes as a JSON array. */
[[nodiscard]] std::string dry_run_json(std::span<const DryRunChange> changes);

/** effect_name: "permit", "deny" or "permit-with-redaction". */
[[nodiscard]] std::string_view effect_name(Effect e);

}  // namespace gw::policy
