// The policy engine's rules, one table row per rule and per combination that matters: who may
// see what, for which purpose, under which agreement, and what break-glass can and cannot lift.
#include "gateway/policy/engine.hpp"

#include <cctype>
#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

constexpr auto kIdentity = [](PatientContext&) {};

Episode episode(EpisodeKind kind, const char* org, bool open, std::optional<TimePoint> end = {},
                TimePoint start = kNow - days{5}) {
  Episode e;
  e.kind = kind;
  e.org = org;
  e.open = open;
  e.start = start;
  e.end = end;
  return e;
}

struct Case {
  const char* name;
  Requester requester;
  std::function<void(PatientContext&)> patient;
  ResourceFacts resource;
  bool break_glass;
  Effect effect;
  Rule rule;
};

std::vector<Case> cases() {
  using C = DataCategory;
  using K = EpisodeKind;
  const SensitivitySet hiv = sensitivity_bit(Sensitivity::kSexualHealth);
  return {
      {"registered GP sees acute problems", requester("Z90001", "R8000"), kIdentity,
       resource(C::kProblems), false, Effect::kPermit, Rule::kPermitted},
      {"GP of another practice has no relationship", requester("Z90001", "R8000"),
       [](PatientContext& p) { p.registered_practice = "Z90002"; }, resource(C::kProblems), false,
       Effect::kDeny, Rule::kNoLegitimateRelationship},
      {"acute with an open admission", requester("Z9A01", "R0050"),
       [](PatientContext& p) { p.episodes.push_back(episode(K::kAdmission, "Z9A01", true)); },
       resource(C::kMedications, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"acute attendance closed 10 days ago is recent", requester("Z9A01", "R0050"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kAttendance, "Z9A01", false, kNow - days{10}));
       },
       resource(C::kAllergies, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"acute attendance closed 40 days ago is not", requester("Z9A01", "R0050"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kAttendance, "Z9A01", false, kNow - days{40}));
       },
       resource(C::kAllergies, "Z90001"), false, Effect::kDeny, Rule::kNoLegitimateRelationship},
      {"admission at another trust is no relationship", requester("Z9A01", "R0050"),
       [](PatientContext& p) { p.episodes.push_back(episode(K::kAdmission, "Z9A02", true)); },
       resource(C::kProblems, "Z90001"), false, Effect::kDeny, Rule::kNoLegitimateRelationship},
      {"open mental health episode", requester("Z9M01", "R8001"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kMentalHealthEpisode, "Z9M01", true));
       },
       resource(C::kMedications, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"closed mental health episode", requester("Z9M01", "R8001"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kMentalHealthEpisode, "Z9M01", false, kNow - days{1}));
       },
       resource(C::kMedications, "Z90001"), false, Effect::kDeny, Rule::kNoLegitimateRelationship},
      {"care coordinator of an open episode elsewhere",
       requester("Z9S01", "R1330", Purpose::kDirectCare, "cc-7"),
       [](PatientContext& p) {
         auto e = episode(K::kMentalHealthEpisode, "Z9M01", true);
         e.care_coordinator = "cc-7";
         p.episodes.push_back(e);
       },
       resource(C::kCarePlans, "Z9M01"), false, Effect::kPermit, Rule::kPermitted},
      {"open social care case", requester("Z9S01", "R1330"),
       [](PatientContext& p) { p.episodes.push_back(episode(K::kSocialCareCase, "Z9S01", true)); },
       resource(C::kEncounters, "Z9A01"), false, Effect::kPermit, Rule::kPermitted},
      {"ambulance incident 3 hours ago", requester("Z9L01", "R1070"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kAmbulanceIncident, "Z9L01", false, {}, kNow - hours{3}));
       },
       resource(C::kCarePlans, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"ambulance incident 30 hours ago", requester("Z9L01", "R1070"),
       [](PatientContext& p) {
         p.episodes.push_back(episode(K::kAmbulanceIncident, "Z9L01", false, {}, kNow - hours{30}));
       },
       resource(C::kCarePlans, "Z90001"), false, Effect::kDeny, Rule::kNoLegitimateRelationship},
      {"role not in the agreement", requester("Z90001", "R8002"), kIdentity, resource(C::kProblems),
       false, Effect::kDeny, Rule::kRoleNotAllowed},
      {"purpose no agreement covers", requester("Z90001", "R8000", Purpose::kIgAudit), kIdentity,
       resource(C::kProblems), false, Effect::kDeny, Rule::kNoAgreement},
      {"organisation not configured", requester("Z99999", "R8000"),
       [](PatientContext& p) { p.registered_practice = "Z99999"; }, resource(C::kProblems), false,
       Effect::kDeny, Rule::kNoAgreement},
      {"legal exclusion withheld from the registered GP", requester("Z90001", "R8000"), kIdentity,
       resource(C::kProblems, "Z9A01", hiv), false, Effect::kDeny, Rule::kLegalExclusion},
      {"category outside the agreement", requester("Z90001", "R8000"), kIdentity,
       resource(C::kSafeguarding), false, Effect::kDeny, Rule::kCategoryNotInAgreement},
      {"source organisation outside the agreement",
       requester("Z9S01", "R1330", Purpose::kSafeguarding),
       [](PatientContext& p) { p.episodes.push_back(episode(K::kSocialCareCase, "Z9S01", true)); },
       resource(C::kEncounters, "Z9L01"), false, Effect::kDeny, Rule::kSourceNotInAgreement},
      {"safeguarding category under the safeguarding agreement",
       requester("Z9S01", "R1330", Purpose::kSafeguarding),
       [](PatientContext& p) { p.episodes.push_back(episode(K::kSocialCareCase, "Z9S01", true)); },
       resource(C::kSafeguarding, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"patient objection withholds direct care", requester("Z90001", "R8000"),
       [](PatientContext& p) { p.objection = true; }, resource(C::kProblems), false, Effect::kDeny,
       Rule::kPatientObjection},
      {"safeguarding overrides the objection where the agreement says so",
       requester("Z9S01", "R1330", Purpose::kSafeguarding),
       [](PatientContext& p) {
         p.objection = true;
         p.episodes.push_back(episode(K::kSocialCareCase, "Z9S01", true));
       },
       resource(C::kProblems, "Z90001"), false, Effect::kPermit, Rule::kPermitted},
      {"break-glass overrides the objection where the agreement says so",
       requester("Z90001", "R8000"), [](PatientContext& p) { p.objection = true; },
       resource(C::kProblems), true, Effect::kPermit, Rule::kPermittedByBreakGlass},
      {"break-glass stands in for a relationship", requester("Z9A01", "R0050"), kIdentity,
       resource(C::kMedications, "Z90001"), true, Effect::kPermit, Rule::kPermittedByBreakGlass},
      {"break-glass by a role the agreement does not allow to", requester("Z9M01", "R8001"),
       kIdentity, resource(C::kMedications, "Z90001"), true, Effect::kDeny,
       Rule::kNoLegitimateRelationship},
      {"break-glass never lifts a legal exclusion", requester("Z9A01", "R0050"), kIdentity,
       resource(C::kProblems, "Z90001", hiv), true, Effect::kDeny, Rule::kLegalExclusion},
      {"break-glass never lifts a legal exclusion with a relationship",
       requester("Z90001", "R8000"), kIdentity,
       resource(C::kProblems, "Z9A01", sensitivity_bit(Sensitivity::kTerminationOfPregnancy)), true,
       Effect::kDeny, Rule::kLegalExclusion},
      {"break-glass does not widen the categories", requester("Z9A01", "R0050"), kIdentity,
       resource(C::kSafeguarding, "Z90001"), true, Effect::kDeny, Rule::kCategoryNotInAgreement},
      {"break-glass is not allowed for safeguarding",
       requester("Z90001", "R8000", Purpose::kSafeguarding),
       [](PatientContext& p) { p.registered_practice = "Z90002"; }, resource(C::kProblems), true,
       Effect::kDeny, Rule::kNoLegitimateRelationship},
  };
}

class RuleTable : public ::testing::TestWithParam<Case> {};

TEST_P(RuleTable, DecidesAsTheRuleSays) {
  const Case& c = GetParam();
  const PolicyIndex index = demo_index();
  PatientContext p = patient();
  c.patient(p);
  const BreakGlassGrant bg = break_glass(c.requester.user.id.c_str());
  const ResourceDecision d =
      decide(index, c.requester, p, c.resource, kNow, c.break_glass ? &bg : nullptr);
  EXPECT_EQ(d.effect, c.effect) << c.name;
  EXPECT_EQ(rule_name(d.rule), rule_name(c.rule)) << c.name;
  EXPECT_EQ(d.break_glass, c.rule == Rule::kPermittedByBreakGlass) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Policy, RuleTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           std::string n;
                           for (const char* s = p.param.name; *s != 0; ++s) {
                             n += std::isalnum(static_cast<unsigned char>(*s)) != 0 ? *s : '_';
                           }
                           return n;
                         });

TEST(Policy, NoAgreementNeverPermits) {
  const PolicyIndex empty = index_of({});
  for (const char* ods : {"Z90001", "Z9A01", "Z9M01", "Z9S01", "Z9L01"}) {
    for (Purpose purpose : {Purpose::kDirectCare, Purpose::kSafeguarding, Purpose::kIgAudit}) {
      for (std::size_t c = 0; c < kCategoryCount; ++c) {
        PatientContext p = patient(ods);
        p.episodes.push_back(Episode{EpisodeKind::kAdmission, ods, true, kNow, {}, ""});
        const BreakGlassGrant bg = break_glass();
        const auto d = decide(empty, requester(ods, "R8000", purpose), p,
                              resource(static_cast<DataCategory>(c), ods), kNow, &bg);
        EXPECT_EQ(d.effect, Effect::kDeny);
        EXPECT_EQ(d.rule, Rule::kNoAgreement);
      }
    }
  }
}

TEST(Policy, ExpiredAgreementDenies) {
  const PolicyIndex index =
      index_of({parse(replace(kDirectCareYaml, "valid_to: 2028-03-31", "valid_to: 2026-05-31"))});
  const auto d = decide(index, requester("Z90001", "R8000"), patient(),
                        resource(DataCategory::kProblems), kNow);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.rule, Rule::kAgreementNotValid);
  // The last valid day is still valid, to its end.
  const auto on_last_day = decide(index, requester("Z90001", "R8000"), patient(),
                                  resource(DataCategory::kProblems), at(2026, 5, 31, 23));
  EXPECT_EQ(on_last_day.effect, Effect::kPermit);
}

TEST(Policy, AgreementNotYetValidDenies) {
  const PolicyIndex index = index_of(
      {parse(replace(kDirectCareYaml, "valid_from: 2025-04-01", "valid_from: 2026-07-01"))});
  const auto d = decide(index, requester("Z90001", "R8000"), patient(),
                        resource(DataCategory::kProblems), kNow);
  EXPECT_EQ(d.rule, Rule::kAgreementNotValid);
}

TEST(Policy, TokenOrganisationMustBeTheCertificates) {
  Requester r = requester("Z90001", "R8000");
  r.system_ods = "Z9A01";
  const auto d = decide(demo_index(), r, patient(), resource(DataCategory::kProblems), kNow);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.rule, Rule::kOrganisationMismatch);
}

TEST(Policy, AgreementWithoutRelationshipRequirementNeedsNone) {
  const PolicyIndex index =
      index_of({parse(replace(kDirectCareYaml, "legitimate_relationship_required: true",
                              "legitimate_relationship_required: false"))});
  const auto d = decide(index, requester("Z9A01", "R0050"), patient(),
                        resource(DataCategory::kProblems, "Z90001"), kNow);
  EXPECT_EQ(d.effect, Effect::kPermit);
}

TEST(Policy, ObjectionNotOverriddenWhenTheAgreementSaysNothing) {
  const PolicyIndex index =
      index_of({parse(replace(kDirectCareYaml, "objection_overridden_by: [break-glass]\n", ""))});
  PatientContext p = patient();
  p.objection = true;
  const BreakGlassGrant bg = break_glass();
  const auto d =
      decide(index, requester("Z90001", "R8000"), p, resource(DataCategory::kProblems), kNow, &bg);
  EXPECT_EQ(d.rule, Rule::kPatientObjection);
}

TEST(Policy, BreakGlassMustMatchUserPatientAndTime) {
  const PolicyIndex index = demo_index();
  const Requester r = requester("Z9A01", "R0050");
  const PatientContext p = patient();
  const ResourceFacts res = resource(DataCategory::kProblems, "Z90001");
  BreakGlassGrant other_patient = break_glass("user-1", kPatientB);
  BreakGlassGrant other_user = break_glass("user-2");
  BreakGlassGrant expired = break_glass();
  expired.expires_at = kNow - std::chrono::seconds{1};
  for (const auto* bg : {&other_patient, &other_user, &expired}) {
    EXPECT_EQ(decide(index, r, p, res, kNow, bg).rule, Rule::kNoLegitimateRelationship);
  }
  const BreakGlassGrant ok = break_glass();
  EXPECT_EQ(decide(index, r, p, res, kNow, &ok).rule, Rule::kPermittedByBreakGlass);
}

TEST(Policy, RelationshipRulesCanBeTurnedOff) {
  RelationshipRules rules;
  rules.registered_practice = false;
  const PolicyIndex index = index_of({parse(kDirectCareYaml)}, rules);
  const auto d = decide(index, requester("Z90001", "R8000"), patient(),
                        resource(DataCategory::kProblems), kNow);
  EXPECT_EQ(d.rule, Rule::kNoLegitimateRelationship);
}

TEST(Policy, RelationshipWindowsAreConfigurable) {
  config::PolicySettings s;
  s.recent_encounter_days = 60;
  s.ambulance_incident_hours = 48;
  const RelationshipRules rules = RelationshipRules::from_config(s);
  User u{"u", "n", "R0050", "Z9A01", Purpose::kDirectCare};
  PatientContext p = patient();
  p.episodes.push_back(
      Episode{EpisodeKind::kAttendance, "Z9A01", false, kNow - days{50}, kNow - days{40}, ""});
  EXPECT_EQ(find_relationship(rules, u, p, kNow), Relationship::kOpenOrRecentEncounter);
  EXPECT_EQ(find_relationship(RelationshipRules{}, u, p, kNow), Relationship::kNone);
  u.ods = "Z9L01";
  p.episodes = {Episode{EpisodeKind::kAmbulanceIncident, "Z9L01", false, kNow - hours{30}, {}, ""}};
  EXPECT_EQ(find_relationship(rules, u, p, kNow), Relationship::kAmbulanceIncident);
}

TEST(Policy, ManyOrganisationsDecideAsFew) {
  // Above 16 organisations the index looks codes up by hash rather than by scanning.
  std::vector<config::Organisation> orgs = {org("Z9A01", config::OrgKind::kAcute)};
  for (int i = 1; i <= 20; ++i) {
    char ods[8];
    std::snprintf(ods, sizeof ods, "Z9G%02d", i);
    orgs.push_back(org(ods, config::OrgKind::kGp));
  }
  const PolicyIndex index({parse(kDirectCareYaml)}, orgs, RelationshipRules{});
  EXPECT_EQ(index.org_index("Z9G17"), 17);
  EXPECT_EQ(index.org_index("Z9G99"), -1);
  const auto g = authorise(index, requester("Z9G17", "R8000"), patient("Z9G17"), kNow);
  ASSERT_EQ(g.effect, Effect::kPermit);
  EXPECT_EQ(decide(g, resource(DataCategory::kProblems, "Z9G03")).effect, Effect::kPermit);
  EXPECT_EQ(decide(g, resource(DataCategory::kProblems, "Z9A01")).effect, Effect::kPermit);
  EXPECT_EQ(decide(g, resource(DataCategory::kProblems, "Z9G99")).rule,
            Rule::kSourceNotInAgreement);
}

TEST(Policy, RecordSummaryIsPermitWithRedaction) {
  const PolicyIndex index = demo_index();
  const AccessGrant g = authorise(index, requester("Z90001", "R8000"), patient(), kNow);
  const std::vector<ResourceFacts> record = {
      resource(DataCategory::kDemographics, "Z90001"),
      resource(DataCategory::kProblems, "Z9A01"),
      resource(DataCategory::kProblems, "Z9A01", sensitivity_bit(Sensitivity::kAssistedConception)),
      resource(DataCategory::kSafeguarding, "Z9S01"),
  };
  std::vector<ResourceDecision> out;
  const Decision d = decide_all(g, record, out);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(d.effect, Effect::kPermitWithRedaction);
  EXPECT_EQ(d.permitted, 2U);
  EXPECT_EQ(d.withheld, 2U);
  EXPECT_EQ(d.withheld_classes, sensitivity_bit(Sensitivity::kAssistedConception));
  EXPECT_EQ(d.withheld_categories,
            category_bit(DataCategory::kProblems) | category_bit(DataCategory::kSafeguarding));
  ASSERT_EQ(d.agreements.size(), 1U);
  EXPECT_EQ(d.agreements[0]->id, "DSA-DC");
}

TEST(Policy, DeniedRequestDeniesEveryResource) {
  const PolicyIndex index = demo_index();
  PatientContext p = patient();
  p.objection = true;
  const AccessGrant g = authorise(index, requester("Z90001", "R8000"), p, kNow);
  const std::vector<ResourceFacts> record = {resource(DataCategory::kDemographics),
                                             resource(DataCategory::kProblems)};
  std::vector<ResourceDecision> out;
  const Decision d = decide_all(g, record, out);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_TRUE(d.objection);
  EXPECT_EQ(d.permitted, 0U);
  for (const auto& r : out) {
    EXPECT_EQ(r.rule, Rule::kPatientObjection);
  }
}

}  // namespace
}  // namespace gw::policy::test
