// Run-time lookups: value maps, code tables, per-sender overrides, and what happens to a code
// with no mapping (kept as it came, counted).
#include "gateway/mapping/mapping_set.hpp"

#include <gtest/gtest.h>

#include "gateway/mapping/loader.hpp"
#include "gateway/mapping/unmapped.hpp"
#include "tests/unit/gateway/mapping/mapping_fixture.hpp"

namespace gw::mapping {
namespace {

constexpr std::string_view kV2Sex = "http://terminology.hl7.org/CodeSystem/v2-0001";
constexpr std::string_view kGender = "http://hl7.org/fhir/administrative-gender";

std::shared_ptr<const MappingSet> load(const test::MappingDir& dir) {
  auto r = load_directory(dir.path());
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  return r.set;
}

std::shared_ptr<const MappingSet> shipped() {
  auto r = load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings");
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  return r.set;
}

TEST(MappingLookup, ValueMapGivesTheTargetCoding) {
  test::MappingDir dir;
  auto set = load(dir);
  const auto m = set->map_value(Adapter::kAcute, "Z9A01", "sex", "F", "");
  EXPECT_TRUE(m.mapped);
  EXPECT_EQ(m.coding, (Coding{std::string(kGender), "female", "Female"}));
}

TEST(MappingLookup, AnUnmappedCodeIsKeptAsItCameAndCounted) {
  test::MappingDir dir;
  metrics::Registry metrics;
  UnmappedTracker tracker(&metrics);
  const Mapper mapper(load(dir), &tracker);

  // "X" is not in the sex map: the native system, code and display come back unchanged.
  for (int i = 0; i < 2; ++i) {
    const auto m = mapper.value(Adapter::kAcute, "Z9A01", "sex", "X", "Unspecified (local)");
    EXPECT_FALSE(m.mapped);
    EXPECT_EQ(m.coding, (Coding{std::string(kV2Sex), "X", "Unspecified (local)"}));
  }
  // A code table miss keeps the whole native coding, whatever its system.
  const Coding icd{"http://hl7.org/fhir/sid/icd-10", "K35.8", "Acute appendicitis, other"};
  const auto c = mapper.code(Adapter::kAcute, icd, "snomed");
  EXPECT_FALSE(c.mapped);
  EXPECT_EQ(c.coding, icd);

  const auto top = tracker.top(10);
  ASSERT_EQ(top.size(), 2U);
  EXPECT_EQ(top[0].count, 2U);
  EXPECT_EQ(top[0].code, "X");
  EXPECT_EQ(top[0].system, kV2Sex);
  EXPECT_EQ(top[0].display, "Unspecified (local)");
  EXPECT_EQ(top[1].code, "K35.8");
  EXPECT_NE(metrics.render().find("caregw_mapping_unmapped_total{adapter=\"acute\",system=\"" +
                                  std::string(kV2Sex) + "\",code=\"X\"} 2"),
            std::string::npos)
      << metrics.render();
}

TEST(MappingLookup, AMappedCodeIsNotCounted) {
  test::MappingDir dir;
  UnmappedTracker tracker;
  const Mapper mapper(load(dir), &tracker);
  EXPECT_TRUE(mapper.value(Adapter::kAcute, "Z9A01", "sex", "M").mapped);
  EXPECT_TRUE(mapper.code(Adapter::kEmis, {"read-v2", "G33..00", ""}, "snomed").mapped);
  EXPECT_EQ(tracker.total(), 0U);
}

TEST(MappingLookup, CodeTablesTranslateByAliasOrUri) {
  test::MappingDir dir;
  auto set = load(dir);
  const auto m =
      set->map_code({"http://read.info/readv2", "G33..00", "Angina"}, "http://snomed.info/sct");
  EXPECT_TRUE(m.mapped);
  EXPECT_EQ(m.coding, (Coding{"http://snomed.info/sct", "194828000", "Angina pectoris"}));
  EXPECT_TRUE(set->map_code({"read-v2", "H17..00", ""}, "snomed").mapped);
}

TEST(MappingLookup, CodeTablesFromALocalListTranslateByAliasOrUri) {
  // A site's own code list has no fixed URI: its codes are looked up under the URI its
  // alias resolves to, whichever of the two the caller names.
  test::MappingDir dir;
  dir.write("terminology/local.csv",
            "# source: synthetic, a practice's own flag list\n"
            "source_system,source_code,source_display,target_system,target_code,target_display\n"
            "local:gp-flags,SAFE1,Safeguarding concern,snomed,225338004,Risk assessment\n");
  auto set = load(dir);
  ASSERT_NE(set, nullptr);
  const Coding expected{"http://snomed.info/sct", "225338004", "Risk assessment"};
  for (const char* system : {"local:gp-flags", "urn:caregw:codes:local:gp-flags"}) {
    const auto m = set->map_code({system, "SAFE1", ""}, "snomed");
    EXPECT_TRUE(m.mapped) << system;
    EXPECT_EQ(m.coding, expected) << system;
    EXPECT_FALSE(set->map_code({system, "SAFE2", ""}, "snomed").mapped) << system;
  }
  // The other list's same code is not this one's.
  EXPECT_FALSE(set->map_code({"local:gp-other", "SAFE1", ""}, "snomed").mapped);
  EXPECT_FALSE(set->map_code({"read-v2", "SAFE1", ""}, "snomed").mapped);
}

TEST(MappingLookup, AnOverrideAppliesOnlyToItsSender) {
  auto set = shipped();
  ASSERT_NE(set, nullptr);
  // Z9A01 sends NHS Data Dictionary gender codes in PID-8; its override maps "2" to female.
  const auto own = set->map_value(Adapter::kAcute, "Z9A01", "sex", "2", "");
  EXPECT_TRUE(own.mapped);
  EXPECT_EQ(own.coding.code, "female");
  // Another acute sender gets the HL7 UK map: "2" is not a table 0001 code, "F" is.
  const auto other = set->map_value(Adapter::kAcute, "Z9A99", "sex", "2", "");
  EXPECT_FALSE(other.mapped);
  EXPECT_EQ(other.coding.system, kV2Sex);
  EXPECT_TRUE(set->map_value(Adapter::kAcute, "Z9A99", "sex", "F", "").mapped);
  // The override reads another source system, so it replaces the base map for Z9A01.
  const auto own_f = set->map_value(Adapter::kAcute, "Z9A01", "sex", "F", "");
  EXPECT_FALSE(own_f.mapped);
  EXPECT_EQ(own_f.coding.system, "urn:caregw:codes:nhs-dd:person-gender-code-current");
  // Maps only the override defines exist only for its sender.
  EXPECT_TRUE(set->map_value(Adapter::kAcute, "Z9A01", "ward", "AMU", "").mapped);
  EXPECT_FALSE(set->map_value(Adapter::kAcute, "Z9A99", "ward", "AMU", "").mapped);
}

TEST(MappingLookup, AnOverrideOfTheSameSystemFallsBackToTheBaseForOtherCodes) {
  test::MappingDir dir;
  dir.write("acute/o.yaml",
            "overrides:\n"
            "  - sender: Z9A02\n"
            "    value_maps:\n"
            "      encounter_class:\n"
            "        codes: { P: PRENC, E: { code: AMB, display: ambulatory } }\n");
  auto set = load(dir);
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->map_value(Adapter::kAcute, "Z9A02", "encounter_class", "P", "").coding.code,
            "PRENC");
  EXPECT_EQ(set->map_value(Adapter::kAcute, "Z9A02", "encounter_class", "E", "").coding.code,
            "AMB");
  EXPECT_EQ(set->map_value(Adapter::kAcute, "Z9A02", "encounter_class", "I", "").coding.code,
            "IMP");  // from the base map
  EXPECT_EQ(set->map_value(Adapter::kAcute, "Z9A01", "encounter_class", "E", "").coding.code,
            "EMER");
  EXPECT_FALSE(set->map_value(Adapter::kAcute, "Z9A01", "encounter_class", "P", "").mapped);
}

TEST(MappingLookup, IdentifierRulesWithASendersOverride) {
  auto set = shipped();
  ASSERT_NE(set, nullptr);
  const auto base = set->identifier_rules(Adapter::kAcute, "Z9A99");
  const auto own = set->identifier_rules(Adapter::kAcute, "Z9A01");
  ASSERT_EQ(base.size(), 2U);
  ASSERT_EQ(own.size(), 2U);
  EXPECT_EQ(base[0].id, "nhs_number");
  EXPECT_EQ(base[0].type_codes, (std::vector<std::string>{"NH", "HN", ""}));
  EXPECT_EQ(base[1].id, "mrn");
  EXPECT_EQ(base[1].assigning_authority, "");
  EXPECT_EQ(own[1].assigning_authority, "RZZ");
  EXPECT_EQ(own[1].default_ods, "Z9A01");
}

TEST(MappingLookup, IdentifierSystemNamesTheAssigningOrganisation) {
  auto set = shipped();
  ASSERT_NE(set, nullptr);
  const auto own = set->identifier_rules(Adapter::kAcute, "Z9A01");
  // The message names no assigner: Z9A01's rule says Z9A01.
  EXPECT_EQ(identifier_system(own[1], "", "Z9A01"), "urn:caregw:id:Z9A01:mrn");
  // Another trust's PAS: no default, so the sender the certificate proved.
  const auto base = set->identifier_rules(Adapter::kAcute, "Z9A99");
  EXPECT_EQ(identifier_system(base[1], "", "Z9A99"), "urn:caregw:id:Z9A99:mrn");
  EXPECT_EQ(identifier_system(base[1], "Z9A02", "Z9A99"), "urn:caregw:id:Z9A02:mrn");
  EXPECT_EQ(identifier_system(base[0], "", "Z9A99"), "https://fhir.nhs.uk/Id/nhs-number");
}

TEST(MappingLookup, UnknownMapKeepsTheCodeWithTheGivenSystem) {
  test::MappingDir dir;
  auto set = load(dir);
  const auto m = set->map_value(Adapter::kLas, "Z9S01", "service_type", "HS", "Home support",
                                "local:las-service-type");
  EXPECT_FALSE(m.mapped);
  EXPECT_EQ(m.coding, (Coding{"urn:caregw:codes:local:las-service-type", "HS", "Home support"}));
}

TEST(UnmappedTracker, MetricLabelsAreBoundedAndOverflowIsCounted) {
  metrics::Registry metrics;
  UnmappedTracker tracker(&metrics, UnmappedLimits{2, 3});
  for (const char* code : {"A1", "A2", "A3", "A4", "A5", "A1"}) {
    tracker.record(Adapter::kEmis, Coding{"urn:x", code, ""});
  }
  const auto text = metrics.render();
  EXPECT_NE(text.find("code=\"A1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("code=\"A2\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("code=\"A3\""), std::string::npos) << text;
  // A3 has its own in-memory row but no series of its own; A4 and A5 overflow the table too.
  EXPECT_NE(text.find("system=\"other\",code=\"other\"} 3"), std::string::npos) << text;
  // In memory: A1 (2), the overflow row (A4, A5), A2 and A3; ties in (adapter, system, code) order.
  const auto top = tracker.top(10);
  ASSERT_EQ(top.size(), 4U);
  EXPECT_EQ(top[0].code, "other");
  EXPECT_EQ(top[0].count, 2U);
  EXPECT_EQ(top[1].code, "A1");
  EXPECT_EQ(top[1].count, 2U);
  EXPECT_EQ(tracker.total(), 6U);
}

TEST(UnmappedTracker, PendingCountsAreTakenOnceAndCanBeGivenBack) {
  UnmappedTracker tracker;
  tracker.record(Adapter::kLas, Coding{"urn:x", "HS", "Home support"});
  tracker.record(Adapter::kLas, Coding{"urn:x", "HS", "Home support"});
  auto pending = tracker.take_pending();
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].count, 2U);
  EXPECT_TRUE(tracker.take_pending().empty());
  tracker.give_back(pending);
  EXPECT_EQ(tracker.take_pending().at(0).count, 2U);
  EXPECT_EQ(tracker.top(1).at(0).count, 2U);  // totals are not changed by a failed flush
}

TEST(UnmappedTracker, JsonForTheEndpoint) {
  UnmappedTracker tracker;
  tracker.record(Adapter::kAcute, Coding{"urn:x", "Z\"1", "Quote \" in display"});
  EXPECT_EQ(unmapped_json(tracker.top(5)),
            R"({"unmapped":[{"adapter":"acute","system":"urn:x","code":"Z\"1",)"
            R"("display":"Quote \" in display","count":1}]})");
  EXPECT_EQ(unmapped_json({}), R"({"unmapped":[]})");
}

}  // namespace
}  // namespace gw::mapping
