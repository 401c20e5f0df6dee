// Sensitive code lists: the shipped lists load, classify real codes into their classes, and a
// badly written list is reported with its line.
#include "gateway/policy/sensitive_codes.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "gateway/policy/embedded.hpp"
#include "gateway/policy/policy_set.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::policy {
namespace {

constexpr std::string_view kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr std::string_view kSnomed = "http://snomed.info/sct";
constexpr std::string_view kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

TEST(SensitiveCodes, ShippedListsLoadAndClassify) {
  const auto files = embedded_sensitive_code_lists();
  ASSERT_GE(files.size(), 8U);
  std::vector<config::Diagnostic> errors;
  const auto c = SensitiveCodeClassifier::load(files, errors);
  EXPECT_TRUE(errors.empty()) << errors[0].str();
  EXPECT_GT(c.size(), 10U);
  EXPECT_EQ(c.classify(kIcd10, "B20.1"), sensitivity_bit(Sensitivity::kSexualHealth));
  EXPECT_EQ(c.classify(kIcd10, "Z21"), sensitivity_bit(Sensitivity::kSexualHealth));
  EXPECT_EQ(c.classify(kSnomed, "57797005"), sensitivity_bit(Sensitivity::kTerminationOfPregnancy));
  EXPECT_EQ(c.classify(kSnomed, "58533008"), sensitivity_bit(Sensitivity::kAssistedConception));
  EXPECT_EQ(c.classify(kSnomed, "407377005"), sensitivity_bit(Sensitivity::kGenderReassignment));
  EXPECT_EQ(c.classify(kSnomed, "444175001"), sensitivity_bit(Sensitivity::kMentalHealthNotes));
  EXPECT_EQ(c.classify(kActCode, "PSYTHPN"), sensitivity_bit(Sensitivity::kMentalHealthNotes));
  EXPECT_EQ(c.classify(kActCode, "SDV"), sensitivity_bit(Sensitivity::kSafeguardingThirdParty));
  // Other sensitivity labels of the same value set are not legal exclusions here.
  EXPECT_EQ(c.classify(kActCode, "PSY"), 0);
  EXPECT_EQ(c.classify(kActCode, "sdv"), 0);
  // Not sensitive: hypertension; the same digits in another system; a prefix of a code.
  EXPECT_EQ(c.classify(kSnomed, "38341003"), 0);
  EXPECT_EQ(c.classify(kIcd10, "57797005"), 0);
  EXPECT_EQ(c.classify(kSnomed, "5779700"), 0);
  EXPECT_EQ(c.classify(kIcd10, "I10"), 0);
  const std::vector<Coding> codes = {{kSnomed, "38341003"}, {kIcd10, "A54.0"}};
  EXPECT_EQ(c.classify(codes), sensitivity_bit(Sensitivity::kSexualHealth));
}

TEST(SensitiveCodes, EveryShippedListNamesItsSource) {
  for (const auto& f : embedded_sensitive_code_lists()) {
    EXPECT_NE(f.text.find("\n# source: "), std::string::npos) << f.name;
    EXPECT_EQ(f.text.rfind("# class: ", 0), 0U) << f.name;
  }
}

TEST(SensitiveCodes, MistakesAreReportedWithTheirLine) {
  const std::vector<NamedText> files = {
      {"a.csv",
       "# class: sexual-health\n# system: http://snomed.info/sct\n"
       "code,match,display\n"},  // no source line
      {"b.csv", "# class: gossip\n# system: s\n# source: x\ncode,match,display\n"},
      {"c.csv",
       "# class: sexual-health\n# system: s\n# source: x\ncode,match,display\n"
       "123,exact,ok\n456,fuzzy,bad match\n"},
      {"d.csv", "# class: sexual-health\n# system: s\n# source: x\ncode;display\n"}};
  std::vector<config::Diagnostic> errors;
  const auto c = SensitiveCodeClassifier::load(files, errors);
  std::vector<std::string> got;
  for (const auto& e : errors) {
    got.push_back(e.str());
  }
  const std::vector<std::string> want = {
      "a.csv:3: a code list needs '# class:', '# system:' and '# source:' lines before its header",
      "b.csv:1: unknown sensitivity class 'gossip'",
      "c.csv:6: a row must be 'code,exact|prefix,display'",
      "d.csv:4: expected the header 'code,match,display'"};
  for (const auto& w : want) {
    EXPECT_NE(std::find(got.begin(), got.end(), w), got.end()) << w << "\n"
                                                               << ::testing::PrintToString(got);
  }
  EXPECT_EQ(c.classify("s", "123"), sensitivity_bit(Sensitivity::kSexualHealth));
}

}  // namespace
}  // namespace gw::policy

namespace gw::policy {
namespace {

TEST(SensitiveCodeLists, TheConfigsMappingsDirectoryIsReadAndItsErrorsNamed) {
  // An IG lead adds a code to the lists of the mappings directory the config names: the next
  // load (start or SIGHUP) applies it without a rebuild; without that directory the shipped
  // lists are used.
  test::TempDir dir;
  config::Config cfg;
  cfg.mappings.value = dir.file("maps");
  EXPECT_EQ(sensitive_code_lists(cfg).size(), embedded_sensitive_code_lists().size());
  std::filesystem::create_directories(dir.file("maps/terminology/sensitive"));
  (void)dir.write("maps/terminology/sensitive/local-snomed.csv",
                  "# class: sexual-health\n# system: http://snomed.info/sct\n"
                  "# source: local list for the test\ncode,match,display\n"
                  "38341003,exact,an ordinary code listed here only to see it applied\n");
  const auto lists = sensitive_code_lists(cfg);
  ASSERT_EQ(lists.size(), 1U);
  std::vector<config::Diagnostic> errors;
  const auto c = SensitiveCodeClassifier::load(lists, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(c.classify(kSnomed, "38341003"), sensitivity_bit(Sensitivity::kSexualHealth));
  EXPECT_EQ(c.classify(kSnomed, "57797005"), 0);  // the shipped lists are not mixed in
  (void)dir.write("maps/terminology/sensitive/local-snomed.csv",
                  "# class: no-such-class\n# system: http://snomed.info/sct\n"
                  "# source: x\ncode,match,display\n");
  (void)SensitiveCodeClassifier::load(sensitive_code_lists(cfg), errors);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].str().find("local-snomed.csv:1"), std::string::npos) << errors[0].str();
}

}  // namespace
}  // namespace gw::policy
