// The mapping loader: every kind of mistake is reported as file:line: message, all in one run,
// and the shipped mappings/ directory loads with no errors at all.
#include "gateway/mapping/loader.hpp"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/gateway/mapping/mapping_fixture.hpp"

namespace gw::mapping {
namespace {

using test::kAcute;
using test::kTable;
using test::MappingDir;
using test::replace_line;
using ::testing::HasSubstr;

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) {
    out.push_back(d.str());
  }
  return out;
}

std::string joined(const LoadResult& r) {
  std::string s;
  for (const auto& m : messages(r)) {
    s += m + "\n";
  }
  return s;
}

TEST(MappingLoader, TheShippedMappingsLoadWithNoErrors) {
  const auto r = load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings",
                                {{"Z90001", "Z9A01", "Z9M01", "Z9S01", "Z9L01"}});
  ASSERT_TRUE(r.errors.empty()) << joined(r);
  ASSERT_NE(r.set, nullptr);
  // Every adapter has its identifier rules, and the terminology tables are all there.
  for (auto a : all_adapters()) {
    EXPECT_FALSE(r.set->adapter(a).base.identifiers.empty()) << adapter_name(a);
  }
  EXPECT_GE(r.set->tables().size(), 8U);
  for (const auto& t : r.set->tables()) {
    EXPECT_FALSE(t.sources.empty()) << t.file;
    EXPECT_GT(t.rows, 0U) << t.file;
  }
}

TEST(MappingLoader, TheFixtureIsValid) {
  MappingDir dir;
  const auto r = load_directory(dir.path());
  ASSERT_TRUE(r.errors.empty()) << joined(r);
  EXPECT_EQ(r.set->value_map_count(), 2U);
  EXPECT_EQ(r.set->code_rows(), 2U);
}

TEST(MappingLoader, UnknownTargetElementNamesTheLineAndTheSchema) {
  MappingDir dir;
  const auto f = dir.write("acute/a.yaml", replace_line(kAcute, 5, "    target: Patient.sex"));
  const auto r = load_directory(dir.path());
  EXPECT_EQ(r.set, nullptr);
  ASSERT_EQ(r.errors.size(), 1U) << joined(r);
  EXPECT_THAT(r.errors[0].str(), HasSubstr(f + ":5: unknown target element 'Patient.sex' for "
                                               "adapter acute (expected one of: Patient.gender,"));
}

TEST(MappingLoader, DuplicateNativeCodeInAValueMap) {
  MappingDir dir;
  const auto f =
      dir.write("acute/a.yaml", replace_line(kAcute, 10, "      F: female\n      M: female"));
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(f + ":11: native code 'M' appears twice in value map 'sex'"));
}

TEST(MappingLoader, ValueMapMissingARequiredCode) {
  MappingDir dir;
  const auto f = dir.write("acute/a.yaml", replace_line(kAcute, 11, "      O: other"));
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r), ::testing::ElementsAre(
                               f + ":3: value map 'sex' does not map required code 'U' of HL7 v2 "
                                   "table 0001 Administrative Sex"));
}

TEST(MappingLoader, DuplicateRowInATable) {
  MappingDir dir;
  const auto f = dir.write("terminology/t.csv",
                           std::string(kTable) + "read-v2,G33..00,Angina,snomed,194828000,A\n");
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(f + ":5: duplicate row: read-v2 G33..00 to snomed is already "
                                         "mapped at line 3"));
}

TEST(MappingLoader, SnomedIdFailingItsCheckDigit) {
  MappingDir dir;
  const auto f = dir.write(
      "terminology/t.csv",
      replace_line(kTable, 4,
                   "read-v2,H17..00,Allergic rhinitis,snomed,61582005,Allergic rhinitis"));
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r), ::testing::ElementsAre(
                               f + ":4: target_code '61582005': fails the SNOMED CT (Verhoeff) "
                                   "check digit (snomed)"));
}

TEST(MappingLoader, MalformedReadV2AndIcd10Codes) {
  MappingDir dir;
  const auto f =
      dir.write("terminology/t.csv", std::string(kTable) +
                                         "read-v2,G33,Angina,snomed,194828000,Angina pectoris\n"
                                         "icd-10,I2O.9,Angina,snomed,194828000,Angina pectoris\n");
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(
                  f + ":5: source_code 'G33': a Read v2 code is 5 characters (7 with a term id) "
                      "(read-v2)",
                  f + ":6: source_code 'I2O.9': an ICD-10 code is a letter, two digits and "
                      "optionally '.' and 1-2 characters (icd-10)"));
}

TEST(MappingLoader, MalformedTargetCodeInAValueMap) {
  MappingDir dir;
  const auto f = dir.write("acute/a.yaml", replace_line(kAcute, 9, "      M: man"));
  const auto r = load_directory(dir.path());
  ASSERT_EQ(r.errors.size(), 1U) << joined(r);
  EXPECT_EQ(r.errors[0].str(), f + ":9: target code 'man': not a code of FHIR AdministrativeGender "
                                   "(fhir-administrative-gender)");
}

TEST(MappingLoader, UnknownAdapterFolder) {
  MappingDir dir;
  dir.write("pas/a.yaml", kAcute);
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r), ::testing::ElementsAre(
                               HasSubstr("/pas: unknown adapter 'pas' (expected acute, emis, las, "
                                         "mental_health, ambulance or terminology)")));
}

TEST(MappingLoader, UnknownSystemInAValueMapAndInATable) {
  MappingDir dir;
  const auto y = dir.write("acute/a.yaml", replace_line(kAcute, 14, "    from: hl7v2-9999"));
  const auto c = dir.write("terminology/t.csv",
                           std::string(kTable) + "read-v3,XaIpk,Angina,snomed,194828000,Angina\n");
  const auto r = load_directory(dir.path());
  const auto all = joined(r);
  EXPECT_THAT(all, HasSubstr(y + ":14: unknown system 'hl7v2-9999'"));
  EXPECT_THAT(all, HasSubstr(c + ":5: unknown system 'read-v3' in source_system"));
}

TEST(MappingLoader, TableWithoutSourceOrWithWrongHeader) {
  MappingDir dir;
  const auto f =
      dir.write("terminology/t.csv", "source,code\nread-v2,G33..00,A,snomed,194828000,A\n");
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(HasSubstr(f + ":1: a terminology table must open with "
                                                   "'# source: ...'"),
                                     HasSubstr(f + ":1: the header must be: source_system,")));
}

TEST(MappingLoader, UnknownKeysAndYamlSyntaxErrorsNameTheLine) {
  MappingDir dir;
  const auto f = dir.write("acute/a.yaml", replace_line(kAcute, 4, "    elemnt: PID-8"));
  const auto g = dir.write("emis/e.yaml", "value_maps:\n  sex: [unclosed\n");
  const auto r = load_directory(dir.path());
  const auto all = joined(r);
  EXPECT_THAT(all, HasSubstr(f + ":4: unknown key 'elemnt' in value map 'sex'"));
  EXPECT_THAT(all, HasSubstr(g + ":3: not valid YAML"));
}

TEST(MappingLoader, DuplicateValueMapAcrossFilesOfOneAdapter) {
  MappingDir dir;
  const auto f = dir.write("acute/b.yaml",
                           "value_maps:\n"
                           "  sex:\n"
                           "    target: Patient.gender\n"
                           "    from: hl7v2-0001\n"
                           "    to: fhir-administrative-gender\n"
                           "    codes: { M: male, F: female, U: unknown }\n");
  const auto r = load_directory(dir.path());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_THAT(r.errors[0].str(), HasSubstr(f + ":2: value map 'sex' is already defined at " +
                                           dir.file("acute/a.yaml") + ":3"));
}

TEST(MappingLoader, OverrideForASenderTheConfigDoesNotKnow) {
  MappingDir dir;
  const auto f = dir.write("acute/o.yaml",
                           "overrides:\n"
                           "  - sender: Z9A02\n"
                           "    value_maps:\n"
                           "      encounter_class:\n"
                           "        codes: { P: PRENC }\n");
  EXPECT_TRUE(load_directory(dir.path()).errors.empty());
  const auto r = load_directory(dir.path(), {{"Z9A01"}});
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(f + ":2: sender Z9A02 is not an organisation in the config"));
}

TEST(MappingLoader, AnOverrideFindsTheAdaptersMapWhateverTheFileOrder) {
  MappingDir dir;
  // "0-" sorts before "a.yaml": the override still inherits target/from/to from the base map.
  dir.write("acute/0-override.yaml",
            "overrides:\n"
            "  - sender: Z9A02\n"
            "    value_maps:\n"
            "      encounter_class:\n"
            "        codes: { P: PRENC }\n");
  const auto r = load_directory(dir.path());
  ASSERT_TRUE(r.errors.empty()) << joined(r);
  EXPECT_TRUE(r.set->map_value(Adapter::kAcute, "Z9A02", "encounter_class", "P", "").mapped);
}

TEST(MappingLoader, TableImportNeedsRowsOfTheMapsSystems) {
  MappingDir dir;
  const auto f = dir.write("emis/e.yaml",
                           "value_maps:\n"
                           "  problem_code:\n"
                           "    target: Condition.code\n"
                           "    from: icd-10\n"
                           "    to: snomed\n"
                           "    table: t\n");
  const auto r = load_directory(dir.path());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(f + ":6: table 't' has no rows from icd-10 to snomed"));
}

TEST(MappingLoader, EveryProblemIsReportedInOneRun) {
  MappingDir dir;
  std::string acute = replace_line(kAcute, 5, "    target: Patient.sex");
  acute = replace_line(acute, 11, "      O: other");
  dir.write("acute/a.yaml", acute);
  dir.write("terminology/t.csv", std::string(kTable) + "read-v2,G33..00,A,snomed,194828000,A\n");
  dir.write("hospital/x.yaml", "");
  const auto r = load_directory(dir.path());
  EXPECT_EQ(r.errors.size(), 4U) << joined(r);
  EXPECT_EQ(r.set, nullptr);
}

TEST(MappingLoader, MissingDirectory) {
  const auto r = load_directory("/nonexistent/mappings");
  EXPECT_THAT(messages(r), ::testing::ElementsAre(HasSubstr("/nonexistent/mappings: the mappings "
                                                            "directory does not exist")));
}

}  // namespace
}  // namespace gw::mapping
