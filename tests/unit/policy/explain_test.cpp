// Explanations give the decision and the chain of reasons as JSON; the dry run lists exactly
// the recorded requests a changed agreement would decide differently.
#include "gateway/policy/explain.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/policy/recorded_input.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

TEST(Explain, GivesTheDecisionAndTheChainOfReasons) {
  const PolicyIndex index = demo_index();
  const auto e = explain(index, requester("Z90001", "R8000"), patient(),
                         resource(DataCategory::kProblems), kNow);
  EXPECT_EQ(e.effect, Effect::kPermit);
  EXPECT_EQ(e.agreement, "DSA-DC v2");
  auto doc = fhir::parse_json(explanation_json(e));
  ASSERT_TRUE(doc.has_value());
  EXPECT_STREQ((*doc)["decision"].GetString(), "permit");
  EXPECT_STREQ((*doc)["rule"].GetString(), "permitted");
  EXPECT_STREQ((*doc)["relationship"].GetString(), "registered-practice");
  EXPECT_STREQ((*doc)["requester"]["role"].GetString(), "R8000");
  EXPECT_STREQ((*doc)["category"].GetString(), "problems");
  std::vector<std::string> checks;
  for (const auto& s : (*doc)["reasons"].GetArray()) {
    checks.emplace_back(s["check"].GetString());
  }
  EXPECT_EQ(checks, (std::vector<std::string>{"organisation", "role", "relationship", "agreement",
                                              "resource"}));
}

TEST(Explain, AnswersForAResourceTypeWithoutASource) {
  const PolicyIndex index = demo_index();
  const ResourceFacts type_only{"Flag", "", DataCategory::kSafeguarding, 0, ""};
  const auto e = explain(index, requester("Z90001", "R8000"), patient(), type_only, kNow);
  EXPECT_EQ(e.effect, Effect::kDeny);
  EXPECT_EQ(e.rule, Rule::kCategoryNotInAgreement);
  EXPECT_EQ(e.resource_type, "Flag");
  const ResourceFacts problems{"Condition", "", DataCategory::kProblems, 0, ""};
  EXPECT_EQ(explain(index, requester("Z90001", "R8000"), patient(), problems, kNow).effect,
            Effect::kPermit);
}

TEST(Explain, DenialSaysWhatWasMissing) {
  const PolicyIndex index = demo_index();
  const auto e = explain(index, requester("Z90001", "R8002"), patient(), std::nullopt, kNow);
  EXPECT_EQ(e.effect, Effect::kDeny);
  auto doc = fhir::parse_json(explanation_json(e));
  ASSERT_TRUE(doc.has_value());
  EXPECT_STREQ((*doc)["rule"].GetString(), "role-not-allowed");
  EXPECT_STREQ((*doc)["missing"].GetString(), "role R8002");
  EXPECT_STREQ((*doc)["agreement"].GetString(), "DSA-DC v2");
  // Explanations carry codes and ids, never the patient's NHS number.
  EXPECT_EQ(explanation_json(e).find(kPatientA), std::string::npos);
}

TEST(ExplainAnswer, OneShapeForARecordedRequestAndForAQuery) {
  const PolicyIndex index = demo_index();
  const auto overall = explain(index, requester("Z90001", "R8002"), patient(), std::nullopt, kNow);
  const auto one = explain(index, requester("Z90001", "R8000"), patient(),
                           resource(DataCategory::kProblems), kNow);
  const std::vector<ExplainedResource> resources = {{"c1", one}};
  auto doc = fhir::parse_json(explain_answer_json("q1", kNow, overall, resources));
  ASSERT_TRUE(doc.has_value());
  EXPECT_STREQ((*doc)["id"].GetString(), "q1");
  EXPECT_STREQ((*doc)["at"].GetString(), format_instant(kNow).c_str());
  // The decision is explanation_json's object, whole.
  auto alone = fhir::parse_json(explanation_json(overall));
  ASSERT_TRUE(alone.has_value());
  EXPECT_TRUE((*doc)["decision"] == *alone);
  EXPECT_STREQ((*doc)["decision"]["rule"].GetString(), "role-not-allowed");
  ASSERT_EQ((*doc)["resources"].Size(), 1U);
  EXPECT_STREQ((*doc)["resources"][0]["id"].GetString(), "c1");
  EXPECT_STREQ((*doc)["resources"][0]["explanation"]["decision"].GetString(), "permit");
  EXPECT_STREQ((*doc)["resources"][0]["explanation"]["category"].GetString(), "problems");
  // A query answers its decision with no resources: the same keys, an empty list.
  auto query = fhir::parse_json(explain_answer_json("req-1", kNow, one, {}));
  ASSERT_TRUE(query.has_value());
  EXPECT_STREQ((*query)["decision"]["agreement"].GetString(), "DSA-DC v2");
  EXPECT_TRUE((*query)["resources"].IsArray());
  EXPECT_EQ((*query)["resources"].Size(), 0U);
}

TEST(DryRun, ListsOnlyWhatWouldChange) {
  const PolicyIndex current = demo_index();
  // The proposed agreement drops the paramedic role and adds safeguarding data.
  const PolicyIndex proposed =
      index_of({parse(replace(replace(kDirectCareYaml, ", R1070]\nbreak", "]\nbreak"), "documents]",
                              "documents, safeguarding]")),
                parse(kSafeguardingYaml)});
  RecordedInput gp;
  gp.id = "audit-1";
  gp.requester = requester("Z90001", "R8000");
  gp.patient = patient();
  gp.at = kNow;
  gp.resources = {{"Condition", "c1", DataCategory::kProblems, 0, "Z9A01"},
                  {"Flag", "f1", DataCategory::kSafeguarding, 0, "Z9S01"}};
  RecordedInput paramedic;
  paramedic.id = "audit-2";
  paramedic.requester = requester("Z9L01", "R1070");
  paramedic.patient = patient();
  paramedic.patient.episodes.push_back(
      Episode{EpisodeKind::kAmbulanceIncident, "Z9L01", false, kNow - hours{1}, {}, ""});
  paramedic.at = kNow;
  paramedic.resources = {{"CarePlan", "cp1", DataCategory::kCarePlans, 0, "Z90001"}};
  RecordedInput unchanged;
  unchanged.id = "audit-3";
  unchanged.requester = requester("Z9A01", "R0050");
  unchanged.patient = patient();
  unchanged.at = kNow;
  unchanged.resources = {{"Condition", "c1", DataCategory::kProblems, 0, "Z90001"}};

  const std::vector<RecordedInput> inputs = {gp, paramedic, unchanged};
  const auto changes = dry_run(current, proposed, inputs);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0].input_id, "audit-1");
  EXPECT_EQ(changes[0].before, Effect::kPermitWithRedaction);
  EXPECT_EQ(changes[0].after, Effect::kPermit);
  EXPECT_EQ(changes[0].newly_permitted, std::vector<std::string>{"Flag/f1"});
  EXPECT_EQ(changes[1].input_id, "audit-2");
  EXPECT_EQ(changes[1].after, Effect::kDeny);
  EXPECT_EQ(changes[1].rule_after, Rule::kRoleNotAllowed);
  EXPECT_EQ(changes[1].newly_withheld, std::vector<std::string>{"CarePlan/cp1"});
  auto doc = fhir::parse_json(dry_run_json(changes));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->Size(), 2U);
  EXPECT_STREQ((*doc)[1]["ruleAfter"].GetString(), "role-not-allowed");
}

}  // namespace
}  // namespace gw::policy::test
