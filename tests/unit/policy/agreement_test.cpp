// Loading data-sharing agreements: every kind of mistake is reported as file:line, and the
// demo agreements load cleanly against the demo config (from disk and as compiled in).
#include "gateway/policy/agreement.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"
#include "gateway/policy/embedded.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

std::vector<std::string> messages(const std::vector<config::Diagnostic>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) {
    out.push_back(e.str());
  }
  return out;
}

bool contains(const std::vector<config::Diagnostic>& errors, const std::string& want) {
  for (const auto& e : errors) {
    if (e.str().find(want) != std::string::npos) {
      return true;
    }
  }
  return false;
}

/** line_of: the 1-based line of the first line containing `needle`. */
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  return at == std::string::npos
             ? 0
             : 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

struct Mistake {
  const char* name;
  const char* from;
  const char* to;
  const char* line_marker;  // text on the line the error must name
  const char* message;
};

class AgreementMistakes : public ::testing::TestWithParam<Mistake> {};

TEST_P(AgreementMistakes, AreReportedWithTheirLine) {
  const Mistake& m = GetParam();
  const std::string text = replace(kDirectCareYaml, m.from, m.to);
  const auto r = parse_agreement(text, "dsa/direct-care.yaml");
  const std::string want =
      "dsa/direct-care.yaml:" + std::to_string(line_of(text, m.line_marker)) + ": " + m.message;
  EXPECT_TRUE(contains(r.errors, want))
      << "want: " << want << "\ngot: " << ::testing::PrintToString(messages(r.errors));
  EXPECT_TRUE(r.agreements.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Dsa, AgreementMistakes,
    ::testing::Values(
        Mistake{"unknown_category", "observations,", "observatons,", "observatons",
                "unknown data category 'observatons'"},
        Mistake{"unknown_role", "R1070]\nbreak", "R9999]\nbreak", "R9999",
                "unknown RBAC job role code 'R9999'"},
        Mistake{"unknown_break_glass_role", "break_glass_roles: [R8000,",
                "break_glass_roles: [R0000,", "R0000", "unknown RBAC job role code 'R0000'"},
        Mistake{"unknown_purpose", "purposes: [direct-care]", "purposes: [research]",
                "purposes:", "unknown purpose of use 'research'"},
        Mistake{"bad_article_6", "\"6(1)(e)\"", "\"6(1)(g)\"", "6(1)(g)",
                "'6(1)(g)' is not a UK GDPR Article 6 condition"},
        Mistake{"bad_article_9", "\"9(2)(h)\"", "\"9(3)(h)\"", "9(3)(h)",
                "'9(3)(h)' is not a UK GDPR Article 9 condition"},
        Mistake{"bad_date", "valid_to: 2028-03-31", "valid_to: 2028-02-30", "valid_to",
                "'valid_to' must be a date YYYY-MM-DD"},
        Mistake{"dates_reversed", "valid_to: 2028-03-31", "valid_to: 2024-03-31", "valid_to",
                "'valid_to' is before 'valid_from'"},
        Mistake{"unknown_kind", "  - kind: ambulance", "  - kind: hospice", "hospice",
                "unknown organisation kind 'hospice'"},
        Mistake{"bad_ods", "  - kind: ambulance", "  - ods: Z9-L01", "Z9-L01",
                "ODS code may hold only letters and digits"},
        Mistake{"unknown_key", "break_glass_allowed: true", "break_glass_alowed: true",
                "break_glass_alowed", "unknown key 'break_glass_alowed'"},
        Mistake{"not_a_flag", "break_glass_allowed: true", "break_glass_allowed: maybe",
                "break_glass_allowed", "'break_glass_allowed' must be true or false"},
        Mistake{"bad_override", "[break-glass]", "[consent]", "objection_overridden_by",
                "'objection_overridden_by' entries must be safeguarding or break-glass"},
        Mistake{"missing_id", "id: DSA-DC\n", "", "title:", "missing required key 'id'"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Dsa, YamlSyntaxErrorNamesTheFile) {
  const auto r = parse_agreement("id: [unclosed\ntitle: x\n", "dsa/bad.yaml");
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].file, "dsa/bad.yaml");
  EXPECT_GT(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].message.find("not valid YAML"), std::string::npos);
}

TEST(Dsa, ParsesEveryField) {
  const Agreement a = parse(kDirectCareYaml);
  EXPECT_EQ(a.id, "DSA-DC");
  EXPECT_EQ(a.version, "2");
  EXPECT_EQ(a.parties.size(), 5U);
  EXPECT_TRUE(a.has_purpose(Purpose::kDirectCare));
  EXPECT_FALSE(a.has_purpose(Purpose::kSafeguarding));
  EXPECT_EQ(a.categories & category_bit(DataCategory::kSafeguarding), 0);
  EXPECT_NE(a.categories & category_bit(DataCategory::kDocuments), 0);
  EXPECT_EQ(a.roles.size(), 5U);
  EXPECT_EQ(a.break_glass_roles, (std::vector<std::string>{"R8000", "R0050", "R1070"}));
  EXPECT_EQ(a.legal_basis_6, std::vector<std::string>{"6(1)(e)"});
  EXPECT_EQ(a.legal_basis_9, std::vector<std::string>{"9(2)(h)"});
  EXPECT_TRUE(a.relationship_required);
  EXPECT_TRUE(a.break_glass_allowed);
  EXPECT_TRUE(a.objection_overridden_by_break_glass);
  EXPECT_FALSE(a.objection_overridden_by_safeguarding);
  EXPECT_TRUE(a.valid_at(at(2028, 3, 31, 23)));
  EXPECT_FALSE(a.valid_at(at(2028, 4, 1, 0)));
  EXPECT_FALSE(a.valid_at(at(2025, 3, 31, 23)));
}

TEST(Dsa, PartyThatIsNotConfiguredIsAnError) {
  std::vector<Agreement> set = {
      parse(replace(kDirectCareYaml, "  - kind: ambulance", "  - ods: Z9X99"), "dc.yaml")};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, demo_config(), kNow, errors);
  EXPECT_TRUE(contains(errors, "dc.yaml:9: party Z9X99 is not a configured organisation"))
      << ::testing::PrintToString(messages(errors));
}

TEST(Dsa, KindWithNoConfiguredOrganisationIsAnError) {
  config::Config c = demo_config();
  c.organisations.pop_back();  // no ambulance service
  std::vector<Agreement> set = {parse(kDirectCareYaml, "dc.yaml")};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, c, kNow, errors);
  EXPECT_TRUE(contains(errors, "dc.yaml:9: party kind 'ambulance' matches no configured"));
}

TEST(Dsa, ExpiredAgreementIsAnError) {
  std::vector<Agreement> set = {
      parse(replace(kDirectCareYaml, "valid_to: 2028-03-31", "valid_to: 2026-03-31"), "dc.yaml")};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, demo_config(), kNow, errors);
  EXPECT_TRUE(contains(errors, "dc.yaml:1: agreement DSA-DC version 2 expired on 2026-03-31"))
      << ::testing::PrintToString(messages(errors));
}

TEST(Dsa, OverlappingAgreementsAreAnError) {
  const std::string second = replace(kDirectCareYaml, "id: DSA-DC", "id: DSA-DC-2");
  std::vector<Agreement> set = {parse(kDirectCareYaml, "a.yaml"), parse(second, "b.yaml")};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, demo_config(), kNow, errors);
  EXPECT_TRUE(contains(errors, "b.yaml:1: agreement DSA-DC-2 overlaps DSA-DC (a.yaml:1)"))
      << ::testing::PrintToString(messages(errors));
}

TEST(Dsa, SamePartiesForDifferentPurposesOrYearsDoNotOverlap) {
  const std::string later =
      replace(replace(replace(kDirectCareYaml, "id: DSA-DC", "id: DSA-DC-NEXT"),
                      "valid_from: 2025-04-01", "valid_from: 2028-04-01"),
              "valid_to: 2028-03-31", "valid_to: 2031-03-31");
  std::vector<Agreement> set = {parse(kDirectCareYaml), parse(kSafeguardingYaml), parse(later)};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, demo_config(), kNow, errors);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(messages(errors));
}

TEST(Dsa, DuplicateIdIsAnError) {
  const std::string other = replace(kSafeguardingYaml, "id: DSA-SG", "id: DSA-DC");
  std::vector<Agreement> set = {parse(kDirectCareYaml, "a.yaml"), parse(other, "b.yaml")};
  std::vector<config::Diagnostic> errors;
  check_agreements(set, demo_config(), kNow, errors);
  EXPECT_TRUE(contains(errors, "b.yaml:1: agreement id 'DSA-DC' is used twice"));
}

TEST(Dsa, UnreadableFileIsReportedOnTheConfigLine) {
  config::Config c = demo_config();
  c.agreements.push_back({"dsa/missing.yaml", "/nonexistent/dsa/missing.yaml", 42});
  const auto r = load_agreements(c, read_from_disk, kNow);
  EXPECT_TRUE(contains(r.errors, "test.yaml:42: cannot read agreement file"));
  EXPECT_TRUE(r.agreements.empty());
}

TEST(Dsa, DemoAgreementsLoadAgainstTheDemoConfig) {
  config::LoadOptions opts;
  opts.check_files = false;
  const auto lr =
      config::load_file(std::string(CAREGW_SOURCE_DIR) + "/examples/demo/caregw.yaml", opts);
  ASSERT_TRUE(lr.errors.empty()) << lr.errors[0].str();
  ASSERT_EQ(lr.config->agreements.size(), 2U);
  const auto disk = load_agreements(*lr.config, read_from_disk, kNow);
  EXPECT_TRUE(disk.errors.empty()) << ::testing::PrintToString(messages(disk.errors));
  EXPECT_EQ(disk.agreements.size(), 2U);
  // The copies compiled into the binary for `serve --demo` are the same agreements.
  const auto embedded = load_agreements(*lr.config, read_demo_file, kNow);
  EXPECT_TRUE(embedded.errors.empty()) << ::testing::PrintToString(messages(embedded.errors));
  ASSERT_EQ(embedded.agreements.size(), 2U);
  EXPECT_EQ(embedded.agreements[0].id, disk.agreements[0].id);
  // Every kind of organisation is a party to a direct-care agreement.
  const PolicyIndex index(disk.agreements, lr.config->organisations, RelationshipRules{});
  for (const auto& o : lr.config->organisations) {
    EXPECT_FALSE(index.candidates(index.org_index(o.ods.str()), Purpose::kDirectCare).empty())
        << o.ods.str();
  }
}

TEST(Dsa, ConfigNamesAgreementsIssuersAndPolicySettings) {
  config::LoadOptions opts;
  opts.check_files = false;
  const std::string text =
      "data_dir: /tmp/x\n"
      "tls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners: [{name: p, port: 0}]\n"
      "agreements: [dsa/a.yaml]\n"
      "token_issuers:\n"
      "  - {issuer: https://idp, jwks_file: \"${data_dir}/jwks.json\", audience: caregw}\n"
      "  - {issuer: https://idp, jwks_file: j.json, audience: caregw}\n"
      "policy:\n"
      "  break_glass_hours: 0\n"
      "  recent_encounter_days: 14\n"
      "  relationship_ambulance: perhaps\n";
  const auto lr = config::load_text(text, "c.yaml", "/etc/caregw", opts);
  const std::vector<std::string> want = {
      "c.yaml:7: token issuer 'https://idp' is configured twice",
      "c.yaml:9: 'break_glass_hours' must be a whole number from 1 to 72",
      "c.yaml:11: 'relationship_ambulance' must be true or false"};
  for (const auto& w : want) {
    EXPECT_TRUE(contains(lr.errors, w)) << w << "\n"
                                        << ::testing::PrintToString(messages(lr.errors));
  }
  const auto ok = config::load_text(
      "data_dir: /tmp/x\ntls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners: [{name: p, port: 0}]\nagreements: [dsa/a.yaml]\n"
      "token_issuers: [{issuer: https://idp, jwks_file: \"${data_dir}/jwks.json\", audience: gw}]\n"
      "policy: {recent_encounter_days: 14}\n",
      "c.yaml", "/etc/caregw", opts);
  ASSERT_TRUE(ok.errors.empty()) << ok.errors[0].str();
  EXPECT_EQ(ok.config->agreements[0].path, "/etc/caregw/dsa/a.yaml");
  EXPECT_EQ(ok.config->agreements[0].raw, "dsa/a.yaml");
  EXPECT_EQ(ok.config->token_issuers[0].jwks_file.path, "/tmp/x/jwks.json");
  EXPECT_EQ(ok.config->policy.recent_encounter_days, 14U);
  EXPECT_EQ(ok.config->policy.break_glass_hours, 4U);
}

}  // namespace
}  // namespace gw::policy::test
