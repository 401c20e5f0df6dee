// Recorded decision inputs survive a round trip through JSON, and a bad line says which field.
#include "gateway/policy/recorded_input.hpp"

#include <gtest/gtest.h>

#include "gateway/policy/policy_set.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

RecordedInput sample() {
  RecordedInput in;
  in.id = "audit-9";
  in.at = kNow;
  in.requester = requester("Z9A01", "R0050");
  in.patient = patient();
  in.patient.objection = true;
  Episode e;
  e.kind = EpisodeKind::kMentalHealthEpisode;
  e.org = "Z9M01";
  e.open = false;
  e.start = kNow - days{30};
  e.end = kNow - days{2};
  e.care_coordinator = "cc-1";
  in.patient.episodes.push_back(e);
  in.resources = {{"Condition", "c1", DataCategory::kProblems,
                   static_cast<SensitivitySet>(sensitivity_bit(Sensitivity::kSexualHealth) |
                                               sensitivity_bit(Sensitivity::kMentalHealthNotes)),
                   "Z90001"},
                  {"CarePlan", "cp1", DataCategory::kCarePlans, 0, "Z9M01"}};
  in.break_glass = break_glass("user-1");
  return in;
}

TEST(RecordedInput, RoundTripsThroughJson) {
  const RecordedInput in = sample();
  const std::string json = recorded_input_json(in);
  auto back = parse_recorded_input(json);
  ASSERT_TRUE(back.has_value()) << back.error().detail << "\n" << json;
  EXPECT_EQ(recorded_input_json(*back), json);
  EXPECT_EQ(back->at, kNow);
  EXPECT_EQ(back->patient.episodes[0].end, kNow - days{2});
  EXPECT_EQ(back->resources[0].sensitivity, in.resources[0].sensitivity);
  ASSERT_TRUE(back->break_glass.has_value());
  EXPECT_EQ(back->break_glass->user_id, "user-1");
  EXPECT_EQ(back->break_glass->expires_at, in.break_glass->expires_at);
}

TEST(RecordedInput, ResourcesPreparedOnceAreRecordedTheSame) {
  const RecordedInput in = sample();
  RecordedInput kept = sample();
  kept.prepared_resources = prepare_recorded_resources(kept.resources);
  kept.resources.clear();  // not read when prepared_resources is set
  EXPECT_EQ(recorded_input_json(kept), recorded_input_json(in));
}

TEST(RecordedInput, BadFieldsAreNamed) {
  const std::string good = recorded_input_json(sample());
  const std::vector<std::pair<std::string, std::string>> breaks = {
      {"\"purpose\":\"direct-care\"", "\"purpose\":\"research\""},
      {"\"category\":\"problems\"", "\"category\":\"gossip\""},
      {"\"kind\":\"mental-health-episode\"", "\"kind\":\"holiday\""},
      {"\"at\":\"2026-06-01T12:00:00Z\"", "\"at\":\"2026-06-01 12:00\""},
      {"\"reason\":\"emergency-treatment\"", "\"reason\":\"nosiness\""}};
  for (const auto& [from, to] : breaks) {
    std::string text = good;
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << good;
    text.replace(at, from.size(), to);
    const auto r = parse_recorded_input(text);
    ASSERT_FALSE(r.has_value()) << to;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
    EXPECT_NE(r.error().detail.find("recorded input"), std::string::npos);
  }
  EXPECT_FALSE(parse_recorded_input("[]").has_value());
}

TEST(RecordedInput, InstantsAreUtcSeconds) {
  EXPECT_EQ(parse_instant("2026-06-01T12:00:00Z"), kNow);
  EXPECT_EQ(format_instant(kNow + std::chrono::seconds{61}), "2026-06-01T12:01:01Z");
  for (const char* t : {"2028-02-29T23:59:59Z", "2026-12-31T00:00:00Z", "1999-01-09T09:09:09Z",
                        "2100-10-10T10:10:10Z"}) {
    const auto at = parse_instant(t);
    ASSERT_TRUE(at.has_value()) << t;
    EXPECT_EQ(format_instant(*at), t);
  }
  EXPECT_FALSE(parse_instant("2026-02-30T12:00:00Z").has_value());
  EXPECT_FALSE(parse_instant("2026-06-01T24:00:00Z").has_value());
  EXPECT_FALSE(parse_instant("2026-06-01T12:00:00+01:00").has_value());
}

TEST(PolicySet, CompilesTheConfigAndTheCodeLists) {
  config::LoadOptions opts;
  opts.check_files = false;
  const auto lr =
      config::load_file(std::string(CAREGW_SOURCE_DIR) + "/examples/demo/caregw.yaml", opts);
  ASSERT_TRUE(lr.errors.empty());
  std::vector<config::Diagnostic> errors;
  const auto set = load_policy_set(*lr.config, read_from_disk, kNow, errors);
  ASSERT_TRUE(set.has_value()) << errors[0].str();
  EXPECT_EQ(set->index->agreements().size(), 2U);
  EXPECT_GT(set->classifier->size(), 0U);
  EXPECT_EQ(set->index->rules().recent_encounter, std::chrono::hours{24 * 28});
  // A set with a problem is not returned.
  config::Config broken = *lr.config;
  broken.agreements.push_back({"dsa/none.yaml", "/nonexistent/none.yaml", 9});
  errors.clear();
  EXPECT_FALSE(load_policy_set(broken, read_from_disk, kNow, errors).has_value());
  EXPECT_FALSE(errors.empty());
}

TEST(Vocabulary, ResourceTypesHaveTheirUsualCategory) {
  EXPECT_EQ(category_for_resource_type("Patient"), DataCategory::kDemographics);
  EXPECT_EQ(category_for_resource_type("Condition"), DataCategory::kProblems);
  EXPECT_EQ(category_for_resource_type("MedicationRequest"), DataCategory::kMedications);
  EXPECT_EQ(category_for_resource_type("AllergyIntolerance"), DataCategory::kAllergies);
  EXPECT_EQ(category_for_resource_type("CarePlan"), DataCategory::kCarePlans);
  EXPECT_EQ(category_for_resource_type("Flag"), std::nullopt);
}

}  // namespace
}  // namespace gw::policy::test
