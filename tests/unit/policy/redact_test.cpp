// Redaction: withheld resources and every reference to them leave the Bundle, the notice names
// the category and the reason but never the content, and search totals never count them.
#include "gateway/policy/redact.hpp"

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

// A record for synthetic patient 9990000018: an encounter whose diagnosis is a termination of
// pregnancy (SNOMED CT 57797005), which must leave no trace.
constexpr const char* kBundle = R"({
  "resourceType": "Bundle", "type": "searchset", "total": 4,
  "entry": [
    {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"},
     "search": {"mode": "match"}},
    {"fullUrl": "urn:uuid:c1", "resource": {"resourceType": "Condition", "id": "c1",
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003",
                            "display": "Hypertensive disorder"}]}},
     "search": {"mode": "match"}},
    {"fullUrl": "urn:uuid:c2", "resource": {"resourceType": "Condition", "id": "c2",
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "57797005",
                            "display": "Termination of pregnancy"}]}},
     "search": {"mode": "match"}},
    {"fullUrl": "urn:uuid:e1", "resource": {"resourceType": "Encounter", "id": "e1",
      "diagnosis": [{"condition": {"reference": "Condition/c2"}},
                    {"condition": {"reference": "Condition/c1"}}],
      "reasonReference": [{"reference": "urn:uuid:c2"}],
      "partOf": {"reference": "Condition/c2", "display": "Termination of pregnancy"}},
     "search": {"mode": "match"}}
  ]})";

std::vector<ResourceDecision> decisions_for_record(const PolicyIndex& index) {
  const AccessGrant g = authorise(index, requester("Z90001", "R8000"), patient(), kNow);
  const std::vector<ResourceFacts> facts = {
      {"Patient", "p1", DataCategory::kDemographics, 0, "Z90001"},
      {"Condition", "c1", DataCategory::kProblems, 0, "Z9A01"},
      {"Condition", "c2", DataCategory::kProblems,
       sensitivity_bit(Sensitivity::kTerminationOfPregnancy), "Z9A01"},
      {"Encounter", "e1", DataCategory::kEncounters, 0, "Z9A01"}};
  std::vector<ResourceDecision> out;
  (void)decide_all(g, facts, out);
  return out;
}

TEST(Redact, DropsWithheldResourcesAndReferencesAndAddsANotice) {
  auto doc = fhir::parse_json(kBundle);
  ASSERT_TRUE(doc.has_value());
  const PolicyIndex index = demo_index();
  const auto decisions = decisions_for_record(index);
  auto r = redact_bundle(*doc, decisions);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->removed_resources, 1U);
  EXPECT_EQ(r->removed_references, 3U);
  const std::string out = fhir::to_json(*doc);
  EXPECT_EQ(out.find("c2"), std::string::npos) << out;
  EXPECT_EQ(out.find("57797005"), std::string::npos) << out;
  EXPECT_EQ(out.find("Termination of pregnancy"), std::string::npos) << out;
  EXPECT_NE(out.find("Condition/c1"), std::string::npos) << out;
  // The diagnosis that held only the withheld reference is gone, not left empty.
  EXPECT_EQ(out.find("{}"), std::string::npos) << out;
  EXPECT_EQ((*doc)["entry"][2]["resource"]["diagnosis"].Size(), 1U);
  // Three matches kept, plus the OperationOutcome entry (search mode "outcome").
  EXPECT_EQ((*doc)["total"].GetUint(), 3U);
  const auto& entries = (*doc)["entry"];
  ASSERT_EQ(entries.Size(), 4U);
  const auto& oo = entries[3]["resource"];
  EXPECT_STREQ(oo["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(entries[3]["search"]["mode"].GetString(), "outcome");
  const auto& issue = oo["issue"][0];
  EXPECT_STREQ(issue["severity"].GetString(), "information");
  EXPECT_STREQ(issue["code"].GetString(), "suppressed");
  EXPECT_STREQ(issue["details"]["text"].GetString(),
               "Some information about termination of pregnancy is withheld (a legal exclusion).");
}

TEST(Redact, NoticeTextsNameTheReasonAndCategoryOnly) {
  EXPECT_EQ(notice_text({Rule::kPatientObjection, DataCategory::kMedications, 0, 3}),
            "Some medications information is withheld at the patient's request.");
  EXPECT_EQ(notice_text({Rule::kCategoryNotInAgreement, DataCategory::kSafeguarding, 0, 1}),
            "Some safeguarding information is withheld: the data-sharing agreement does not "
            "cover it.");
  EXPECT_EQ(
      notice_text({Rule::kLegalExclusion, DataCategory::kProblems,
                   static_cast<SensitivitySet>(sensitivity_bit(Sensitivity::kSexualHealth) |
                                               sensitivity_bit(Sensitivity::kGenderReassignment)),
                   2}),
      "Some information about sexual health (including HIV and sexually transmitted "
      "infections) and gender reassignment is withheld (a legal exclusion).");
}

TEST(Redact, NothingWithheldMeansNoNotice) {
  auto doc = fhir::parse_json(R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Patient","id":"p1"}}]})");
  ASSERT_TRUE(doc.has_value());
  ResourceDecision permit;
  permit.effect = Effect::kPermit;
  const std::vector<ResourceDecision> d = {permit};
  auto r = redact_bundle(*doc, d);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->notices.empty());
  EXPECT_EQ((*doc)["entry"].Size(), 1U);
}

TEST(Redact, RefusesMismatchedDecisions) {
  auto doc = fhir::parse_json(kBundle);
  ASSERT_TRUE(doc.has_value());
  const std::vector<ResourceDecision> one(1);
  EXPECT_FALSE(redact_bundle(*doc, one).has_value());
  auto patient_doc = fhir::parse_json(R"({"resourceType":"Patient"})");
  EXPECT_FALSE(redact_bundle(*patient_doc, {}).has_value());
}

TEST(Search, TotalsAndPagesNeverCountWithheldResources) {
  const PolicyIndex index = demo_index();
  const AccessGrant g = authorise(index, requester("Z90001", "R8000"), patient(), kNow);
  std::vector<ResourceFacts> candidates;
  const std::vector<std::string> ids = {"o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    // Every third observation is about sexual health; o5 comes from an unknown organisation.
    const SensitivitySet s = i % 3 == 0 ? sensitivity_bit(Sensitivity::kSexualHealth) : 0;
    candidates.push_back(
        {"Observation", ids[i], DataCategory::kObservations, s, i == 5 ? "Z9Q99" : "Z9A01"});
  }
  // Permitted: o1 o2 o4 o7 o8 (5); withheld: o0 o3 o5 o6 o9 (5).
  const SearchPage first = constrain_search(g, candidates, 0, 2);
  EXPECT_EQ(first.total, 5U);
  EXPECT_EQ(first.withheld, 5U);
  EXPECT_EQ(first.indices, (std::vector<std::size_t>{1, 2}));
  const SearchPage second = constrain_search(g, candidates, 2, 2);
  EXPECT_EQ(second.total, 5U);
  EXPECT_EQ(second.indices, (std::vector<std::size_t>{4, 7}));
  const SearchPage last = constrain_search(g, candidates, 4, 2);
  EXPECT_EQ(last.indices, (std::vector<std::size_t>{8}));
  EXPECT_TRUE(constrain_search(g, candidates, 6, 2).indices.empty());
  // A denied request finds nothing at all, not even a count.
  PatientContext objecting = patient();
  objecting.objection = true;
  const AccessGrant denied = authorise(index, requester("Z90001", "R8000"), objecting, kNow);
  const SearchPage none = constrain_search(denied, candidates, 0, 10);
  EXPECT_EQ(none.total, 0U);
  EXPECT_TRUE(none.indices.empty());
}

}  // namespace
}  // namespace gw::policy::test
