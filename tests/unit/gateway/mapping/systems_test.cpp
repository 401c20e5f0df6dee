// Code shape checks: the SNOMED CT Verhoeff check digit, Read v2 and ICD-10 shapes, closed lists.
#include "gateway/mapping/systems.hpp"

#include <gtest/gtest.h>

namespace gw::mapping {
namespace {

SystemRef sys(std::string_view name) {
  auto s = resolve_system(name);
  EXPECT_TRUE(s.has_value()) << name;
  return s.value_or(SystemRef{});
}

TEST(MappingSystems, SnomedIdsFromTheReferenceSamplesPassVerhoeff) {
  // From shared/reference (EMIS GP Connect and ITK3 samples), including UK extension ids.
  for (auto id : {"271594007", "38341003", "9826008", "1091811000000102", "25611000000107",
                  "1240751000000100"}) {
    EXPECT_TRUE(verhoeff_valid(id)) << id;
    EXPECT_EQ(check_code(sys("snomed"), id), "") << id;
  }
}

TEST(MappingSystems, SnomedTyposFailTheCheckDigit) {
  // One digit changed, and two adjacent digits swapped: the errors Verhoeff catches.
  EXPECT_NE(check_code(sys("snomed"), "271594008"), "");
  EXPECT_NE(check_code(sys("snomed"), "38314003"), "");
  EXPECT_NE(check_code(sys("snomed"), "12345"), "");      // too short
  EXPECT_NE(check_code(sys("snomed"), "038341003"), "");  // leading zero
  EXPECT_NE(check_code(sys("snomed"), "3834100X"), "");   // not digits
}

TEST(MappingSystems, ReadV2Shape) {
  const auto read = sys("read-v2");
  for (auto ok : {"G33..", "G33..00", "116..13", "9Ee0C00", "H170.11"}) {
    EXPECT_EQ(check_code(read, ok), "") << ok;
  }
  for (auto bad : {"G33", "G33...0", "G33..0", ".G33.", "G3 3.", "G33..0!"}) {
    EXPECT_NE(check_code(read, bad), "") << bad;
  }
}

TEST(MappingSystems, Icd10Shape) {
  const auto icd = sys("icd-10");
  for (auto ok : {"I10", "R55", "J30.4", "U07.1", "H109", "S72.00"}) {
    EXPECT_EQ(check_code(icd, ok), "") << ok;
  }
  for (auto bad : {"I1", "10I", "i10", "J30.", "J30.456", "J3O.4"}) {
    EXPECT_NE(check_code(icd, bad), "") << bad;
  }
}

TEST(MappingSystems, ClosedListsAcceptOnlyTheirCodes) {
  EXPECT_EQ(check_code(sys("fhir-administrative-gender"), "female"), "");
  EXPECT_NE(check_code(sys("fhir-administrative-gender"), "F"), "");
  EXPECT_EQ(check_code(sys("ukcore-ethnic-category"), "99"), "");
  EXPECT_NE(check_code(sys("ukcore-ethnic-category"), "I"), "");  // no I or O in the list
}

TEST(MappingSystems, AliasesUrisAndLocalLists) {
  EXPECT_EQ(sys("snomed").uri, "http://snomed.info/sct");
  EXPECT_EQ(sys("http://snomed.info/sct").alias, "snomed");
  const auto local = sys("local:z9a01-ward");
  EXPECT_EQ(local.uri, "urn:caregw:codes:local:z9a01-ward");
  EXPECT_EQ(local.known, nullptr);
  EXPECT_EQ(sys(local.uri).alias, "local:z9a01-ward");
  EXPECT_FALSE(resolve_system("read-v3").has_value());
  EXPECT_FALSE(resolve_system("local:").has_value());
  EXPECT_FALSE(resolve_system("local:a b").has_value());
}

TEST(MappingSystems, EmptyOrPaddedCodesAreRefusedEverywhere) {
  EXPECT_NE(check_code(sys("local:x"), ""), "");
  EXPECT_NE(check_code(sys("local:x"), " A"), "");
}

}  // namespace
}  // namespace gw::mapping
