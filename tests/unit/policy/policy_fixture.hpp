// Shared fixtures for the policy tests: the five demo organisations, two agreements written as
// the YAML an IG lead would write, and helpers for requesters, patients and times.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/policy/engine.hpp"

namespace gw::policy::test {

using std::chrono::days;
using std::chrono::hours;

/** at: a UTC time on a date (tests never read the wall clock). */
inline TimePoint at(int y, unsigned m, unsigned d, int hour = 12) {
  return std::chrono::sys_days{std::chrono::year{y} / m / d} + hours{hour};
}

/** kNow: the fixed "now" of the tests. */
inline const TimePoint kNow = at(2026, 6, 1);

// Synthetic NHS numbers from the 999 test range, valid Modulus 11 check digits.
inline constexpr const char* kPatientA = "9990000018";
inline constexpr const char* kPatientB = "9990000026";

/** lines_of: a text file's lines (a recorded inputs file, one JSON line each). */
inline std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

inline config::Organisation org(const char* ods, config::OrgKind kind) {
  return config::Organisation{*OdsCode::parse(ods), std::string("Org ") + ods, kind, "", 0};
}

/** demo_config: a Config holding the five demo organisations. */
inline config::Config demo_config() {
  config::Config c;
  c.source = "test.yaml";
  c.organisations = {org("Z90001", config::OrgKind::kGp), org("Z9A01", config::OrgKind::kAcute),
                     org("Z9M01", config::OrgKind::kMentalHealth),
                     org("Z9S01", config::OrgKind::kSocialCare),
                     org("Z9L01", config::OrgKind::kAmbulance)};
  return c;
}

inline const char* kDirectCareYaml = R"yaml(id: DSA-DC
title: Direct care
version: "2"
parties:
  - kind: gp
  - kind: acute
  - kind: mental-health
  - kind: social-care
  - kind: ambulance
purposes: [direct-care]
categories: [demographics, registration, problems, medications, allergies, encounters,
             observations, care-plans, mental-health-detail, social-care-detail, documents]
roles: [R8000, R0050, R8001, R1330, R1070]
break_glass_roles: [R8000, R0050, R1070]
legal_basis:
  article_6: ["6(1)(e)"]
  article_9: ["9(2)(h)"]
valid_from: 2025-04-01
valid_to: 2028-03-31
legitimate_relationship_required: true
break_glass_allowed: true
objection_overridden_by: [break-glass]
)yaml";

inline const char* kSafeguardingYaml = R"yaml(id: DSA-SG
title: Safeguarding
version: "1"
parties:
  - kind: gp
  - kind: acute
  - kind: mental-health
  - kind: social-care
purposes: [safeguarding]
categories: [demographics, problems, encounters, social-care-detail, safeguarding]
roles: [R8000, R1330]
legal_basis:
  article_6: ["6(1)(e)"]
  article_9: ["9(2)(g)"]
valid_from: 2025-04-01
valid_to: 2028-03-31
legitimate_relationship_required: true
break_glass_allowed: false
objection_overridden_by: [safeguarding]
)yaml";

/** parse: one agreement from YAML text; fails the test on any error. */
inline Agreement parse(const std::string& yaml, const std::string& name = "dsa.yaml") {
  auto r = parse_agreement(yaml, name);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  return r.agreements.empty() ? Agreement{} : r.agreements[0];
}

/** replace: the YAML text with one substring replaced (for variants of an agreement). */
inline std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

inline PolicyIndex index_of(std::vector<Agreement> agreements,
                            RelationshipRules rules = RelationshipRules{}) {
  return PolicyIndex(std::move(agreements), demo_config().organisations, rules);
}

inline PolicyIndex demo_index() {
  return index_of({parse(kDirectCareYaml), parse(kSafeguardingYaml)});
}

inline Requester requester(const char* ods, const char* role,
                           Purpose purpose = Purpose::kDirectCare, const char* user_id = "user-1") {
  return Requester{ods, User{user_id, "Test User (invented)", role, ods, purpose}};
}

inline PatientContext patient(const char* registered = "Z90001") {
  PatientContext p;
  p.nhs_number = kPatientA;
  p.registered_practice = registered;
  return p;
}

inline ResourceFacts resource(DataCategory category, const char* source = "Z9A01",
                              SensitivitySet sensitivity = 0) {
  return ResourceFacts{"Condition", "c1", category, sensitivity, source};
}

inline BreakGlassGrant break_glass(const char* user_id = "user-1",
                                   const char* nhs_number = kPatientA) {
  return BreakGlassGrant{user_id,
                         nhs_number,
                         BreakGlassReason::kEmergencyTreatment,
                         "Unconscious patient in resus, no history available",
                         kNow - hours{1},
                         kNow + hours{3}};
}

}  // namespace gw::policy::test
